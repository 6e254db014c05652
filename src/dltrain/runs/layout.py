"""The names of a run directory's files, and creating a new run directory."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from dltrain.errors import UserError

CONFIG = "config.yaml"
RUN = "run.json"
LOCK = ".lock"
ENVIRONMENT = "environment.json"
SUMMARY = "summary.txt"
HISTORY = "history.csv"
BEST = "best.keras"
MODEL = "model.keras"
METRICS = "metrics.json"
EVALUATION = "evaluate.json"
PREDICTIONS = "predictions.npz"
CURVES = "curves.png"
CONFUSION = "confusion_matrix.png"
REGRESSION_PLOT = "predicted_vs_true.png"
BINARY_CURVES = "roc_pr.png"
PER_CLASS = "per_class.json"
REPORT = "report.html"
TENSORBOARD = "tensorboard"
STATE = "state"
EXPORT, EXPORTS = "export.json", "exports"  # dltrain export: parity per exported file; the files
STUDIES = "studies"  # dltrain tune: <runs dir>/studies/<study>/ holds the study's files and its trials' runs


def create_run_dir(root: str | Path, name: str) -> Path:
    """Creates a new, empty run directory under ``root``; never reuses one.

    ``os.mkdir`` fails if the directory exists, so two runs started at once
    cannot share a directory.

    Raises:
        UserError: ``root`` cannot be created or written.
    """
    root = Path(root)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        root.mkdir(parents=True, exist_ok=True)
        for n in range(1, 10_000):
            path = root / (f"{stamp}-{name}" + (f"-{n}" if n > 1 else ""))
            try:
                path.mkdir()
                return path
            except FileExistsError:
                continue
    except OSError as err:
        raise UserError(f"cannot create a run directory in {root}: {err.strerror}; choose another --runs-dir") from None
    raise UserError(f"too many runs named {name} in {root} this second")


def is_run_dir(path: Path) -> bool:
    """Whether a folder is a dltrain run directory."""
    return path.is_dir() and (path / RUN).is_file()
