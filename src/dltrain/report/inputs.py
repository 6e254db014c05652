"""The run files the report reads that :mod:`dltrain.runs` has no reader for yet.

``config.yaml`` and ``summary.txt`` are shown as written, and
``predictions.npz`` holds arrays; the names still come from
:mod:`dltrain.runs`, so no file name is spelled here.
"""

from __future__ import annotations

from pathlib import Path

from dltrain import runs


def saved_text(run_dir: Path, name: str) -> str:
    """A run's text file (``runs.CONFIG``, ``runs.SUMMARY``), or ``""`` if the run has none."""
    path = Path(run_dir) / name
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def saved_predictions(run_dir: Path):
    """The test set's true and predicted classes and the class names, or None if not written.

    Returns:
        ``(y_true, y_pred, class_names)`` or None.
    """
    import numpy as np

    path = Path(run_dir) / runs.PREDICTIONS
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as f:  # never unpickle what a run directory holds
        return f["y_true"], f["y_pred"], [str(n) for n in f["class_names"]]
