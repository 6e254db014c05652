"""Test metrics of a saved model: it takes raw inputs, so only the test data is loaded."""

from __future__ import annotations

import contextlib

from pathlib import Path

import numpy as np

from dltrain import runs
from dltrain.config import load_config, resolve_seed
from dltrain.data import encode_labels, load_test_arrays
from dltrain.data.pipeline import evaluation_dataset
from dltrain.errors import UserError
from dltrain.tf_quiet import keras
from dltrain.training.results import EvalResult


# Suffixes of model files (only .keras is loaded; the others are refused by name, not taken for run ids).
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5", ".pb", ".tflite")


def load_model(path: Path, unsafe: bool = False) -> keras.Model:
    """Loads a ``.keras`` model; code in it (Lambda layers) is refused unless ``unsafe``.

    Raises:
        UserError: the file is missing, not a ``.keras`` file, holds code
            (without ``unsafe``), or is damaged.
    """
    if path.suffix != ".keras":
        raise UserError("only .keras model files are loaded (not .h5 or SavedModel)", file=str(path))
    if not path.is_file():
        raise UserError("model file not found", file=str(path))
    try:
        return keras.saving.load_model(path, safe_mode=not unsafe)
    except Exception as err:  # noqa: BLE001  (Keras raises many types for a bad file)
        message = " ".join(str(err).split())[:200]
        if "safe_mode" in message or "Lambda" in message:
            raise UserError("the model holds code (a Lambda layer), which is not loaded by default; pass "
                            "--unsafe if you trust the file", file=str(path)) from None
        raise UserError(f"cannot load the model ({type(err).__name__}: {message}); the file is damaged "
                        "or was not written by Keras 3", file=str(path)) from None


def _check_fits(model: keras.Model, x: np.ndarray, origin: str) -> None:
    expected = tuple(model.input_shape[1:])
    if tuple(x.shape[1:]) != expected:
        raise UserError(f"the data has samples of shape {tuple(x.shape[1:])} but the model takes {expected}; "
                        "evaluate it with the data it was trained for (--config)", file=origin)


def test_metrics(model: keras.Model, test) -> dict[str, float]:
    """A model's metrics on raw test batches (the model carries its preprocessing).

    One batch per step when the batches fit in one execution and no test step is built
    yet (see :func:`predict_batches`); a model that validated during training keeps its steps.
    """
    with _single_steps(model, test, "test_function"):
        results = model.evaluate(test, verbose=0, return_dict=True)
    return {k: float(v) for k, v in results.items()}


def predict_batches(model: keras.Model, batches) -> np.ndarray:
    """``model.predict`` over ``batches``, one batch per step when they fit in one execution.

    With ``steps_per_execution`` N > 1, Keras's TensorFlow ``predict`` traces a
    graph holding one copy of the model per batch of an execution (up to N;
    ``multi_step_on_data`` in ``keras/src/backend/tensorflow/trainer.py``,
    Keras 3.15), repaid only over many executions. A run predicts its test set
    once; measured here (2 cores, TensorFlow 2.21), a first ``predict`` of 15
    batches took 0.26 s with N = 32 against 0.11 s one batch per step (the
    digits MLP), 0.33 s against 0.15 s (the seed CNN), and 0.83 s against
    0.12 s for the fortunes text model's smoke run.
    """
    with _single_steps(model, batches, "predict_function"):
        return model.predict(batches, verbose=0)


@contextlib.contextmanager
def _single_steps(model: keras.Model, batches, function: str):
    """Runs ``model``'s ``function`` one batch per step while it is needed for these batches only.

    Applies on TensorFlow, for batches that fit in one execution, when the function is not built
    yet (a built one is reused: tracing another would cost more than it saves).
    """
    steps = int(batches.cardinality()) if hasattr(batches, "cardinality") else -1
    kept = model.steps_per_execution
    if (keras.backend.backend() != "tensorflow" or kept <= 1 or not 0 < steps <= kept
            or getattr(model, function, None) is not None):
        yield
        return
    model.steps_per_execution = 1
    try:
        yield
    finally:
        # Keras keeps the built function: one built for single steps would take N batches' list and use the first.
        model.steps_per_execution = kept
        setattr(model, function, None)


def _no_model(run_dir: Path, model: Path) -> UserError:
    """Why a run has no ``model`` file yet, and what to do: the message depends on the run's state."""
    status = runs.run_info(run_dir)
    best = run_dir / runs.BEST
    other = f"evaluate its best checkpoint: dltrain evaluate {best}" if best.is_file() and model != best else \
        "no epoch has completed yet"
    if status.status == "running":
        return UserError(f"the run is still training (no {model.name} yet); wait for it to end, or {other}",
                         file=str(run_dir))
    if status.status == "completed":
        return UserError(f"the run is completed but its {model.name} is missing (moved or deleted?); {other}, or "
                         f"train it again: dltrain reproduce {run_dir}", file=str(run_dir))
    if status.epochs_done:
        return UserError(f"the run is {status.status} after {status.epochs_done} epochs, before writing "
                         f"{model.name}; resume it with dltrain fit --resume {run_dir}, or {other}", file=str(run_dir))
    return UserError(f"the run is {status.status} and no epoch completed, so it has no model; start it again with "
                     "dltrain fit CONFIG", file=str(run_dir))


def _target(target: str | Path, config_path, runs_dir) -> tuple[Path, Path, Path | None]:
    """(model file, config file, run directory or None) for a run ref or a .keras file."""
    path = Path(target)
    if path.suffix.lower() in MODEL_SUFFIXES or path.is_file():  # load_model says what is wrong with it
        run_dir = path.parent if runs.is_run_dir(path.parent) else None
        if run_dir is not None and path.suffix == ".keras" and not path.is_file():
            raise _no_model(run_dir, path)
        return path, Path(config_path or path.parent / runs.CONFIG), run_dir
    run_dir = runs.find_run(runs_dir, target)
    if not (run_dir / runs.MODEL).is_file() or runs.run_info(run_dir).status == "running":
        raise _no_model(run_dir, run_dir / runs.MODEL)
    return run_dir / runs.MODEL, Path(config_path or run_dir / runs.CONFIG), run_dir


def evaluate(target: str | Path, config_path: str | Path | None = None, unsafe: bool = False,
             overrides: list[str] | tuple[str, ...] = (), runs_dir: str | Path = "runs") -> EvalResult:
    """Reloads a trained model and computes its test metrics on raw test data.

    Args:
        target: a run (directory, id or unique id prefix), or a ``.keras`` file.
        config_path: the config that describes the test data (default: the run's ``config.yaml``).
        unsafe: allow models that contain code (Lambda layers).
        overrides: ``--set`` overrides for the config (e.g. another data.test_path).
        runs_dir: where a run id is looked up.

    Returns:
        An :class:`EvalResult`; the metrics are also written to ``evaluate.json`` beside the model.

    Raises:
        UserError: no such run or model, the run is not finished, or the data does not fit the model.
    """
    model_path, config_path, run_dir = _target(target, config_path, runs_dir)
    if not config_path.is_file():
        raise UserError("no config to describe the test data; pass --config CONFIG", file=str(config_path))
    config = load_config(config_path, overrides, check_paths=False)  # only the test data is read
    resolve_seed(config)
    classes = (runs.read_json_if_present(run_dir / runs.RUN) or {}).get("classes") if run_dir else None
    x, y = load_test_arrays(config, classes)
    model = load_model(model_path, unsafe=unsafe)
    _check_fits(model, x, str(config_path))
    num_classes = len(classes) if classes else max(int(y.max()) + 1, int(model.output_shape[-1]))
    keras.utils.set_random_seed(config.seed)
    test = evaluation_dataset(x, encode_labels(y, config, num_classes), config.training.batch_size)
    metrics = test_metrics(model, test)
    fit_metrics = None
    if run_dir is not None and model_path.name == runs.MODEL:
        fit_metrics = (runs.read_json_if_present(run_dir / runs.METRICS) or {}).get("test")
    out = model_path.parent / runs.EVALUATION
    try:
        runs.write_json(out, {"model": str(model_path), "config": str(config_path), "test": metrics, "at": runs.now()})
    except OSError as err:
        raise runs.os_error_message(err, out) from None
    return EvalResult(model_path=model_path, metrics=metrics, written_to=out, fit_metrics=fit_metrics)
