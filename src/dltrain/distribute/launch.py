"""``dltrain launch``: N local processes of one multi-worker run, under a watchdog that never lets them hang.

Each process is ``dltrain fit`` with its place in the environment
(``KERAS_DISTRIBUTION_JOB_ADDRESSES`` = a free localhost port,
``KERAS_DISTRIBUTION_NUM_PROCESSES``, ``KERAS_DISTRIBUTION_PROCESS_ID``), its
own session (so its whole process group can be signalled), and its output
prefixed ``[i]``.

Why a watchdog: with JAX's CPU collectives, a process whose peer died or ran
a different number of steps waits in the collective forever, and ignores
SIGTERM (checked here with JAX 0.10 and Keras 3.15.1: two processes running
different step counts hung until SIGKILL). So the launcher ends the whole
group — SIGTERM, then SIGKILL after ``grace`` seconds — as soon as one
process fails, or when no process has completed a step or printed a line
for ``stall_timeout`` seconds, and says in one line which process failed.

Standard library only: the launcher itself never imports Keras.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from dltrain.distribute.environment import ADDRESSES, HEARTBEAT, NUM_PROCESSES, PROCESS_ID

POLL_S = 0.2


def free_port() -> int:
    """A TCP port on localhost that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Worker:
    """One launched process."""

    index: int
    process: subprocess.Popen
    heartbeat: Path
    reader: threading.Thread | None = None

    def describe(self) -> str:
        """``process I (pid P)``."""
        return f"process {self.index} (pid {self.process.pid})"


@dataclass
class Outcome:
    """How a launch ended: the exit code and, on failure, the one line that says why."""

    code: int
    message: str | None = None
    seconds: float = 0.0
    codes: list[int | None] = field(default_factory=list)


def _pump(worker: Worker, out, progress: list[float], lock: threading.Lock) -> None:
    """Copies a process's output, each line prefixed with its index; a line is a sign of life."""
    for line in iter(worker.process.stdout.readline, ""):
        with lock:
            progress[0] = time.monotonic()
            out.write(f"[{worker.index}] {line if line.endswith(chr(10)) else line + chr(10)}")
            out.flush()


def _start(index: int, count: int, address: str, command: list[str], folder: Path, env: dict) -> Worker:
    heartbeat = folder / f"heartbeat-{index}"
    heartbeat.touch()
    worker_env = {**env, ADDRESSES: address, NUM_PROCESSES: str(count), PROCESS_ID: str(index),
                  HEARTBEAT: str(heartbeat), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, env=worker_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1, start_new_session=True)
    return Worker(index, process, heartbeat)


def _signal_group(worker: Worker, signum: int) -> None:
    try:
        os.killpg(worker.process.pid, signum)  # its session: the process and anything it started
    except (ProcessLookupError, PermissionError):
        pass


def stop_all(workers: list[Worker], grace: float) -> None:
    """SIGTERM to every process group still running, then SIGKILL to those that ignored it."""
    alive = [w for w in workers if w.process.poll() is None]
    for worker in alive:
        _signal_group(worker, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(w.process.poll() is None for w in alive):
        time.sleep(POLL_S)
    for worker in workers:
        if worker.process.poll() is None:
            _signal_group(worker, signal.SIGKILL)
        worker.process.wait()
        if worker.reader is not None:
            worker.reader.join(timeout=2)


def _how_it_ended(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _last_sign_of_life(workers: list[Worker], output: float) -> float:
    beats = [w.heartbeat.stat().st_mtime for w in workers if w.heartbeat.exists()]
    # mtime is wall-clock time; turn it into the monotonic clock's frame
    latest_beat = max(beats) - time.time() + time.monotonic() if beats else output
    return max(latest_beat, output)


def watch(workers: list[Worker], stall_timeout: float, progress: list[float], lock: threading.Lock) -> Outcome:
    """Waits until every process exits 0, one fails, or the group stops making progress."""
    while True:
        codes = [w.process.poll() for w in workers]
        failed = next((w for w, c in zip(workers, codes) if c not in (None, 0)), None)
        if failed is not None:
            return Outcome(failed.process.returncode if failed.process.returncode > 0 else 1,
                           f"{failed.describe()} {_how_it_ended(failed.process.returncode)}", codes=codes)
        if all(c == 0 for c in codes):
            return Outcome(0, codes=codes)
        with lock:
            quiet = time.monotonic() - _last_sign_of_life(workers, progress[0])
        if quiet > stall_timeout:
            stuck = [w.describe() for w, c in zip(workers, codes) if c is None]
            return Outcome(1, f"no process completed a step or printed a line for {stall_timeout:g} s; "
                              f"stopped as hung: {', '.join(stuck)}", codes=codes)
        time.sleep(POLL_S)


def launch(count: int, fit_args: list[str], stall_timeout: float = 600.0, grace: float = 10.0,
           out=None, env: dict | None = None, program: list[str] | None = None) -> Outcome:
    """Runs ``dltrain fit FIT_ARGS`` in ``count`` local processes of one multi-worker run.

    Args:
        count: processes to start.
        fit_args: what follows ``dltrain fit`` (the config, ``--set``, ``--smoke``, ``--resume RUN`` ...).
        stall_timeout: seconds without a completed step or a line of output, in any process, after
            which the group is taken as hung and ended.
        grace: seconds between SIGTERM and SIGKILL.
        out: where the prefixed output goes (default: stdout).
        env: the processes' environment (default: this one's).
        program: what runs ``fit_args`` (default: ``python -m dltrain.cli fit``).

    Returns:
        An :class:`Outcome`: 0 when every process exited 0; else the failing process's code (1 when it
        was killed or hung), with a one-line message naming it. The other processes are always ended.
    """
    out = out or sys.stdout
    started = time.monotonic()
    address = f"127.0.0.1:{free_port()}"
    command = [*(program or [sys.executable, "-m", "dltrain.cli", "fit"]), *fit_args]
    progress, lock = [time.monotonic()], threading.Lock()
    with tempfile.TemporaryDirectory(prefix="dltrain-launch-") as folder:
        workers: list[Worker] = []
        try:
            for index in range(count):
                worker = _start(index, count, address, command, Path(folder), dict(os.environ if env is None else env))
                worker.reader = threading.Thread(target=_pump, args=(worker, out, progress, lock), daemon=True)
                worker.reader.start()
                workers.append(worker)
            outcome = watch(workers, stall_timeout, progress, lock)
        finally:
            stop_all(workers, grace)  # whatever happened (an error, Ctrl-C): no process outlives the launcher
    outcome.seconds = time.monotonic() - started
    return outcome
