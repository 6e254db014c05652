"""``--jobs N``: N worker processes running trials of one study, sharing its storage.

Each worker is a fresh Python (``python -m dltrain.tune.workers INDEX``) that
runs :func:`dltrain.tune.runner.run_trials`: TensorFlow is not forked, and each
worker holds its own model. The study's spec travels in ``$DLTRAIN_TUNE_SPEC``,
never on a command line, where ``ps`` would show a database's password. They share only the Optuna storage
(SQLite waits up to ``SQLITE_TIMEOUT`` seconds for another's write lock). On
Linux a worker gets SIGTERM when the ``dltrain tune`` that started it dies, so
a killed study leaves no orphan training on; its trial is then marked failed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from dltrain.errors import Interrupted, UserError
from dltrain.tune.study import StudySpec

SPEC_VARIABLE = "DLTRAIN_TUNE_SPEC"
EXIT_CODES = {"target": 0, "time budget": 0, "grid done": 0, "failures": 1}


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies (Linux's PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # another OS: a killed parent leaves the workers to finish their trial
        pass


def start_workers(spec: StudySpec, jobs: int) -> list[subprocess.Popen]:
    """Starts ``jobs`` worker processes for the spec's study."""
    env = {**os.environ, SPEC_VARIABLE: json.dumps(spec.as_dict())}
    return [subprocess.Popen([sys.executable, "-m", "dltrain.tune.workers", str(index)], env=env,
                             preexec_fn=_die_with_parent) for index in range(jobs)]


def wait_for(workers: list[subprocess.Popen]) -> list[int]:
    """Waits for every worker; on Ctrl-C or SIGTERM, passes it on to them and waits again."""
    try:
        return [w.wait() for w in workers]
    except KeyboardInterrupt as err:
        sig = signal.SIGTERM if getattr(err, "signal_name", "") == "SIGTERM" else signal.SIGINT
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(sig)
        for worker in workers:
            worker.wait()
        raise


def main(argv: list[str]) -> int:
    """A worker: runs trials of the study in ``$DLTRAIN_TUNE_SPEC`` as worker INDEX; the exit code says why it stopped."""
    from dltrain.quiet import silence_native_stderr

    silence_native_stderr()  # before TensorFlow is imported: it prints while loading
    from dltrain.tune.runner import run_trials

    def terminated(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    signal.signal(signal.SIGTERM, terminated)
    spec = StudySpec(**json.loads(os.environ[SPEC_VARIABLE]))
    try:
        return EXIT_CODES[run_trials(spec, worker=int(argv[0]))]
    except UserError as err:
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr, flush=True)
        return 2
    except (KeyboardInterrupt, Interrupted):  # the trial it ran is marked failed
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

