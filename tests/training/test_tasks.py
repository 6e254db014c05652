"""Tasks: regression (inferred or declared), binary curves, class weights, loss/output pairs that cannot learn."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dltrain import runs
from dltrain.config import config_from_data, load_config
from dltrain.errors import UserError
from dltrain.tf_quiet import keras
from dltrain.training import fit
from dltrain.training.class_weights import balanced_weights

# Each test trains a real (tiny) model in-process: seconds each, so the whole module is in the slow part.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def diabetes_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("diabetes")
    (root / "d.yaml").write_text(
        "seed: 3\ndata: {dataset: diabetes, scale: standard, target_scale: standard}\n"
        "model: {type: mlp, hidden_units: [32]}\noptimizer: {Adam: {learning_rate: 0.01}}\n"
        "training: {epochs: 30, batch_size: 32}\n")
    return fit(load_config(root / "d.yaml"), runs_dir=root / "runs", verbose=0)


def test_diabetes_is_a_regression_with_its_own_metrics_and_plots(diabetes_run):
    metrics = json.loads((diabetes_run.run_dir / runs.METRICS).read_text())
    assert metrics["task"] == "regression"
    assert {"loss", "mae", "rmse", "r2"} <= set(metrics["test"]) and "accuracy" not in metrics["test"]
    assert metrics["test"]["r2"] > 0.2 and metrics["test"]["mae"] < 60  # the target's std is ~77
    names = {p.name for p in diabetes_run.run_dir.iterdir()}
    assert runs.REGRESSION_PLOT in names and runs.CONFUSION not in names and runs.PER_CLASS not in names
    saved = load_config(diabetes_run.run_dir / runs.CONFIG)
    assert saved.task == "regression" and saved.loss.name == "mse" and [m.name for m in saved.metrics] == ["mae"]


def test_the_saved_regression_predicts_in_the_data_units(diabetes_run):
    from dltrain.data import load_arrays

    config = load_config(diabetes_run.run_dir / runs.CONFIG)
    arrays = load_arrays(config)
    model = keras.saving.load_model(diabetes_run.run_dir / runs.MODEL)
    assert model.output_shape == (None, 1)
    predicted = model.predict(arrays.x_test, verbose=0).reshape(-1)
    mae = float(np.abs(predicted - arrays.targets_test).mean())
    assert mae == pytest.approx(diabetes_run.test_metrics["mae"], rel=1e-4)
    assert 50 < predicted.mean() < 250  # the data's units, not standardized ones


def test_integer_targets_with_mse_and_one_unit_are_a_regression(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    y = np.round(10 * x[:, 0] + 50).astype(int)  # whole numbers, 30-odd values: could pass for classes
    lines = ["a,b,c,target"] + [f"{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},{t}" for r, t in zip(x, y)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "c.yaml").write_text(
        "data: {dataset: csv, path: t.csv, label_column: target}\nloss: mse\n"
        "model: {type: sequential, layers: [{Dense: {units: 16, activation: relu}}, {Dense: {units: 1}}]}\n"
        "training: {epochs: 2}\n")
    result = fit(load_config(tmp_path / "c.yaml"), runs_dir=tmp_path / "runs", verbose=0)
    metrics = json.loads((result.run_dir / runs.METRICS).read_text())
    assert metrics["task"] == "regression" and "r2" in metrics["test"]


def test_classification_of_fractional_labels_is_refused(tmp_path):
    (tmp_path / "t.csv").write_text("a,label\n" + "".join(f"{i},{i / 7:.3f}\n" for i in range(40)))
    (tmp_path / "c.yaml").write_text("task: classification\ndata: {dataset: csv, path: t.csv}\n")
    with pytest.raises(UserError, match=r"c.yaml:1: task: the labels have fractions.*set task: regression"):
        fit(load_config(tmp_path / "c.yaml"), runs_dir=tmp_path / "runs", verbose=0)
    assert not (tmp_path / "runs").exists()


@pytest.fixture(scope="module")
def cancer_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cancer")
    (root / "b.yaml").write_text(
        "seed: 1\ndata: {dataset: breast_cancer, scale: standard}\nloss: binary_crossentropy\n"
        "model: {type: mlp, hidden_units: [16]}\ntraining: {epochs: 5, class_weight: balanced}\n")
    return fit(load_config(root / "b.yaml"), runs_dir=root / "runs", verbose=0)


def test_binary_runs_get_roc_and_pr_curves(cancer_run):
    metrics = json.loads((cancer_run.run_dir / runs.METRICS).read_text())["test"]
    assert metrics["roc_auc"] > 0.9 and 0 < metrics["average_precision"] <= 1
    assert (cancer_run.run_dir / runs.BINARY_CURVES).is_file()
    _, _, names = runs.read_predictions(cancer_run.run_dir)
    assert names == ["malignant", "benign"]  # scikit-learn's class names, in label order
    assert "roc_pr.png" in (cancer_run.run_dir / runs.REPORT).read_text() or "ROC" in (cancer_run.run_dir / runs.REPORT).read_text()


def test_balanced_weights_follow_the_training_counts():
    weights = balanced_weights(np.array([0, 0, 0, 1]), 2)
    assert weights == {0: pytest.approx(4 / 6), 1: pytest.approx(2.0)}
    assert balanced_weights(np.array([0, 0]), 3)[2] == 1.0  # an absent class weighs 1


def test_class_weight_reaches_keras(cancer_run, tmp_path, monkeypatch):
    seen = {}
    original = keras.Model.fit

    def spy(self, *args, **kwargs):
        seen["class_weight"] = kwargs.get("class_weight")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    (tmp_path / "w.yaml").write_text("data: {dataset: breast_cancer}\nloss: binary_crossentropy\n"
                                     "training: {epochs: 1, class_weight: {malignant: 3, benign: 0.5}}\n")
    fit(load_config(tmp_path / "w.yaml"), runs_dir=tmp_path / "runs", verbose=0)
    assert seen["class_weight"] == {0: 3.0, 1: 0.5}


def test_class_weight_of_an_unknown_label_names_the_labels(tmp_path):
    (tmp_path / "w.yaml").write_text("data: {dataset: iris}\ntraining: {epochs: 1, class_weight: {rose: 2}}\n")
    with pytest.raises(UserError, match=r"w.yaml:2: training.class_weight.rose: no class 'rose'.*setosa"):
        fit(load_config(tmp_path / "w.yaml"), runs_dir=tmp_path / "runs", verbose=0)
    assert not (tmp_path / "runs").exists()


def test_class_weight_on_a_regression_is_refused(tmp_path):
    (tmp_path / "w.yaml").write_text("data: {dataset: diabetes}\ntraining: {epochs: 1, class_weight: balanced}\n")
    with pytest.raises(UserError, match="class weights need classes"):
        fit(load_config(tmp_path / "w.yaml"), runs_dir=tmp_path / "runs", verbose=0)


@pytest.mark.parametrize("data, fix", [
    ({"data": {"dataset": "iris"}, "loss": "binary_crossentropy", "model": {"type": "mlp", "output": {"activation": "softmax"}}},
     "softmax output with loss 'binary_crossentropy'"),
    ({"loss": "binary_crossentropy", "model": {"type": "sequential", "layers": [{"Dense": {"units": 1, "activation": "softmax"}}]}},
     "one-unit softmax"),
    ({"model": {"type": "sequential", "layers": [{"Dense": {"activation": "relu"}}]}},
     "expects probabilities but the output activation is relu"),
])
def test_loss_and_output_pairs_that_cannot_learn_are_refused(data, fix):
    from dltrain.training import check_build

    with pytest.raises(UserError, match=fix):
        check_build(config_from_data({"data": {"dataset": "breast_cancer"}, **data}))  # data may override


def test_validate_build_refuses_a_monitor_keras_will_not_log(tmp_path):
    from dltrain.training import check_build

    (tmp_path / "m.yaml").write_text("data: {dataset: iris}\ntraining: {monitor: val_acc}\n")
    with pytest.raises(UserError, match=r"m.yaml:2: training.monitor: monitor 'val_acc' is not logged; valid names: "
                                        r"accuracy, loss, val_accuracy, val_loss"):
        check_build(load_config(tmp_path / "m.yaml"))


def test_validate_refuses_a_missing_data_path_at_its_line(tmp_path):
    (tmp_path / "p.yaml").write_text("seed: 1\ndata:\n  dataset: csv\n  path: missing.csv\n")
    with pytest.raises(UserError, match=r"p.yaml:4: data.path: missing.csv: no such file or folder"):
        load_config(tmp_path / "p.yaml")


def test_validate_build_of_a_regression_needs_no_data():
    from dltrain.training import check_build

    model = check_build(config_from_data({"data": {"dataset": "diabetes"}}))
    assert model.output_shape == (None, 1) and model.layers[-1].activation.__name__ == "linear"
