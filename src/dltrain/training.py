"""Training and evaluation: one explicit pipeline, top to bottom.

:func:`fit` reads as the seed scripts do — load data → build → compile → fit
→ evaluate → save — with what those scripts leave out: checks before anything
is written, a run directory that records everything, and a status that stays
true when training fails or is interrupted.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dltrain import checkpoints, runs, tracking
from dltrain.config import Config, data_path, flatten, load_config, resolve_seed
from dltrain.data import Prepared, load_arrays, model_input_shape, prepare, sample_spec, synthetic_arrays
from dltrain.data.pipeline import evaluation_dataset, steps_for, training_dataset
from dltrain.environment import describe
from dltrain.errors import Interrupted, TrainingFailed, UserError, format_key
from dltrain.report import read_history
from dltrain.models import build_model, compile_model, make_callbacks, summary_text
from dltrain.tf_quiet import keras, tf


@dataclass
class FitResult:
    """What a finished ``fit`` produced."""

    run_dir: Path
    history: dict[str, list[float]]
    test_metrics: dict[str, float]
    monitor: str
    best_value: float | None
    epochs_run: int
    seconds: float
    parameters: int = 0
    smoke: bool = False

    def as_dict(self) -> dict:
        """The result as JSON-ready data (for ``--json``)."""
        return {
            "status": "completed",
            "run_dir": str(self.run_dir),
            "smoke": self.smoke,
            "epochs": self.epochs_run,
            "seconds": round(self.seconds, 3),
            "parameters": self.parameters,
            "best": {"monitor": self.monitor, "value": self.best_value},
            "test": self.test_metrics,
        }


@dataclass
class EvalResult:
    """Test metrics of a saved model, and where they were written."""

    model_path: Path
    metrics: dict[str, float]
    written_to: Path
    fit_metrics: dict[str, float] | None = field(default=None)

    def as_dict(self) -> dict:
        """The result as JSON-ready data (for ``--json``)."""
        return {"status": "completed", "model": str(self.model_path), "test": self.metrics,
                "at_fit": self.fit_metrics, "written_to": str(self.written_to)}


class EpochStats(keras.callbacks.Callback):
    """Adds the learning rate and the epoch's wall time to each epoch's logs.

    It runs before HistoryCSV and History, which then record both.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        logs["learning_rate"] = float(keras.ops.convert_to_tensor(self.model.optimizer.learning_rate))
        logs["epoch_seconds"] = round(time.perf_counter() - self._start, 4)
        # With oneDNN a Dense(relu) can turn NaN inputs into 0s: the loss stays
        # finite while the weights are NaN (KERAS_NOTES.md). Check them once an epoch.
        # Reduced on the device: no host copy of every weight each epoch.
        if not all(bool(keras.ops.all(keras.ops.isfinite(w))) for w in self.model.trainable_weights):
            raise TrainingFailed(f"the weights became NaN or infinite in epoch {epoch + 1}; "
                                 "lower the learning rate or check the data")


class EpochOrder(keras.callbacks.Callback):
    """Tells the training data which epoch starts, so it shuffles for (seed, epoch)."""

    def __init__(self, data):
        super().__init__()
        self.data = data

    def on_epoch_begin(self, epoch, logs=None):
        self.data.set_epoch(epoch)


class HistoryCSV(keras.callbacks.Callback):
    """Appends one row per epoch to history.csv, flushed to disk at once.

    Keras's CSVLogger invents `val_*` columns filled with 'NA' when there is no
    validation data; this writes exactly the logged values, in logging order.
    """

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.keys: list[str] | None = None
        if path.is_file():  # resuming: keep the columns already there
            with open(path, newline="") as f:
                header = next(csv.reader(f), None)
            self.keys = header[1:] if header else None

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        new_file = self.keys is None or not self.path.is_file()
        if self.keys is None:
            self.keys = list(logs)
        with open(self.path, "a", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            if new_file:
                writer.writerow(["epoch", *self.keys])
            writer.writerow([epoch, *(_csv_value(logs.get(k)) for k in self.keys)])
            f.flush()
            os.fsync(f.fileno())


def _csv_value(value) -> str:
    return "" if value is None else repr(float(value))


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training at the first batch whose loss is NaN or infinite.

    Unlike TerminateOnNaN's graceful stop, it raises, so nothing after it
    (a last checkpoint, the end-of-training hooks) overwrites the last good
    state (keras#21771).
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            raise TrainingFailed(
                f"the loss became {float(loss)} in epoch {self._epoch + 1}, batch {batch + 1}; the state of the "
                "last complete epoch is kept. Lower the learning rate or check the data for extreme values"
            )


def _default_monitor(config: Config, prepared: Prepared) -> str:
    return config.training.monitor or ("val_loss" if prepared.x_val is not None else "loss")


def logged_names(model: keras.Model, prepared: Prepared, config: Config) -> list[str]:
    """The names ``fit`` will log, read from Keras by evaluating one batch.

    This also catches, before any run directory exists, a loss or output that
    does not fit the labels.
    """
    n = min(len(prepared.x_train), config.training.batch_size)
    one_batch = evaluation_dataset(prepared.x_train[:n], prepared.y_train[:n], n, prepared.scale)
    try:
        names = list(model.evaluate(one_batch, verbose=0, return_dict=True))
    except (ValueError, TypeError, tf.errors.InvalidArgumentError) as err:
        message = " ".join(str(err).split())[:300]
        raise config.error(
            f"the model's output does not fit the labels for loss '{config.loss.name}': {message}", "loss"
        ) from None
    if prepared.x_val is not None:
        names += [f"val_{name}" for name in names]
    return names


def _check_monitors(config: Config, callbacks: list, names: list[str], monitor: str) -> None:
    valid = ", ".join(names)
    if monitor not in names:
        why = " (there is no validation data)" if monitor.startswith("val_") and not any(
            n.startswith("val_") for n in names) else ""
        raise config.error(f"monitor '{monitor}' is not logged{why}; valid names: {valid}", "training", "monitor")
    for i, cb in enumerate(callbacks):
        watched = getattr(cb, "monitor", None)
        if isinstance(watched, str) and watched not in names:
            raise config.error(
                f"{type(cb).__name__} monitors '{watched}', which is not logged; set monitor to one of: {valid}",
                "training", "callbacks", i,
            )


def _resolved_for_run(config: Config) -> Config:
    """The config as the run saves it: data paths made absolute, so it reloads anywhere."""
    saved = config.model_copy(deep=True)
    for key in ("path", "test_path"):
        value = getattr(saved.data, key)
        if value:
            setattr(saved.data, key, str(data_path(config, value).resolve()))
    return saved


def _config_header(config: Config) -> str:
    lines = [f"# The resolved config of this run: {config.source or 'built in code'}, every default filled in."]
    lines += [f"# override: --set {text}" for text in config.overrides]
    return "\n".join(lines) + "\n"


def _verbosity() -> int:
    # A live progress bar on a terminal; one line per epoch in logs and CI.
    return 1 if sys.stdout.isatty() else 2


SMOKE_BATCHES = 2  # training and validation batches a smoke run takes


def _arrays(config: Config, smoke: bool, synthetic: bool):
    """The dataset; for a smoke run a slice of it (or generated data of its shape)."""
    batch = config.training.batch_size
    # Enough samples for the validation split to hold a couple of batches too.
    n_train, n_test = 4 * SMOKE_BATCHES * batch, SMOKE_BATCHES * batch
    if synthetic:
        return synthetic_arrays(config, n_train, n_test)
    arrays = load_arrays(config, download=not smoke)  # a smoke run never waits on a download
    return arrays.head(n_train, n_test) if smoke else arrays


def _check_finite(history: dict, test_metrics: dict) -> None:
    for epoch, loss in enumerate(history.get("loss", []), start=1):
        if not np.isfinite(loss):
            raise TrainingFailed(f"the training loss became {loss} in epoch {epoch}; lower the learning rate "
                                 "or check the data for extreme values")
    if not np.isfinite(test_metrics.get("loss", 0.0)):
        raise TrainingFailed(f"the test loss is {test_metrics['loss']}; the model diverged")


def config_differences(old: Config, new: Config) -> list[str]:
    """Each key whose value differs between two configs, as 'key: old → new'."""
    a = flatten(_resolved_for_run(old).resolved())
    b = flatten(_resolved_for_run(new).resolved())
    return [f"{format_key(k)}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b), key=str)
            if a.get(k) != b.get(k)]


def _resume_config(run_dir: Path, config: Config | None, force: bool) -> tuple[Config, list[str]]:
    """The config a resume continues with: the run's own, or a changed one with --force."""
    if not (run_dir / runs.CONFIG).is_file():
        raise UserError("not a run directory (no config.yaml); give the directory `dltrain fit` created",
                        file=str(run_dir))
    saved = load_config(run_dir / runs.CONFIG)
    if config is None:
        return saved, []
    if config.seed is None:
        config.seed = saved.seed  # a random seed was drawn once, at the start, and recorded
    changes = config_differences(saved, config)
    if changes and not force:
        raise UserError(
            f"the config differs from the run's ({'; '.join(changes)}); resume without changes, "
            "or pass --force to resume with them (they are recorded in run.json)",
            file=str(run_dir / runs.CONFIG),
        )
    return config, changes


def _history_rows(path: Path, before_epoch: int | None = None) -> list[dict]:
    """history.csv's complete rows (a kill can leave a partial last line)."""
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if None not in r.values() and r.get("epoch", "").isdigit()]
    return [r for r in rows if before_epoch is None or int(r["epoch"]) < before_epoch]


def _truncate_history(path: Path, epochs_done: int) -> None:
    """Keeps the rows of the epochs already done, so each epoch appears once."""
    rows = _history_rows(path, epochs_done)
    if not rows:
        path.unlink(missing_ok=True)
        return
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    runs.write_text(path, out.getvalue())


def _resume_point(run_dir: Path, config: Config | None, force: bool):
    """(config, its changes from the run's, the last saved state) for a resume; checks there is work left."""
    config, changes = _resume_config(run_dir, config, force)
    saved_state = checkpoints.latest_state(run_dir)
    if saved_state is None:
        raise UserError("nothing to resume: no epoch of this run completed; start it again with dltrain fit",
                        file=str(run_dir))
    if saved_state.epochs_done >= config.training.epochs:
        raise UserError(f"the run already trained all {config.training.epochs} epochs; to train longer, "
                        f"resume with --set training.epochs=N --force", file=str(run_dir))
    return config, changes, saved_state


def _build(config: Config, prepared: Prepared, seed: int) -> keras.Model:
    """The compiled model, its variables placed by the distribution strategy in force."""
    keras.utils.set_random_seed(seed)
    strategy = tf.distribute.get_strategy()  # the default one; a real strategy slots in here
    with strategy.scope():
        model = build_model(config, prepared.input_shape, prepared.num_classes, prepared.label_encoding)
        compile_model(model, config)  # a resume restores the variables once fit starts (TrainingState)
    return model


def _record_start(run_dir: Path, config: Config, seed: int, argv, model: keras.Model, write_config: bool) -> None:
    """What a run records before its first epoch: config, environment, model summary."""
    if write_config:
        runs.write_text(run_dir / runs.CONFIG, _config_header(config) + _resolved_for_run(config).to_yaml())
    runs.write_json(run_dir / runs.ENVIRONMENT, describe(seed, argv, config.source))
    runs.write_text(run_dir / runs.SUMMARY, summary_text(model))


def fit(
    config: Config | None,
    runs_dir: str | Path = "runs",
    argv: list[str] | None = None,
    verbose: int | None = None,
    smoke: bool = False,
    synthetic: bool = False,
    resume: str | Path | None = None,
    force: bool = False,
) -> FitResult:
    """Trains the model a config describes and writes a new run directory.

    Everything that can be checked is checked before the run directory is
    created, so a bad config or dataset leaves nothing behind. The state is
    saved after every epoch, so an interrupted or killed run can be resumed.

    Args:
        config: the validated config (None to resume with the run's own).
        runs_dir: where run directories are created.
        argv: the command line to record (default: ``sys.argv``).
        verbose: Keras's verbosity (default: a progress bar on a terminal,
            one line per epoch otherwise).
        smoke: a quick check: one epoch of a couple of batches on a slice of
            the real data, then a slice of the test set. The run directory is
            marked as a smoke run.
        synthetic: with ``smoke``, generated data of the dataset's shape and
            classes instead of the real data.
        resume: a run directory to continue from its last completed epoch,
            in place; ``training.epochs`` stays the total.
        force: resume even though ``config`` differs from the run's.

    Returns:
        A :class:`FitResult`.

    Raises:
        UserError: the config, data or model is wrong; no run directory is left.
        TrainingFailed: the loss or the weights became NaN or infinite; the
            run is marked failed and its last good state kept.
        Interrupted: Ctrl-C or SIGTERM; the run is marked interrupted.
    """
    changes: list[str] = []
    saved_state = None
    if resume is not None:
        run_dir = Path(resume)
        config, changes, saved_state = _resume_point(run_dir, config, force)
    seed = resolve_seed(config)
    if config.training.deterministic:
        tf.config.experimental.enable_op_determinism()
    prepared = prepare(_arrays(config, smoke, synthetic), config)
    model = _build(config, prepared, seed)
    user_callbacks = make_callbacks(config)
    tracking.check_available(config)
    monitor = _default_monitor(config, prepared)
    _check_monitors(config, user_callbacks, logged_names(model, prepared, config), monitor)

    batch_size, epochs = config.training.batch_size, 1 if smoke else config.training.epochs
    initial_epoch = saved_state.epochs_done if saved_state else 0
    train = training_dataset(prepared.x_train, prepared.y_train, batch_size, seed, config.data.shuffle, prepared.scale)
    val_ds = None if prepared.x_val is None else evaluation_dataset(prepared.x_val, prepared.y_val, batch_size,
                                                                    prepared.scale)

    if resume is None:
        run_dir = runs.create_run_dir(runs_dir, config.name + ("-smoke" if smoke else ""))
        status = runs.RunStatus(run_dir, smoke=smoke, synthetic=synthetic)
    else:
        status = runs.RunStatus.resumed(run_dir, initial_epoch, changes)
    tracker = None
    try:
        _record_start(run_dir, config, seed, argv, model, write_config=resume is None or bool(changes))
        _truncate_history(run_dir / runs.HISTORY, initial_epoch)
        checkpoint = checkpoints.BestCheckpoint(run_dir / runs.BEST, monitor)
        tracker = tracking.MLflowLogger(config, run_dir) if config.tracking.mlflow else None
        callbacks = [
            EpochOrder(train),
            *user_callbacks,
            EpochStats(),
            NonFiniteGuard(),
            checkpoint,
            HistoryCSV(run_dir / runs.HISTORY),
            # Per-epoch scalars only: no graph, no profiler, nothing per step.
            keras.callbacks.TensorBoard(run_dir / runs.TENSORBOARD, update_freq="epoch", write_graph=False,
                                        profile_batch=0),
            *([tracker] if tracker else []),
            checkpoints.TrainingState(run_dir, [*user_callbacks, checkpoint], saved_state),  # last: see its doc
        ]
        started = time.perf_counter()
        model.fit(
            train.dataset,
            epochs=epochs,
            initial_epoch=initial_epoch,
            steps_per_epoch=min(train.steps_per_epoch, SMOKE_BATCHES) if smoke else None,
            shuffle=False,  # the pipeline already reshuffles per (seed, epoch)
            validation_data=val_ds,
            validation_steps=min(SMOKE_BATCHES, steps_for(len(prepared.x_val), batch_size)) if smoke and val_ds is not None else None,
            callbacks=callbacks,
            verbose=_verbosity() if verbose is None else verbose,
        )
        seconds = time.perf_counter() - started
        checkpoints.save_model_atomically(model, run_dir / runs.MODEL)
        test_metrics = _evaluate(model, prepared, batch_size)
        best = None if checkpoint.best is None or not np.isfinite(checkpoint.best) else float(checkpoint.best)
        runs.write_json(run_dir / runs.METRICS, {"test": test_metrics, "best": {"monitor": monitor, "value": best}})
        _save_predictions(model, prepared, batch_size, run_dir / runs.PREDICTIONS)
        history = read_history(run_dir / runs.HISTORY)
        history.pop("epoch", None)
        _check_finite(history, test_metrics)
    except KeyboardInterrupt as err:
        how = getattr(err, "signal_name", "SIGINT")
        status.end("interrupted", f"{how} during training")
        if tracker:
            tracker.finish("interrupted")
        raise Interrupted(run_dir, how) from None
    except UserError as err:
        if resume is None:
            shutil.rmtree(run_dir, ignore_errors=True)  # a user's mistake leaves nothing behind
        else:
            status.end("failed", str(err)[:500])
        raise
    except OSError as err:
        status.end("failed", f"{type(err).__name__}: {err}"[:500])
        raise UserError(f"cannot write the run: {err.strerror or err}; free some disk space or choose another "
                        "--runs-dir", file=str(run_dir)) from None
    except BaseException as err:
        status.end("failed", f"{type(err).__name__}: {err}"[:500])
        if tracker:
            tracker.finish("failed")
        raise
    status.end("completed")
    write_report(run_dir)
    if tracker:
        tracker.finish("completed")
    return FitResult(
        run_dir=run_dir,
        history=history,
        test_metrics=test_metrics,
        monitor=monitor,
        best_value=best,
        epochs_run=len(history.get("loss", [])),
        seconds=seconds,
        parameters=model.count_params(),
        smoke=smoke,
    )


# How far a non-deterministic re-run's test metrics may drift (absolute): thread
# scheduling changes float sums, so two runs of one seed differ slightly.
REPRODUCE_TOLERANCE = 0.02


@dataclass
class ReproduceResult:
    """A re-run of a finished run's config, compared with the original."""

    original_dir: Path
    rerun: FitResult
    original_metrics: dict[str, float]
    tolerance: float

    @property
    def matches(self) -> bool:
        """True if every test metric agrees within the tolerance (exactly when 0)."""
        return all(
            name in self.rerun.test_metrics and abs(self.rerun.test_metrics[name] - value) <= self.tolerance
            for name, value in self.original_metrics.items()
        )

    def as_dict(self) -> dict:
        """The comparison as JSON-ready data."""
        return {"status": "completed", "original": str(self.original_dir), "rerun": str(self.rerun.run_dir),
                "tolerance": self.tolerance, "matches": self.matches,
                "test": {"original": self.original_metrics, "rerun": self.rerun.test_metrics}}


def reproduce(run_dir: str | Path, runs_dir: str | Path | None = None, verbose: int | None = None) -> ReproduceResult:
    """Re-runs a finished run's saved config in a new run directory and compares.

    With ``training.deterministic`` the test metrics must match exactly;
    otherwise within :data:`REPRODUCE_TOLERANCE`.

    Raises:
        UserError: the directory is not a finished run.
    """
    run_dir = Path(run_dir)
    if not (run_dir / runs.METRICS).is_file() or not (run_dir / runs.CONFIG).is_file():
        raise UserError("not a finished run (no metrics.json or config.yaml); give a run directory `dltrain fit` "
                        "completed", file=str(run_dir))
    original = runs.read_json(run_dir / runs.METRICS)["test"]
    config = load_config(run_dir / runs.CONFIG)
    rerun = fit(config, runs_dir=runs_dir or run_dir.parent, verbose=verbose)
    tolerance = 0.0 if config.training.deterministic else REPRODUCE_TOLERANCE
    return ReproduceResult(run_dir, rerun, original, tolerance)


def check_build(config: Config) -> keras.Model:
    """Builds and compiles the model without loading the data (``validate --build``).

    The input shape and class count of a built-in dataset are known in advance;
    a local file is read for them.

    Raises:
        UserError: the model cannot be built for the data's shape, or a layer,
            loss, optimizer, metric or callback is wrong.
    """
    sample_shape, num_classes = sample_spec(config)
    model = build_model(config, model_input_shape(config, sample_shape), num_classes, config.label_encoding(num_classes))
    compile_model(model, config)
    make_callbacks(config)
    return model


def _save_predictions(model: keras.Model, prepared: Prepared, batch_size: int, path: Path) -> None:
    """The test set's true and predicted classes, for the confusion matrix and per-class scores."""
    probabilities = model.predict(evaluation_dataset(prepared.x_test, prepared.y_test, batch_size, prepared.scale),
                                  verbose=0)
    if prepared.label_encoding == "binary":
        predicted = (probabilities.reshape(-1) > 0.5).astype(np.int32)
        true = prepared.y_test.reshape(-1).astype(np.int32)
    else:
        predicted = probabilities.argmax(axis=-1).astype(np.int32)
        true = prepared.y_test if prepared.label_encoding == "sparse" else prepared.y_test.argmax(axis=-1)
    with runs.atomic(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, y_true=np.asarray(true, np.int32), y_pred=predicted,
                 class_names=np.array(prepared.class_names or [str(i) for i in range(prepared.num_classes)]))


def write_report(run_dir: Path) -> None:
    """Plots and the HTML report; a failure here never costs the finished run."""
    from dltrain import report

    try:
        report.write_run_report(run_dir)
    except Exception as err:  # noqa: BLE001  (the model and metrics are saved; say what went wrong and go on)
        print(f"warning: the report of {run_dir} could not be written: {type(err).__name__}: {err}", file=sys.stderr)


def _evaluate(model: keras.Model, prepared: Prepared, batch_size: int) -> dict[str, float]:
    test_ds = evaluation_dataset(prepared.x_test, prepared.y_test, batch_size, prepared.scale)
    return {k: float(v) for k, v in model.evaluate(test_ds, verbose=0, return_dict=True).items()}


def load_model(path: Path, unsafe: bool = False) -> keras.Model:
    """Loads a ``.keras`` model; code in it (Lambda layers) is refused unless ``unsafe``.

    Raises:
        UserError: the file is missing, not a ``.keras`` file, or corrupted.
    """
    if path.suffix != ".keras":
        raise UserError("only .keras model files are loaded (not .h5 or SavedModel)", file=str(path))
    if not path.is_file():
        raise UserError("model file not found", file=str(path))
    try:
        return keras.saving.load_model(path, safe_mode=not unsafe)
    except Exception as err:  # noqa: BLE001  (Keras raises many types for a bad file)
        message = " ".join(str(err).split())[:200]
        raise UserError(f"cannot load the model ({type(err).__name__}: {message}); the file is corrupted "
                        "or was not written by Keras 3", file=str(path)) from None


def evaluate(
    target: str | Path, config_path: str | Path | None = None, unsafe: bool = False, overrides: list[str] = ()
) -> EvalResult:
    """Reloads a trained model and computes its test metrics.

    Args:
        target: a run directory, or a ``.keras`` file.
        config_path: the config that describes the data (default: the run's
            ``config.yaml``).
        unsafe: allow models that contain code (Lambda layers).
        overrides: ``--set`` overrides for the config (e.g. another data.path).

    Returns:
        An :class:`EvalResult`; the metrics are also written to
        ``evaluate.json`` beside the model.
    """
    target = Path(target)
    if target.is_dir():
        model_path = target / runs.MODEL
        config_path = config_path or target / runs.CONFIG
    else:
        model_path = target
        config_path = config_path or target.parent / runs.CONFIG
    if not Path(config_path).is_file():
        raise UserError("no config to describe the test data; pass --config CONFIG", file=str(config_path))
    config = load_config(config_path, overrides)
    resolve_seed(config)
    prepared = prepare(load_arrays(config), config)
    model = load_model(model_path, unsafe=unsafe)
    keras.utils.set_random_seed(config.seed)
    metrics = _evaluate(model, prepared, config.training.batch_size)
    out = model_path.parent / runs.EVALUATION
    fit_metrics = None
    if (model_path.parent / runs.METRICS).is_file() and model_path.name == runs.MODEL:
        fit_metrics = runs.read_json(model_path.parent / runs.METRICS).get("test")
    runs.write_json(out, {"model": str(model_path), "config": str(config_path), "test": metrics, "at": runs.now()})
    return EvalResult(model_path=model_path, metrics=metrics, written_to=out, fit_metrics=fit_metrics)
