"""fit and evaluate, in-process on tiny generated data."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from dltrain import runs
from dltrain.config import load_config
from dltrain.errors import UserError
from dltrain.tf_quiet import keras
from dltrain.training import evaluate, fit


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One tiny run shared by the read-only tests below."""
    from conftest import tiny_images

    root = tmp_path_factory.mktemp("fit")
    x_train, y_train = tiny_images(240, seed=1)
    x_test, y_test = tiny_images(60, seed=2)
    np.savez(root / "tiny.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    (root / "tiny.yaml").write_text(
        "seed: 7\n"
        "data: {dataset: npz, path: tiny.npz, validation_split: 0.2}\n"
        "model: {type: mlp, hidden_units: [16]}\n"
        "optimizer: {Adam: {learning_rate: 0.01}}\n"
        "metrics: [accuracy]\n"
        "training:\n  epochs: 4\n  batch_size: 32\n  monitor: val_accuracy\n"
        "  callbacks:\n    - ReduceLROnPlateau: {monitor: loss, factor: 0.5, patience: 0, min_delta: 10}\n"
    )
    result = fit(load_config(root / "tiny.yaml"), runs_dir=root / "runs", verbose=0)
    return root, result


def test_run_directory_has_every_file(finished):
    _, result = finished
    names = {p.name for p in result.run_dir.iterdir()}
    assert {runs.CONFIG, runs.RUN, runs.ENVIRONMENT, runs.SUMMARY, runs.HISTORY, runs.BEST, runs.MODEL, runs.METRICS} <= names
    assert not [n for n in names if n.startswith(".")], "no temporary files left behind"
    assert result.run_dir.name.endswith("-tiny")


def test_history_csv_has_every_metric_lr_and_time(finished):
    _, result = finished
    rows = list(csv.DictReader(open(result.run_dir / runs.HISTORY)))
    assert len(rows) == 4
    assert {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "epoch_seconds"} <= set(rows[0])
    lrs = [float(r["learning_rate"]) for r in rows]
    # ReduceLROnPlateau with an impossible min_delta halves the rate after every epoch.
    assert lrs == pytest.approx([0.01, 0.005, 0.0025, 0.00125])
    assert all(float(r["epoch_seconds"]) > 0 for r in rows)


def test_metrics_status_and_environment(finished):
    _, result = finished
    metrics = json.loads((result.run_dir / runs.METRICS).read_text())
    assert set(metrics["test"]) == {"loss", "accuracy"} and metrics["test"] == result.test_metrics
    assert metrics["best"]["monitor"] == "val_accuracy" and metrics["best"]["value"] == max(result.history["val_accuracy"])
    assert result.test_metrics["accuracy"] > 0.8  # the tiny task is learnable
    status = json.loads((result.run_dir / runs.RUN).read_text())
    assert status["status"] == "completed" and status["duration_seconds"] > 0
    env = json.loads((result.run_dir / runs.ENVIRONMENT).read_text())
    assert env["seed"] == 7 and env["keras"] == keras.__version__ and env["tensorflow"] and env["python"]


def test_saved_config_is_resolved_and_reloads(finished):
    root, result = finished
    saved = load_config(result.run_dir / runs.CONFIG)
    assert saved.data.path == str((root / "tiny.npz").resolve())  # absolute: reloads from anywhere
    assert saved.training.steps_per_execution == 32 and saved.data.scale == "unit"


def test_summary_names_the_layers(finished):
    _, result = finished
    text = (result.run_dir / runs.SUMMARY).read_text()
    assert "Dense" in text and f"{result.parameters:,}" in text


def test_evaluate_run_dir_matches_fit(finished):
    _, result = finished
    ev = evaluate(result.run_dir)
    for name, value in result.test_metrics.items():
        assert ev.metrics[name] == pytest.approx(value, rel=1e-6, abs=1e-7)
    written = json.loads((result.run_dir / runs.EVALUATION).read_text())
    assert written["test"] == ev.metrics


def test_evaluate_a_model_file_with_a_config(finished):
    root, result = finished
    ev = evaluate(result.run_dir / runs.BEST, root / "tiny.yaml")
    assert set(ev.metrics) == {"loss", "accuracy"}


def test_best_checkpoint_is_the_best_epoch(finished):
    root, result = finished
    ev = evaluate(result.run_dir / runs.BEST, root / "tiny.yaml")
    assert ev.metrics["accuracy"] > 0.5


def test_evaluate_refuses_code_in_a_model(tmp_path, finished):
    root, _ = finished
    inputs = keras.Input((64,))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Lambda(lambda t: t * 2)(inputs))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(UserError, match="cannot load the model"):
        evaluate(tmp_path / "lambda.keras", root / "tiny.yaml")


def test_evaluate_corrupted_model(tmp_path, finished):
    root, result = finished
    broken = tmp_path / "model.keras"
    broken.write_bytes((result.run_dir / runs.MODEL).read_bytes()[:500])
    with pytest.raises(UserError, match="corrupted"):
        evaluate(broken, root / "tiny.yaml")


def test_evaluate_without_config(tmp_path):
    (tmp_path / "m.keras").write_bytes(b"x")
    with pytest.raises(UserError, match="pass --config"):
        evaluate(tmp_path / "m.keras")


def test_two_runs_never_share_a_directory(tiny_config, tmp_path):
    a = runs.create_run_dir(tmp_path / "r", "same")
    b = runs.create_run_dir(tmp_path / "r", "same")
    assert a != b and a.is_dir() and b.is_dir()


def test_monitor_that_is_not_logged_lists_valid_names(write_config, npz_file, tmp_path):
    path = write_config(
        f"data: {{dataset: npz, path: {npz_file}, validation_split: 0}}\n"
        "training:\n  epochs: 1\n  monitor: val_accuracy\n"
    )
    with pytest.raises(UserError) as info:
        fit(load_config(path), runs_dir=tmp_path / "runs", verbose=0)
    msg = str(info.value)
    assert "config.yaml:4: training.monitor: monitor 'val_accuracy' is not logged (there is no validation data)" in msg
    assert "valid names: accuracy, loss" in msg or "valid names: loss, accuracy" in msg
    assert not (tmp_path / "runs").exists()


def test_callback_monitor_is_checked(write_config, npz_file, tmp_path):
    path = write_config(
        f"data: {{dataset: npz, path: {npz_file}, validation_split: 0}}\n"
        "training:\n  epochs: 1\n  callbacks:\n    - EarlyStopping: {patience: 1}\n"
    )
    with pytest.raises(UserError, match=r"config.yaml:5: training.callbacks\[0\]: EarlyStopping monitors 'val_loss', which is not logged"):
        fit(load_config(path), runs_dir=tmp_path / "runs", verbose=0)
    assert not (tmp_path / "runs").exists()


def test_mse_and_one_hot_labels_train(write_config, npz_file, tmp_path):
    path = write_config(
        f"data: {{dataset: npz, path: {npz_file}}}\nloss: mse\noptimizer: sgd\n"
        "model: {type: mlp, hidden_units: [8], activation: sigmoid}\ntraining: {epochs: 1}\n"
    )
    result = fit(load_config(path), runs_dir=tmp_path / "runs", verbose=0)
    assert np.isfinite(result.test_metrics["loss"])


def test_cnn_on_images(write_config, npz_file, tmp_path):
    path = write_config(
        f"data: {{dataset: npz, path: {npz_file}}}\n"
        "model: {type: cnn, conv_blocks: [{filters: 4, kernel_size: 3, pool_size: 2}], hidden_units: [8], dropout: 0.2, batch_norm: true}\n"
        "training: {epochs: 1, batch_size: 64, steps_per_execution: 4}\n"
    )
    result = fit(load_config(path), runs_dir=tmp_path / "runs", verbose=0)
    assert result.epochs_run == 1


def test_failed_training_is_marked_failed(write_config, npz_file, tmp_path, monkeypatch):
    import dltrain.training as training

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(training.keras.Model, "save", boom)
    path = write_config(f"data: {{dataset: npz, path: {npz_file}}}\ntraining: {{epochs: 1}}\n")
    with pytest.raises(RuntimeError):
        fit(load_config(path), runs_dir=tmp_path / "runs", verbose=0)
    (run_dir,) = (tmp_path / "runs").iterdir()
    status = json.loads((run_dir / runs.RUN).read_text())
    assert status["status"] == "failed" and "disk on fire" in status["reason"]


def test_random_seed_is_recorded(write_config, npz_file, tmp_path):
    path = write_config(f"seed: null\ndata: {{dataset: npz, path: {npz_file}}}\ntraining: {{epochs: 1}}\n")
    result = fit(load_config(path), runs_dir=tmp_path / "runs", verbose=0)
    saved = load_config(result.run_dir / runs.CONFIG)
    assert isinstance(saved.seed, int)
    assert json.loads((result.run_dir / runs.ENVIRONMENT).read_text())["seed"] == saved.seed
