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
``predictions.npz`` the test set's true and predicted classes, and the class names
``curves.png``      learning curves: each loss and metric, train and validation, and the learning rate
``confusion_matrix.png`` counts and normalized, with class names
``per_class.json``  precision, recall, F1 and support per class (scikit-learn)
``report.html``     all of it in one self-contained page
``tensorboard/``    TensorBoard logs: ``tensorboard --logdir runs``
==================  ==========================================================
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass
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
PREDICTIONS = "predictions.npz"
CURVES = "curves.png"
CONFUSION = "confusion_matrix.png"
PER_CLASS = "per_class.json"
REPORT = "report.html"
TENSORBOARD = "tensorboard"


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


@contextlib.contextmanager
def atomic(path: Path):
    """Yields a temporary path beside ``path``; renames it onto ``path`` if the block succeeds.

    A crash at any moment leaves either the old file or the new one, never half
    of one. The temporary name keeps the suffix (Keras wants '.keras').
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    """Writes a text file atomically."""
    with atomic(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


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
                     "smoke": smoke, "synthetic_data": synthetic, "pid": os.getpid(), "host": socket.gethostname()}
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
        status.data.update(status="running", ended=None, reason=None, pid=os.getpid(), host=socket.gethostname())
        write_json(status.path, status.data)
        return status

    def end(self, status: str, reason: str | None = None) -> None:
        """Records the final status and the duration (all sessions of the run added up)."""
        seconds = getattr(self, "earlier_seconds", 0.0) + time.monotonic() - self.started
        self.data.update(status=status, ended=now(), duration_seconds=round(seconds, 3), reason=reason)
        write_json(self.path, self.data)


# --------------------------------------------------------------------------- finding and listing runs


def is_run_dir(path: Path) -> bool:
    """Whether a folder is a dltrain run directory."""
    return path.is_dir() and (path / RUN).is_file()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def current_status(data: dict) -> str:
    """The status, made true for runs whose process died without a word (kill -9, power loss)."""
    status = data.get("status", "unknown")
    if status == "running" and data.get("host") == socket.gethostname() and data.get("pid") and not _pid_alive(data["pid"]):
        return "killed"
    return status


@dataclass
class RunInfo:
    """One line of ``dltrain runs list``."""

    path: Path
    name: str
    status: str
    reason: str | None
    smoke: bool
    epochs_done: int
    epochs: int | None
    best_monitor: str | None
    best_value: float | None
    test: dict
    duration_seconds: float | None
    started: str | None

    @property
    def id(self) -> str:
        """The run's id: its directory name."""
        return self.path.name

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {**{k: v for k, v in self.__dict__.items() if k != "path"}, "id": self.id, "path": str(self.path)}


def _history_epochs(path: Path) -> int:
    if not path.is_file():
        return 0
    with open(path, newline="") as f:
        return max(0, sum(1 for line in f if line.strip()) - 1)


def run_info(path: Path) -> RunInfo:
    """What a run directory says about itself."""
    status = read_json(path / RUN) if (path / RUN).is_file() else {}
    metrics = read_json(path / METRICS) if (path / METRICS).is_file() else {}
    config = {}
    if (path / CONFIG).is_file():
        import yaml

        try:
            config = yaml.safe_load((path / CONFIG).read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            config = {}
    best = metrics.get("best") or {}
    return RunInfo(
        path=path,
        name=str(config.get("name", "?")),
        status=current_status(status),
        reason=status.get("reason"),
        smoke=bool(status.get("smoke")),
        epochs_done=_history_epochs(path / HISTORY),
        epochs=(config.get("training") or {}).get("epochs"),
        best_monitor=best.get("monitor"),
        best_value=best.get("value"),
        test=metrics.get("test") or {},
        duration_seconds=status.get("duration_seconds"),
        started=status.get("started"),
    )


def list_runs(root: str | Path, name: str | None = None, status: str | None = None) -> list[RunInfo]:
    """The runs under ``root``, newest first, optionally filtered by config name and status."""
    root = Path(root)
    if not root.is_dir():
        return []
    infos = [run_info(p) for p in root.iterdir() if is_run_dir(p)]
    infos = [i for i in infos if (name is None or name in i.name) and (status is None or i.status == status)]
    return sorted(infos, key=lambda i: (i.started or "", i.id), reverse=True)


def find_run(root: str | Path, ref: str | Path) -> Path:
    """A run named by its directory or by a unique prefix of its id.

    Raises:
        UserError: no run, or several, match.
    """
    path = Path(ref)
    if is_run_dir(path):
        return path
    root = Path(root)
    matches = sorted(p for p in root.iterdir() if is_run_dir(p) and p.name.startswith(str(ref))) if root.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError(f"no run '{ref}' (not a run directory, nor the start of a run id in {root}); "
                        "see dltrain runs list")
    names = ", ".join(p.name for p in matches[:5])
    raise UserError(f"'{ref}' matches {len(matches)} runs ({names}{', ...' if len(matches) > 5 else ''}); "
                    "give more of the id")


def runs_to_clean(root: str | Path, smoke: bool, failed: bool) -> list[RunInfo]:
    """The smoke runs and/or failed runs under ``root``."""
    return [i for i in list_runs(root) if (smoke and i.smoke) or (failed and i.status in ("failed", "killed"))]


def remove_run(info: RunInfo) -> None:
    """Deletes a run directory."""
    shutil.rmtree(info.path)
