"""A study killed mid-trial (SIGKILL) resumes to the requested number of trials; the killed trial is failed,
not lost, and not counted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dltrain import runs
from dltrain.tune import tune
from tune_configs import study_config

optuna = pytest.importorskip("optuna")
pytestmark = pytest.mark.slow  # a dltrain process started, killed, then a study resumed

SEARCH = """\
space:
  optimizer.Adam.learning_rate: {loguniform: [3.0e-3, 3.0e-2]}
sampler: random
pruning: {pruner: none}
"""


def _status(run_dir: Path) -> str | None:
    try:
        return json.loads((run_dir / "run.json").read_text()).get("status")
    except (OSError, ValueError):
        return None


def _mid_training(study_dir: Path) -> bool:
    """Whether a trial's run is training (an epoch done) after another trial's run completed: read from files,
    which is quick enough to catch it."""
    if not study_dir.is_dir():
        return False
    trial_runs = [p for p in study_dir.iterdir() if p.is_dir()]
    return any(_status(p) == "completed" for p in trial_runs) and any(
        _status(p) == "running" and len((p / "history.csv").read_text().splitlines()) > 1
        for p in trial_runs if (p / "history.csv").is_file())


def _wait_dead(pid: int) -> None:
    """Until a killed process has exited (a zombie nobody reaps counts): SIGKILL is not instant for a big one."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            state = open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[0]
        except OSError:
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.1)


def _start_and_kill(config, runs_dir, storage: str):
    process = subprocess.Popen([sys.executable, "-m", "dltrain.cli", "tune", str(config), "--trials", "2",
                                "--runs-dir", str(runs_dir)], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    import dltrain.training  # noqa: F401  (TensorFlow loads here while the study's process starts: the resume needs it)

    try:
        while time.monotonic() < deadline and process.poll() is None:
            if _mid_training(runs_dir / "studies" / "kill_tune"):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                trials = optuna.load_study(study_name="kill_tune", storage=storage).get_trials()
                (victim,) = [t for t in trials if t.state.name == "RUNNING"]
                _wait_dead(victim.user_attrs["pid"])
                return victim
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    pytest.fail(f"never saw a trial mid-run (exit code {process.returncode})")


def test_a_killed_study_resumes_to_the_requested_trials(tmp_path):
    config = study_config(tmp_path, SEARCH, name="kill_tune", epochs=6)
    runs_dir = tmp_path / "runs"
    storage = f"sqlite:///{runs_dir / 'studies' / 'kill_tune' / 'study.db'}"
    victim = _start_and_kill(config, runs_dir, storage)
    stored = optuna.load_study(study_name="kill_tune", storage=storage).get_trials()
    running = [t.number for t in stored if t.state.name == "RUNNING"]  # what Optuna leaves behind a killed process
    kept = [t.number for t in stored if t.state.name == "COMPLETE"]
    assert running == [victim.number]

    result = tune(config, trials=2, runs_dir=runs_dir, quiet=True)

    assert result.marked_failed == running
    assert result.ok and result.counts == {"complete": 2, "pruned": 0, "fail": len(running), "running": 0, "waiting": 0}
    trials = optuna.load_study(study_name="kill_tune", storage=storage).get_trials()
    killed = trials[victim.number]
    assert killed.state.name == "FAIL" and "killed" in killed.user_attrs["fail_reason"]
    assert runs.run_info(runs.find_run(runs_dir, killed.user_attrs["run_dir"])).status == "killed"
    complete = [t.number for t in trials if t.state.name == "COMPLETE"]
    assert complete[: len(kept)] == kept and min(complete[len(kept):]) > max(running)  # kept, not run again
