"""keras-io's examples re-expressed as configs give the plain scripts' parameters and metrics.

Each plain script (bench/seeds/keras_io_*.py: the example's model, compile and fit arguments,
only the data loading changed to scikit-learn's embedded tables, split as dltrain splits them)
runs in a subprocess; its config (configs/diabetes_regression.yaml,
configs/breast_cancer_imbalanced.yaml) runs through ``dltrain.training.fit`` with the same
seed. Same seed does not mean same initial weights (the two build their layers through
different code), so the metrics are compared within the issue's tolerances: test MAE within
10 %, test accuracy within a point. About 40 s on a 2-core CPU: the scripts run (one after the
other, in one process) while the two configs train.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dltrain.config import load_config
from dltrain.training import fit
from conftest import CONFIGS, REPO

pytestmark = pytest.mark.slow

SEED = 42
SCRIPTS = {
    "regression": REPO / "bench" / "seeds" / "keras_io_regression.py",
    "imbalanced": REPO / "bench" / "seeds" / "keras_io_imbalanced.py",
}
CONFIG_FILES = {
    "regression": CONFIGS / "diabetes_regression.yaml",
    "imbalanced": CONFIGS / "breast_cancer_imbalanced.yaml",
}


def _trainable_params(model_path) -> int:
    from dltrain.tf_quiet import keras

    model = keras.saving.load_model(model_path)
    return int(sum(int(w.numpy().size) for w in model.trainable_weights))


# Runs the scripts one after another in one Python process, each as `python script.py --seed N` would
# (run_name="__main__", its own argv; each script seeds Keras first), so TensorFlow is imported once.
_DRIVER = """
import runpy, sys
import keras
seed, scripts = sys.argv[1], sys.argv[2:]
for script in scripts:
    keras.backend.clear_session()
    sys.argv = [script, "--seed", seed]
    runpy.run_path(script, run_name="__main__")
"""


@pytest.fixture(scope="module")
def sides(tmp_path_factory):
    """{example: (the plain script's JSON line, the config's FitResult, its trainable parameters)}."""
    names = list(SCRIPTS)
    proc = subprocess.Popen([sys.executable, "-c", _DRIVER, str(SEED), *(str(SCRIPTS[n]) for n in names)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        fitted = {}
        for name, path in CONFIG_FILES.items():
            result = fit(load_config(path, [f"seed={SEED}"]), runs_dir=tmp_path_factory.mktemp(name), verbose=0)
            fitted[name] = (result, _trainable_params(result.run_dir / "model.keras"))
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"a plain script failed:\n{err[-3000:]}"
        lines = [line for line in out.splitlines() if line.startswith("{")]  # each script's last line
        scripts = dict(zip(names, map(json.loads, lines), strict=True))
    finally:
        if proc.poll() is None:
            proc.kill()
    return {name: (scripts[name], *fitted[name]) for name in SCRIPTS}


def test_regression_config_matches_the_plain_script(sides):
    script, result, trainable = sides["regression"]
    assert trainable == script["trainable_params"] == 4929  # Normalization adds none on either side
    mae = result.test_metrics["mae"]
    print(f"\nregression test MAE: script {script['test_mae']:.2f}, config {mae:.2f}")
    assert abs(mae - script["test_mae"]) <= 0.10 * script["test_mae"]


def test_imbalanced_config_matches_the_plain_script(sides):
    script, result, trainable = sides["imbalanced"]
    assert trainable == script["trainable_params"] == 139777
    per_class = json.loads((result.run_dir / "per_class.json").read_text())
    test = result.test_metrics
    recall_malignant = test["tn"] / (test["tn"] + test["fp"])
    assert recall_malignant == pytest.approx(per_class["malignant"]["recall"])
    print(f"\nimbalanced test accuracy: script {script['test_accuracy']:.4f}, config {test['accuracy']:.4f}; "
          f"malignant (minority) recall: script {script['recall_malignant']:.4f}, config {recall_malignant:.4f}")
    assert abs(test["accuracy"] - script["test_accuracy"]) <= 0.01
