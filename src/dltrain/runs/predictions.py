"""``predictions.npz``: the test set's true and predicted values, the class names, the probabilities.

A classification stores class indices (and each class's probability); a
regression stores float targets and predictions, and no class names.
"""

from __future__ import annotations

from pathlib import Path

from dltrain.runs.files import atomic
from dltrain.runs.layout import PREDICTIONS


def write_predictions(run_dir: Path, y_true, y_pred, class_names: list[str], probabilities=None) -> None:
    """Writes the test set's true and predicted values atomically."""
    import numpy as np

    arrays = {"y_true": np.asarray(y_true), "y_pred": np.asarray(y_pred), "class_names": np.array(class_names, dtype=str)}
    if probabilities is not None:
        arrays["probabilities"] = np.asarray(probabilities, np.float32)
    with atomic(Path(run_dir) / PREDICTIONS) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)


def read_predictions(run_dir: Path):
    """``(y_true, y_pred, class_names)``, or None when the run has not written them.

    Never unpickles: a run directory is data, not code.
    """
    import numpy as np

    path = Path(run_dir) / PREDICTIONS
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as f:
        return f["y_true"], f["y_pred"], [str(n) for n in f["class_names"]]


def read_probabilities(run_dir: Path):
    """Each test sample's class probabilities (the positive class's for a binary model), or None."""
    import numpy as np

    path = Path(run_dir) / PREDICTIONS
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as f:
        return f["probabilities"] if "probabilities" in f.files else None
