"""The end of a run: the final model, test metrics of the final and best models, the report.

Each step can be killed; a resume redoes all of them from the saved state
(see :mod:`dltrain.training.resume`), so a run never stays without
``model.keras`` or ``metrics.json`` once training ended.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from dltrain import runs
from dltrain.data.bundle import DataBundle
from dltrain.errors import TrainingFailed
from dltrain.tf_quiet import keras
from dltrain.training.callbacks import save_model_atomically
from dltrain.training.console import stage
from dltrain.training.evaluate import load_model, predict_batches, test_metrics
from dltrain.training.resume import mark_training_ended
from dltrain.training.scoring import Scoring, holds_weights_of, scoring, weights_of
from dltrain.training.results import FitResult


def check_finite(history: dict, metrics: dict) -> None:
    """Refuses to call a run completed whose losses are not finite."""
    for epoch, loss in enumerate(history.get("loss", []), start=1):
        if not np.isfinite(loss):
            raise TrainingFailed(f"the training loss became {loss} in epoch {epoch}; lower the learning rate "
                                 "or check the data for extreme values")
    if not np.isfinite(metrics.get("loss", 0.0)):
        raise TrainingFailed(f"the test loss is {metrics['loss']}; the model diverged")


def save_predictions(model: keras.Model, data: DataBundle, run_dir: Path, test=None) -> np.ndarray:
    """The test set's true and predicted values (and probabilities), for the report; returns the outputs.

    ``test``: the batches ``model`` takes (default: the raw test batches).
    """
    outputs = predict_batches(model, data.test if test is None else test)
    if data.task == "regression":
        runs.write_predictions(run_dir, data.y_test.reshape(-1), outputs.reshape(-1), [])
        return outputs
    if data.label_encoding == "binary":
        predicted = (outputs.reshape(-1) > 0.5).astype(np.int32)
        true = data.y_test.reshape(-1).astype(np.int32)
    else:
        predicted = outputs.argmax(axis=-1).astype(np.int32)
        true = data.y_test if data.label_encoding == "sparse" else data.y_test.argmax(axis=-1)
    runs.write_predictions(run_dir, np.asarray(true, np.int32), predicted, data.class_names, outputs)
    return outputs


def has_task_metrics(data: DataBundle) -> bool:
    """Whether :func:`task_metrics` scores anything (and so needs the model's predictions)."""
    return data.task == "regression" or data.num_classes == 2


def task_metrics(data: DataBundle, outputs: np.ndarray) -> dict[str, float]:
    """Scores Keras does not log: MAE, RMSE and R² of a regression; ROC AUC and average precision of a binary one."""
    if not has_task_metrics(data):
        return {}  # before importing scikit-learn: a run without these never loads it (see dltrain.startup)
    from sklearn import metrics as sk

    if data.task == "regression":
        true, predicted = data.y_test.reshape(-1), outputs.reshape(-1)
        return {"mae": float(sk.mean_absolute_error(true, predicted)),
                "rmse": float(np.sqrt(sk.mean_squared_error(true, predicted))),
                "r2": float(sk.r2_score(true, predicted))}
    true = data.y_test.reshape(-1) if data.label_encoding != "onehot" else data.y_test.argmax(axis=-1)
    positive = outputs.reshape(-1) if outputs.shape[-1] == 1 else outputs[:, 1]
    if len(np.unique(true)) < 2:
        return {}  # a test slice with one class (a smoke run) has no curve
    return {"roc_auc": float(sk.roc_auc_score(true, positive)),
            "average_precision": float(sk.average_precision_score(true, positive))}


def throughput(history: dict, samples_per_epoch: int, devices: int) -> dict | None:
    """Training samples per second (the median epoch after the first, which compiles), in all and per device.

    Scaling efficiency is a run's ``per_device`` over a one-device run's
    ``samples_per_second`` of the same config (README, "Several devices and machines").
    """
    seconds = [s for s in history.get("epoch_seconds", []) if s and np.isfinite(s)]
    steady = seconds[1:] or seconds
    if not steady:
        return None
    per_second = samples_per_epoch / float(np.median(steady))
    return {"samples_per_second": round(per_second, 1), "devices": devices,
            "per_device": round(per_second / devices, 1)}


def write_report(run_dir: Path) -> None:
    """Plots and the HTML report; a failure here never costs the finished run."""
    from dltrain import report

    try:
        report.write_run_report(run_dir)
    except Exception as err:  # noqa: BLE001  (the model and metrics are saved; say what went wrong and go on)
        print(f"warning: the report of {run_dir} could not be written: {type(err).__name__}: {err}", file=sys.stderr)


def _checkpoint_metrics(saved: keras.Model, data: DataBundle, scorer: Scoring) -> dict:
    """A checkpoint's test metrics, scored by the scorer's steps holding its weights."""
    with weights_of(scorer, saved) as model:
        metrics = test_metrics(model, scorer.test)
        if has_task_metrics(data):
            metrics.update(task_metrics(data, predict_batches(model, scorer.test)))
        return metrics


def _test_scores(run_dir: Path, data: DataBundle, scorer: Scoring) -> tuple[dict, dict | None]:
    """The final model's test metrics (its predictions saved for the report), and best.keras's (None without it).

    A best.keras holding exactly the final weights is not scored again: its metrics are the final model's.
    """
    final = test_metrics(scorer.model, scorer.test)
    best = run_dir / runs.BEST
    saved = load_model(best) if best.is_file() else None
    same = saved is not None and holds_weights_of(scorer, saved)
    best_test = _checkpoint_metrics(saved, data, scorer) if saved is not None and not same else None
    final.update(task_metrics(data, save_predictions(scorer.model, data, run_dir, scorer.test)))
    return final, (dict(final) if same else best_test)


def _scorer(plan, trainer, data: DataBundle) -> Scoring:
    from dltrain.models import compile_model

    engine = getattr(trainer, "engine", None)
    return scoring(trainer.model, trainer.serving, data,
                   lambda m: compile_model(m, plan.config, inference=True, optimizer=trainer.model.optimizer,
                                           samples_per_epoch=data.n_train, epochs=plan.epochs),
                   saved_only=engine is not None and engine.multi_process)


def finish_run(plan, trainer, data: DataBundle, run_dir: Path, status, state, checkpoint, seconds: float,
               verbose: int, tracker) -> FitResult:
    """Saves the final model, evaluates it and best.keras on the test set, writes metrics and report."""
    stage("saving the final model", verbose)
    checkpoint.flush()  # a best epoch whose model waited in memory (see BestCheckpoint)
    save_model_atomically(trainer.serving, run_dir / runs.MODEL)
    engine = getattr(trainer, "engine", None)
    if engine is not None and engine.multi_process:
        # Its variables span every process's devices; scored here alone, it would wait for the others
        # forever. The saved file is the same model, on this process's devices only.
        trainer.serving = load_model(run_dir / runs.MODEL)
    if state.last is not None:
        mark_training_ended(run_dir, state.last)
    stage("evaluating on the test set", verbose)
    final, best_test = _test_scores(run_dir, data, _scorer(plan, trainer, data))
    best = None if checkpoint.best is None or not np.isfinite(checkpoint.best) else float(checkpoint.best)
    stopped_early = bool(state.last and state.last.stopped_early)
    restored = any(getattr(cb, "restore_best_weights", False) for cb in trainer.user_callbacks)
    runs.write_json(run_dir / runs.METRICS, {
        "task": data.task, "test": final, "model": runs.MODEL,
        "best": {"monitor": trainer.monitor, "value": best, "epoch": checkpoint.best_epoch, "test": best_test},
    })
    history = runs.read_history(run_dir)
    history.pop("epoch", None)
    check_finite(history, final)
    epochs_run = len(history.get("loss", []))
    # A smoke run's few batches per epoch say nothing of the speed.
    speed = None if plan.smoke else throughput(history, data.n_train, engine.devices if engine is not None else 1)
    status.end("completed", epochs_done=epochs_run, epochs_planned=plan.epochs, stopped_early=stopped_early,
               throughput=speed)
    write_report(run_dir)
    if tracker:
        tracker.finish("completed")
    return FitResult(run_dir=run_dir, history=history, test_metrics=final, monitor=trainer.monitor, best_value=best,
                     epochs_run=epochs_run, seconds=seconds, parameters=trainer.model.count_params(),
                     smoke=plan.smoke, epochs_planned=plan.epochs, stopped_early=stopped_early,
                     best_epoch=checkpoint.best_epoch, best_test_metrics=best_test,
                     restored_best_weights=restored)
