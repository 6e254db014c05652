"""The generated scripts run (smoke mode: tiny data, one epoch) and build dltrain's model, parameter for parameter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dltrain.config import load_config
from dltrain.errors import UserError
from dltrain.script import SMOKE_VARIABLE, render_script
from dltrain.training import check_build

ROOT = Path(__file__).resolve().parents[2]
# Every shipped config's script runs in CI (.ci/run), which checks the model it builds as these tests do. The
# suite runs one config of each kind: in memory (a seed MLP and CNN, a regression, a binary task with class
# weights), a numeric CSV, a FeatureSpace table, and the image and text folders once their data is written. The
# others repeat a kind at a higher cost (MobileNetV2's steps take ~25 s to trace; three Fashion-MNIST models).
CI_ONLY = {"mobilenet_v2_cifar10", "fashion_mnist_mlp", "fashion_mnist_resnet", "fashion_mnist_cnn", "mnist_dense",
           "diabetes_mlp", "digits_tune"}
CONFIGS = sorted(p for p in (ROOT / "configs").glob("*.yaml") if p.stem not in CI_ONLY)
IMAGE_FOLDER = "image_folder_on_generated_pngs"  # the script of fashion_mnist_folder_cnn.yaml on PNGs a test writes

pytestmark = pytest.mark.slow


def _runnable() -> list[Path]:
    found = []
    for path in CONFIGS:
        try:
            load_config(path)
        except UserError:
            continue  # its data folder is not on this machine (reported as a skip below)
        found.append(path)
    return found


# Runs scripts one after another in one Python process, each as `python script.py` would
# (run_name="__main__", its own folder as the working directory), so TensorFlow is imported
# once per process rather than once per script; prints one JSON line per script.
_DRIVER = """
import contextlib, io, json, os, runpy, sys, traceback
import keras
for script in sys.argv[1:]:
    out, err, code = io.StringIO(), io.StringIO(), 0
    os.chdir(os.path.dirname(script))
    keras.backend.clear_session()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
    print(json.dumps({"script": script, "returncode": code, "stdout": out.getvalue(),
                      "stderr": err.getvalue()}), flush=True)
"""


def _run_all(scripts: list[Path]) -> dict[str, subprocess.CompletedProcess]:
    """Each script's outcome, keyed by its stem, as if it had run in its own process."""
    env = {**os.environ, SMOKE_VARIABLE: "1", "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, "-c", _DRIVER, *map(str, scripts)], capture_output=True, text=True,
                          env=env, timeout=600)
    found = {}
    for line in done.stdout.splitlines():
        if line.startswith('{"script"'):
            one = json.loads(line)
            found[Path(one["script"]).stem] = subprocess.CompletedProcess(
                one["script"], one["returncode"], one["stdout"], one["stderr"])
    for script in scripts:  # the driver itself died before reaching this script
        found.setdefault(script.stem, subprocess.CompletedProcess(str(script), done.returncode or 1, "",
                                                                  done.stderr[-4000:]))
    return found


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every runnable shipped config's script, and the image-folder config's on PNGs written here, run once, all in
    one driver process (one TensorFlow import)."""
    folder = tmp_path_factory.mktemp("scripts")
    scripts = []
    for path in _runnable():
        script = folder / f"{path.stem}.py"
        script.write_text(render_script(load_config(path)), encoding="utf-8")
        scripts.append(script)
    script = folder / f"{IMAGE_FOLDER}.py"
    script.write_text(render_script(_image_folder_config(folder / "images")), encoding="utf-8")
    return _run_all([*scripts, script])


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_the_script_builds_dltrains_model(path, results):
    if path.stem not in results:
        pytest.skip(f"{path.name}: its data is not on this machine")
    done = results[path.stem]
    assert done.returncode == 0, done.stderr[-2000:]
    built = json.loads(done.stdout.strip().splitlines()[-1])
    model = check_build(load_config(path))
    assert built["layers"] == [type(layer).__name__ for layer in model.layers]
    assert built["params"] == model.count_params()


def _image_folder(root: Path, per_class: int) -> None:
    """Two classes of 28×28 grayscale PNGs: dark and light."""
    from PIL import Image
    import numpy as np

    rng = np.random.default_rng(0)
    for label, (low, high) in {"dark": (0, 100), "light": (150, 256)}.items():
        (root / label).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(low, high, (28, 28), dtype=np.uint8), mode="L").save(root / label / f"{i}.png")


def _image_folder_config(root: Path):
    """fashion_mnist_folder_cnn.yaml on two tiny classes of PNGs under ``root`` (the shipped folder may not exist)."""
    if not (root / "train").is_dir():
        _image_folder(root / "train", 12)
        _image_folder(root / "test", 4)
    return load_config(ROOT / "configs" / "fashion_mnist_folder_cnn.yaml",
                       [f"data.path={root / 'train'}", f"data.test_path={root / 'test'}"])


def test_the_image_folder_script_builds_dltrains_model(results):
    done = results[IMAGE_FOLDER]
    assert done.returncode == 0, done.stderr[-2000:]
    assert "image_dataset_from_directory" in Path(done.args).read_text(encoding="utf-8")
    built = json.loads(done.stdout.strip().splitlines()[-1])
    config = _image_folder_config(Path(done.args).parent / "images")
    model = check_build(config)
    assert built["layers"] == [type(layer).__name__ for layer in model.layers]
    assert built["params"] == model.count_params()
