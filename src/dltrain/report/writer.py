"""Writing a run's report files from its directory alone."""

from __future__ import annotations

from pathlib import Path

from dltrain import runs
from dltrain.report.html import html_report
from dltrain.report.plots import plot_confusion, plot_curves
from dltrain.report.scores import per_class_scores


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
        plot_curves({run_dir.name: history}, run_dir / runs.CURVES, title=run_dir.name)
        written.append(run_dir / runs.CURVES)
    per_class = None
    predictions = runs.read_predictions(run_dir)
    if predictions is not None:
        y_true, y_pred, names = predictions
        plot_confusion(y_true, y_pred, names, run_dir / runs.CONFUSION)
        per_class = per_class_scores(y_true, y_pred, names)
        runs.write_json(run_dir / runs.PER_CLASS, per_class)
        written += [run_dir / runs.CONFUSION, run_dir / runs.PER_CLASS]
    runs.write_text(run_dir / runs.REPORT, html_report(run_dir, per_class))
    written.append(run_dir / runs.REPORT)
    return written
