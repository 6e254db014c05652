"""Writing a run's report files from its directory alone."""

from __future__ import annotations

from pathlib import Path

from dltrain import runs
from dltrain.report.html import html_report
from dltrain.report.plots import plot_confusion, plot_curves
from dltrain.report.scores import per_class_scores
from dltrain.report.task_plots import plot_binary_curves, plot_regression


def write_run_report(run_dir: Path) -> list[Path]:
    """Writes a run's plots, per-class scores and HTML report from its files.

    Works from the run directory alone (no TensorFlow), so ``dltrain report``
    can redo it at any time; a run without history or predictions (one that
    failed early) still gets its page, saying so.

    Args:
        run_dir: the run directory.

    Returns:
        The files written.

    Raises:
        UserError: one of the run's JSON files is damaged.
    """
    run_dir = Path(run_dir)
    written = []
    history = runs.read_history(run_dir)
    if history:
        plot_curves({run_dir.name: history}, run_dir / runs.CURVES, title=run_dir.name, **_epoch_marks(run_dir, history))
        written.append(run_dir / runs.CURVES)
    per_class = None
    predictions = runs.read_predictions(run_dir)
    if predictions is not None and not predictions[2]:  # no class names: a regression
        plot_regression(predictions[0], predictions[1], run_dir / runs.REGRESSION_PLOT)
        written.append(run_dir / runs.REGRESSION_PLOT)
    elif predictions is not None:
        y_true, y_pred, names = predictions
        plot_confusion(y_true, y_pred, names, run_dir / runs.CONFUSION)
        per_class = per_class_scores(y_true, y_pred, names)
        runs.write_json(run_dir / runs.PER_CLASS, per_class)
        written += [run_dir / runs.CONFUSION, run_dir / runs.PER_CLASS]
        written += _binary_curves(run_dir, y_true, names)
    runs.write_text(run_dir / runs.REPORT, html_report(run_dir, per_class))
    written.append(run_dir / runs.REPORT)
    return written


def _epoch_marks(run_dir: Path, history: dict[str, list[float]]) -> dict:
    """The best checkpoint's epoch and monitor (metrics.json), and the last epoch if EarlyStopping ended the run."""
    best = (runs.read_json_if_present(run_dir / runs.METRICS) or {}).get("best")
    marks: dict = {"best": None, "stopped_at": None}
    if isinstance(best, dict) and isinstance(best.get("epoch"), int) and isinstance(best.get("monitor"), str):
        marks["best"] = (best["epoch"], best["monitor"])
    if (runs.read_json_if_present(run_dir / runs.RUN) or {}).get("stopped_early") and history.get("epoch"):
        marks["stopped_at"] = int(max(history["epoch"])) + 1  # history.csv counts from 0
    return marks


def _binary_curves(run_dir: Path, y_true, names: list[str]) -> list[Path]:
    """ROC and precision-recall curves of a two-class run whose test set holds both classes."""
    import numpy as np

    probabilities = runs.read_probabilities(run_dir)
    if len(names) != 2 or probabilities is None or len(np.unique(y_true)) < 2:
        return []
    scores = probabilities.reshape(-1) if probabilities.ndim == 1 or probabilities.shape[-1] == 1 else probabilities[:, 1]
    plot_binary_curves(y_true, scores, names[1], run_dir / runs.BINARY_CURVES)
    return [run_dir / runs.BINARY_CURVES]
