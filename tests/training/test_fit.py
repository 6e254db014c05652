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

# Each test trains a real (tiny) model in-process: seconds each, so the whole module is in the slow part.
pytestmark = pytest.mark.slow


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
    assert not [n for n in names if n.startswith(".") and n != runs.LOCK], "no temporary files left behind"
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
    assert saved.training.steps_per_execution == "auto" and saved.data.scale == "unit"


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
    """best.keras scores on the validation split exactly what its epoch logged, and that epoch is the best."""
    from dltrain.data import load_arrays, prepare

    root, result = finished
    best_epoch = result.best_epoch
    val_acc = result.history["val_accuracy"]
    assert best_epoch == 1 + int(np.argmax(val_acc))  # the first of the best: Keras saves on strict improvement
    config = load_config(result.run_dir / runs.CONFIG)
    prepared = prepare(load_arrays(config), config)
    model = keras.saving.load_model(result.run_dir / runs.BEST)
    scores = model.evaluate(prepared.x_val, prepared.y_val, verbose=0, return_dict=True)
    assert scores["accuracy"] == pytest.approx(val_acc[best_epoch - 1], abs=1e-6)
    assert scores["loss"] == pytest.approx(result.history["val_loss"][best_epoch - 1], rel=1e-5)
    metrics = json.loads((result.run_dir / runs.METRICS).read_text())
    assert metrics["best"]["epoch"] == best_epoch and metrics["best"]["test"] == result.best_test_metrics


def test_evaluate_refuses_code_in_a_model(tmp_path, finished):
    root, _ = finished
    inputs = keras.Input((64,))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Lambda(lambda t: t * 2)(inputs))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(UserError, match="holds code .*pass --unsafe"):
        evaluate(tmp_path / "lambda.keras", root / "tiny.yaml")


def test_evaluate_corrupted_model(tmp_path, finished):
    root, result = finished
    broken = tmp_path / "model.keras"
    broken.write_bytes((result.run_dir / runs.MODEL).read_bytes()[:500])
    with pytest.raises(UserError, match="damaged"):
        evaluate(broken, root / "tiny.yaml")


def test_evaluate_without_config(tmp_path):
    (tmp_path / "m.keras").write_bytes(b"x")
    with pytest.raises(UserError, match="pass --config"):
        evaluate(tmp_path / "m.keras")


def test_two_runs_never_share_a_directory(tiny_config, tmp_path):
    a = runs.create_run_dir(tmp_path / "r", "same")
    b = runs.create_run_dir(tmp_path / "r", "same")
    assert a != b and a.is_dir() and b.is_dir()


def test_the_optimizer_is_built_before_the_first_step_is_traced(tiny_config, tmp_path):
    # Built inside the first trace, its variables make TensorFlow trace the train step twice.
    seen = {}

    class Probe(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):  # after Keras's own build, before the first step
            seen["built"] = self.model.optimizer.built

    fit(load_config(tiny_config, ["training.epochs=1"]), runs_dir=tmp_path, verbose=0, callbacks=[Probe()])
    assert seen == {"built": True}


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
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(keras.Model, "save", boom)
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


def _table(path, rows, rng, shift=0.0):
    """Two features on very different scales; the class is readable only after standardizing."""
    lines = ["income,age,label"]
    for _ in range(rows):
        label = int(rng.integers(0, 2))
        lines.append(f"{50000 + 8000 * (label - 0.5) + rng.normal(0, 3000) + shift:.2f},"
                     f"{40 + rng.normal(0, 12):.2f},{'yes' if label else 'no'}")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    """A CSV run with `scale: standard`, a separate test table, string labels."""
    root = tmp_path_factory.mktemp("table")
    rng = np.random.default_rng(3)
    _table(root / "train.csv", 300, rng)
    _table(root / "test.csv", 120, rng)
    (root / "table.yaml").write_text(
        "seed: 1\n"
        "data: {dataset: csv, path: train.csv, test_path: test.csv, label_column: label, scale: standard,"
        " validation_split: 0.2}\n"
        "model: {type: mlp, hidden_units: [8]}\noptimizer: {Adam: {learning_rate: 0.05}}\n"
        "training: {epochs: 8, batch_size: 32}\n")
    return root, fit(load_config(root / "table.yaml"), runs_dir=root / "runs", verbose=0)


def test_keras_alone_predicts_raw_rows_as_the_run_reported(table_run):
    from dltrain.data.sources import read_csv

    root, result = table_run
    x, y = read_csv(root / "test.csv", "label")
    assert x[:, 0].mean() > 10000  # raw, unscaled income: the model must scale it itself
    for name in (runs.MODEL, runs.BEST):
        model = keras.saving.load_model(result.run_dir / name)  # no dltrain objects needed
        assert "normalization" in {layer.name for layer in model.get_layer("preprocessing").layers}
        predicted = model.predict(x, verbose=0).argmax(axis=-1)  # classes sorted: no = 0, yes = 1
        accuracy = float((predicted == (y == "yes")).mean())
        reported = result.test_metrics if name == runs.MODEL else result.best_test_metrics
        assert accuracy == pytest.approx(reported["accuracy"], abs=1e-6)
    assert result.test_metrics["accuracy"] > 0.8
    assert keras.saving.load_model(result.run_dir / runs.MODEL).count_params() == result.parameters


def test_evaluate_needs_only_the_test_data(table_run, tmp_path):
    import shutil

    root, result = table_run
    moved = tmp_path / "only-test"
    moved.mkdir()
    shutil.copy(root / "test.csv", moved / "test.csv")
    run_copy = shutil.copytree(result.run_dir, tmp_path / "run")
    config = load_config(run_copy / runs.CONFIG)
    config_text = (run_copy / runs.CONFIG).read_text().replace(config.data.path, str(moved / "gone.csv"))
    (run_copy / runs.CONFIG).write_text(config_text.replace(config.data.test_path, str(moved / "test.csv")))
    ev = evaluate(run_copy)  # the training table does not exist
    assert ev.metrics["accuracy"] == pytest.approx(result.test_metrics["accuracy"], abs=1e-6)


def test_stages_and_epoch_lines_tell_the_truth(tiny_config, tmp_path, capsys):
    fit(load_config(tiny_config), runs_dir=tmp_path / "runs", verbose=2)
    captured = capsys.readouterr()
    stages = ["reading the data", "building the model", "compiling", "training", "saving the final model",
              "evaluating on the test set"]
    positions = [captured.out.index(s) for s in stages]
    assert captured.err == ""  # stderr is for errors only
    assert positions == sorted(positions)
    epoch_lines = [line for line in captured.out.splitlines() if line.startswith("Epoch ")]
    assert [line.split()[1] for line in epoch_lines] == ["1/3", "2/3", "3/3"]
    for line in epoch_lines:
        assert "loss" in line and "val_accuracy" in line
        assert "learning_rate" not in line and "epoch_seconds" not in line


def test_result_says_which_model_the_test_metrics_describe(finished):
    _, result = finished
    data = result.as_dict()
    assert data["test_model"] == "model.keras" and data["epochs_planned"] == 4 and data["stopped_early"] is False
    assert data["best"]["epoch"] == result.best_epoch and set(data["best"]["test"]) == {"loss", "accuracy"}
