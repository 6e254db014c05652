"""A study killed mid-trial (SIGKILL) resumes to the requested number of trials; the killed trial is failed, not lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

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


def _mid_trial(storage: str, name: str):
    """The study's running trial once a trial completed before it and it has an epoch in its run (else None)."""
    if not os.path.isfile(storage.removeprefix("sqlite:///")):
        return None
    try:
        trials = optuna.load_study(study_name=name, storage=storage).get_trials()
    except KeyError:  # the study is not created yet
        return None
    running = [t for t in trials if t.state.name == "RUNNING" and "run_dir" in t.user_attrs]
    if not running or not any(t.state.name == "COMPLETE" for t in trials):
        return None
    history = runs.read_history(running[0].user_attrs["run_dir"]) if os.path.isdir(running[0].user_attrs["run_dir"]) else {}
    return running[0] if history.get("loss") else None


def _start_and_kill(config, runs_dir, storage: str):
    process = subprocess.Popen([sys.executable, "-m", "dltrain.cli", "tune", str(config), "--trials", "2",
                                "--runs-dir", str(runs_dir)], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    import dltrain.training  # noqa: F401  (TensorFlow loads here while the study's process starts: the resume needs it)

    try:
        while time.monotonic() < deadline and process.poll() is None:
            victim = _mid_trial(storage, "kill_tune")
            if victim is not None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return victim
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    pytest.fail(f"never saw a trial mid-run (exit code {process.returncode})")


def test_a_killed_study_resumes_to_the_requested_trials(tmp_path):
    config = study_config(tmp_path, SEARCH, name="kill_tune", epochs=3)
    runs_dir = tmp_path / "runs"
    storage = f"sqlite:///{runs_dir / 'studies' / 'kill_tune' / 'study.db'}"
    victim = _start_and_kill(config, runs_dir, storage)
    stored = optuna.load_study(study_name="kill_tune", storage=storage).get_trials()
    assert stored[victim.number].state.name == "RUNNING"  # what Optuna leaves behind a killed process

    result = tune(config, trials=2, runs_dir=runs_dir, quiet=True)

    assert result.marked_failed == [victim.number]
    assert result.ok and result.counts["complete"] == 2 and result.counts["fail"] == 1
    trials = optuna.load_study(study_name="kill_tune", storage=storage).get_trials()
    killed = trials[victim.number]
    assert killed.state.name == "FAIL" and "killed" in killed.user_attrs["fail_reason"]
    assert runs.run_info(runs.find_run(runs_dir, killed.user_attrs["run_dir"])).status == "killed"
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    assert complete[0].number < victim.number < complete[1].number  # the first one was kept, not run again
