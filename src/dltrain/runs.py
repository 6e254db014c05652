"""Run directories: created atomically, never overwritten, written safely.

A run directory is ``<runs>/<YYYYmmdd-HHMMSS>-<config name>`` (``-2``, ``-3``
... when two runs start in the same second; ``-smoke`` for smoke runs, which
``run.json`` also marks). Its files, all plain:

==================  ==========================================================
``config.yaml``     the resolved config, every default filled in
``run.json``        status (running, completed, failed, interrupted), times
``environment.json`` dltrain/TensorFlow/Keras/Python versions, seed, command, git commit
``summary.txt``     the model summary
``history.csv``     one row per epoch: losses, metrics, learning rate, epoch seconds
``best.keras``      the best checkpoint by ``training.monitor``
``state/``          the last completed epoch's full state, for ``--resume``
``model.keras``     the final model
``metrics.json``    final test metrics
``evaluate.json``   written by ``dltrain evaluate``
==================  ==========================================================
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dltrain.errors import UserError

CONFIG = "config.yaml"
RUN = "run.json"
ENVIRONMENT = "environment.json"
SUMMARY = "summary.txt"
HISTORY = "history.csv"
BEST = "best.keras"
MODEL = "model.keras"
METRICS = "metrics.json"
EVALUATION = "evaluate.json"


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


def write_text(path: Path, text: str) -> None:
    """Writes a file atomically (a temporary file, then a rename)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    """Writes JSON atomically."""
    write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def read_json(path: Path) -> dict:
    """Reads a JSON file of a run."""
    return json.loads(path.read_text(encoding="utf-8"))


def now() -> str:
    """The current time, ISO 8601 with time zone."""
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


class RunStatus:
    """Keeps ``run.json`` true: running, then completed, failed or interrupted."""

    def __init__(self, run_dir: Path, smoke: bool = False, synthetic: bool = False):
        self.path = run_dir / RUN
        self.started = time.monotonic()
        self.data = {"status": "running", "started": now(), "ended": None, "duration_seconds": None, "reason": None,
                     "smoke": smoke, "synthetic_data": synthetic}
        write_json(self.path, self.data)

    @classmethod
    def resumed(cls, run_dir: Path, from_epoch: int, changes: list[str]) -> RunStatus:
        """Marks an existing run as running again, recording the resume."""
        status = cls.__new__(cls)
        status.path = run_dir / RUN
        status.started = time.monotonic()
        status.data = read_json(status.path) if status.path.is_file() else {}
        status.earlier_seconds = status.data.get("duration_seconds") or 0.0
        status.data.setdefault("resumes", []).append({"at": now(), "from_epoch": from_epoch, "changes": changes})
        status.data.update(status="running", ended=None, reason=None)
        write_json(status.path, status.data)
        return status

    def end(self, status: str, reason: str | None = None) -> None:
        """Records the final status and the duration (all sessions of the run added up)."""
        seconds = getattr(self, "earlier_seconds", 0.0) + time.monotonic() - self.started
        self.data.update(status=status, ended=now(), duration_seconds=round(seconds, 3), reason=reason)
        write_json(self.path, self.data)
