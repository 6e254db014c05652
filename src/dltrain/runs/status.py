"""A run's status (``run.json``) and the lock that lets one process write a run.

``run.json`` says ``running`` while a process trains, then ``completed``,
``failed`` or ``interrupted``. A run whose process died without a word
(``kill -9``, a lost machine) still says ``running``; :func:`current_status`
reports it as ``killed``. The lock (``.lock``, an ``flock`` held for the whole
``fit``) is released by the kernel when its process dies, so a killed run can
always be resumed, and two processes can never write one run at once.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from pathlib import Path

from dltrain.errors import UserError
from dltrain.runs.files import now, os_error_message, read_json, write_json
from dltrain.runs.layout import LOCK, RUN


class RunLock:
    """An exclusive lock on a run directory, held by this process until :meth:`release`."""

    def __init__(self, run_dir: Path):
        self.path = run_dir / LOCK
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise os_error_message(err, self.path) from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            holder = os.pread(self._fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(self._fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise UserError(f"the run is being written by {holder}; wait for it to end or stop it first",
                                file=str(run_dir)) from None
            raise os_error_message(err, self.path) from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"process {os.getpid()} on {socket.gethostname()}\n".encode(), 0)

    def release(self) -> None:
        """Releases the lock (also released by the kernel if the process dies)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class RunStatus:
    """Keeps ``run.json`` true: running, then completed, failed or interrupted."""

    def __init__(self, path: Path, data: dict, earlier_seconds: float = 0.0):
        self.path = path
        self.data = data
        self.started = time.monotonic()
        self.earlier_seconds = earlier_seconds
        self.before: dict | None = None  # a resumed run's run.json as it was

    @classmethod
    def start(cls, run_dir: Path, smoke: bool = False, synthetic: bool = False, **facts) -> RunStatus:
        """Marks a new run as running."""
        data = {"status": "running", "started": now(), "ended": None, "duration_seconds": None, "reason": None,
                "smoke": smoke, "synthetic_data": synthetic, "pid": os.getpid(), "host": socket.gethostname(),
                **facts}
        status = cls(run_dir / RUN, data)
        write_json(status.path, data)
        return status

    @classmethod
    def resumed(cls, run_dir: Path, from_epoch: int, changes: list[str]) -> RunStatus:
        """Marks an existing run as running again, recording the resume."""
        data = read_json(run_dir / RUN)
        earlier = data.get("duration_seconds")
        status = cls(run_dir / RUN, data, earlier_seconds=earlier if isinstance(earlier, (int, float)) else 0.0)
        status.before = json.loads(json.dumps(data, default=str))
        data.setdefault("resumes", []).append({"at": now(), "from_epoch": from_epoch, "changes": changes})
        data.update(status="running", ended=None, reason=None, pid=os.getpid(), host=socket.gethostname())
        write_json(status.path, data)
        return status

    def update(self, **facts) -> None:
        """Records more facts about the running run."""
        self.data.update(facts)
        write_json(self.path, self.data)

    def end(self, status: str, reason: str | None = None, **facts) -> None:
        """Records the final status and the duration (all sessions of the run added up)."""
        seconds = self.earlier_seconds + time.monotonic() - self.started
        self.data.update(status=status, ended=now(), duration_seconds=round(seconds, 3), reason=reason, **facts)
        write_json(self.path, self.data)

    def restore_quietly(self) -> None:
        """Puts a resumed run's ``run.json`` back as it was: a refused resume leaves the run untouched."""
        if self.before is not None:
            try:
                write_json(self.path, self.before)
            except OSError:
                pass

    def end_quietly(self, status: str, reason: str | None = None) -> None:
        """:meth:`end`, for a run already failing: a second error (a full disk) must not hide the first."""
        try:
            self.end(status, reason)
        except OSError:
            pass


def process_alive(pid: int) -> bool:
    """Whether a process of this host runs (a zombie, dead but not yet reaped by its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): the signal check is all there is
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def is_locked(run_dir: Path) -> bool | None:
    """Whether a process holds the run's lock; None for runs without a lock file (older runs)."""
    try:
        fd = os.open(run_dir / LOCK, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops our own probe lock, if taken


def current_status(data: dict, run_dir: Path | None = None) -> str:
    """The status, made true for runs whose process died without a word (kill -9, power loss).

    The lock says it best (the kernel drops it when the process dies); without
    one, the recorded process id is checked on this host.
    """
    status = data.get("status", "unknown")
    if status != "running":
        return status
    locked = is_locked(run_dir) if run_dir is not None else None
    if locked is not None:
        return "running" if locked else "killed"
    if data.get("host") == socket.gethostname() and data.get("pid") and not process_alive(data["pid"]):
        return "killed"
    return status
