"""``predictions.npz``: the test set's true and predicted classes, and the class names."""

from __future__ import annotations

from pathlib import Path

from dltrain.runs.files import atomic
from dltrain.runs.layout import PREDICTIONS


def write_predictions(run_dir: Path, y_true, y_pred, class_names: list[str]) -> None:
    """Writes the test set's true and predicted classes atomically."""
    import numpy as np

    with atomic(Path(run_dir) / PREDICTIONS) as tmp, open(tmp, "wb") as f:
        np.savez(f, y_true=np.asarray(y_true, np.int32), y_pred=np.asarray(y_pred, np.int32),
                 class_names=np.array(class_names))


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
