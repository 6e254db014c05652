"""The backend switch: chosen before Keras is imported, refused when Keras already runs another, and every
shipped config trains on jax."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import READY_CONFIGS, REPO
from dltrain.backend import backend_of_run, check_backend, measured_backend, resolve_backend, use_backend
from dltrain.config import load_config
from dltrain.errors import UserError

# Every shipped config smoke-trains on both backends in CI (.ci/run, one `dltrain fit --smoke` each); here, in
# one process, the kinds whose jax path is dltrain's own: string inputs, which JAX arrays cannot hold (a table
# with string columns, raw text), so the preprocessing runs in tf.data and model.keras still takes strings.
# Arrays need nothing of the kind: an MLP trains on jax in tests/distribute/test_mirrored.py and test_launch.py,
# and a CNN's layers are Keras's own on either backend (CI's smoke loop trains each shipped CNN on jax).
KINDS = ["mixed_table.yaml", "fortunes_text.yaml"]
SYNTHETIC = {"mnist", "fashion_mnist", "cifar10", "cifar100"}

DRIVER = textwrap.dedent("""
    import json, os, sys
    os.environ["KERAS_BACKEND"] = "jax"  # before anything imports keras, as the CLI does
    from dltrain.startup import skip_unused_imports
    skip_unused_imports()  # as the CLI does: on jax, jax itself must still load
    from dltrain.config import load_config
    from dltrain import training
    out, synthetic = sys.argv[1], set(sys.argv[2].split(","))
    for path in sys.argv[3:]:
        cfg = load_config(path, ["backend=jax"])
        result = training.fit(cfg, runs_dir=out, smoke=True, synthetic=cfg.data.dataset in synthetic, verbose=0)
        print(json.dumps({"config": path, "run": str(result.run_dir), "metrics": result.test_metrics}), flush=True)
""")


def test_keras_already_imported_with_another_backend_is_refused():
    import keras

    assert keras.backend.backend() == "tensorflow"
    with pytest.raises(UserError, match="already imported in this process with backend tensorflow"):
        use_backend("jax")
    with pytest.raises(UserError, match="KERAS_BACKEND=jax"):
        check_backend("jax")
    check_backend("tensorflow")  # the one Keras runs: accepted


def test_unknown_backend_is_refused():
    with pytest.raises(UserError, match="unknown backend 'torch'"):
        use_backend("torch")


def test_fit_refuses_a_jax_config_in_a_tensorflow_process_and_writes_nothing(tmp_path: Path):
    from dltrain import training

    config = load_config(REPO / "configs" / "digits_mlp.yaml", ["backend=jax"])
    with pytest.raises(UserError, match="backend"):
        training.fit(config, runs_dir=tmp_path, smoke=True, verbose=0)
    assert not any(tmp_path.iterdir())


def test_the_config_names_the_backend_and_defaults_to_tensorflow():
    assert load_config(REPO / "configs" / "digits_mlp.yaml").backend == "tensorflow"
    with pytest.raises(UserError, match="backend"):
        load_config(REPO / "configs" / "digits_mlp.yaml", ["backend=torch"])


@pytest.mark.parametrize("config_yaml, run_json", [
    ("backend: jax\n", "{}"),  # from the config
    ("backend: auto\n", '{"backend": "jax"}'),  # what auto chose, as run.json recorded it
])
def test_resume_reads_the_backend_from_the_run(tmp_path: Path, config_yaml, run_json):
    run = tmp_path / "20260101-000000-r"
    run.mkdir()
    (run / "config.yaml").write_text(config_yaml)
    (run / "run.json").write_text(run_json)
    assert backend_of_run(tmp_path, str(run)) == "jax"
    assert backend_of_run(tmp_path, str(tmp_path / "missing")) == "tensorflow"  # fit then says what is wrong


def _config(*overrides: str, name: str = "digits_mlp.yaml"):
    return load_config(REPO / "configs" / name, list(overrides))


@pytest.mark.parametrize("name, overrides, wanted, why", [
    ("mnist_mlp.yaml", [], "tensorflow", "equal to jax's (MLP)"),  # bench/RESULTS.md: 1.00x on jax
    ("mnist_cnn.yaml", [], "tensorflow", "shorter (CNN)"),  # 1.06x on jax
    ("mixed_table.yaml", [], "tensorflow", "starts sooner"),
    ("mnist_mlp.yaml", ["training.distribute=multi_worker"], "jax", "multi_worker"),  # jax's engine only
])
def test_auto_chooses_what_was_measured_best(name, overrides, wanted, why):
    chosen, reason = measured_backend(_config("backend=auto", *overrides, name=name))
    assert (chosen, why in reason) == (wanted, True), reason


def test_auto_keeps_the_backend_keras_already_runs(tmp_path):
    import keras  # noqa: F401  (this process's Keras: tensorflow)

    config = _config("backend=auto", "training.distribute=multi_worker", name="mnist_mlp.yaml")
    assert measured_backend(config)[0] == "jax" and resolve_backend(config) == "tensorflow"
    assert resolve_backend(_config("backend=jax")) == "jax"  # a named backend is never changed


def test_fit_with_auto_prints_and_records_the_choice(tmp_path, capsys):
    from dltrain import cli

    assert cli.run(["fit", str(REPO / "configs" / "digits_mlp.yaml"), "--smoke", "--set", "backend=auto",
                    "--runs-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "backend auto: tensorflow (Keras is already imported in this process" in out
    (run,) = tmp_path.iterdir()
    assert json.loads((run / "run.json").read_text())["backend"] == "tensorflow"
    assert "backend: auto" in (run / "config.yaml").read_text()  # the config as written; run.json says what ran


@pytest.mark.slow
def test_each_kind_of_config_smoke_trains_on_jax(tmp_path: Path):
    configs = [str(p) for p in READY_CONFIGS if p.name in KINDS]  # fortunes_text once its folders are written
    assert "mixed_table.yaml" in {Path(c).name for c in configs}
    started = time.perf_counter()
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    done = subprocess.run([sys.executable, "-c", DRIVER, str(tmp_path), ",".join(SYNTHETIC), *configs],
                          capture_output=True, text=True, env=env, timeout=900, cwd=REPO)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["config"] for r in results] == configs
    for result in results:
        run = Path(result["run"])
        assert json.loads((run / "run.json").read_text())["backend"] == "jax"
        assert json.loads((run / "run.json").read_text())["status"] == "completed"
        assert (run / "model.keras").is_file()
        assert all(v == v for v in result["metrics"].values()), result  # no NaN
    print(f"{len(configs)} configs on jax in {seconds:.0f} s")
