"""dltrain launch: N local processes of one run, a watchdog that never lets them hang, and its refusals."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dltrain.distribute.launch import launch
from single_process import DIGITS, EPOCHS, NOISE, single_process_accuracy  # noqa: F401  (a fixture)

CLI = [sys.executable, "-c", "from dltrain.cli import main; main()"]

# A stand-in for a process stuck in a collective: it ignores SIGTERM and never makes progress.
HANG = textwrap.dedent("""
    import os, signal, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("process", os.environ["KERAS_DISTRIBUTION_PROCESS_ID"], "of", os.environ["KERAS_DISTRIBUTION_NUM_PROCESSES"],
          "at", os.environ["KERAS_DISTRIBUTION_JOB_ADDRESSES"], flush=True)
    if sys.argv[1] == "fail" and os.environ["KERAS_DISTRIBUTION_PROCESS_ID"] == "1":
        sys.exit(3)
    time.sleep(600)
""")


def test_a_hung_group_that_ignores_sigterm_is_killed_and_named():
    out = io.StringIO()
    started = time.monotonic()
    outcome = launch(2, ["hang"], stall_timeout=2, grace=1, out=out, program=[sys.executable, "-c", HANG])
    assert time.monotonic() - started < 15
    assert outcome.code == 1
    assert "no process completed a step or printed a line for 2 s" in outcome.message
    assert "process 0" in outcome.message and "process 1" in outcome.message
    assert all(code is None for code in outcome.codes)  # both were still running, hung, when stopped
    lines = out.getvalue().splitlines()
    assert sorted(line.split(" at ")[0] for line in lines) == ["[0] process 0 of 2", "[1] process 1 of 2"]
    assert re.fullmatch(r"\[0\] process 0 of 2 at 127\.0\.0\.1:\d+", next(l for l in lines if l.startswith("[0]")))


def test_one_failing_process_stops_the_others_at_once():
    started = time.monotonic()
    outcome = launch(2, ["fail"], stall_timeout=60, grace=1, out=io.StringIO(), program=[sys.executable, "-c", HANG])
    assert time.monotonic() - started < 15  # not the stall timeout: the failure itself ends the group
    assert outcome.code == 3
    assert re.fullmatch(r"process 1 \(pid \d+\) exited with code 3", outcome.message)


def test_launch_refuses_a_batch_the_processes_cannot_share_before_starting_any(tmp_path: Path):
    started = time.monotonic()
    done = subprocess.run([*CLI, "launch", "--workers", "3", str(DIGITS), "--set", "backend=jax",
                           "--runs-dir", str(tmp_path / "runs")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert time.monotonic() - started < 20
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "digits_mlp.yaml" in lines[0] and "training.batch_size" in lines[0] and "multiple of 3" in lines[0]
    assert not (tmp_path / "runs").exists()


def test_launch_refuses_multi_worker_on_tensorflow(tmp_path: Path):
    done = subprocess.run([*CLI, "launch", "--workers", "2", str(DIGITS), "--runs-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "backend" in done.stderr and "keras-team/keras#20585" in done.stderr
    assert not any(tmp_path.iterdir())


def _children_of(pid: int) -> dict[int, str]:
    """{pid: KERAS_DISTRIBUTION_PROCESS_ID} of the processes ``pid`` started."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            env = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        ids = [e.split(b"=", 1)[1].decode() for e in env if e.startswith(b"KERAS_DISTRIBUTION_PROCESS_ID=")]
        if ppid == pid and ids:
            found[int(entry.name)] = ids[0]
    return found


@pytest.mark.slow
def test_a_killed_process_ends_the_launch_with_one_line_and_the_group_resumes(tmp_path: Path,
                                                                             single_process_accuracy):
    """Two processes train digits; one is killed; the group stops at once, and --resume completes the run
    as one run directory, written by process 0, with the single-process run's accuracy."""
    launcher = subprocess.Popen([*CLI, "launch", "--workers", "2", str(DIGITS), "--set", "backend=jax",
                                 "--set", f"training.epochs={EPOCHS}", "--runs-dir", str(tmp_path), "--grace", "2"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in launcher.stdout:
            if line.startswith(f"[0] Epoch 1/{EPOCHS}"):  # one epoch's state is saved
                break
        workers = {index: pid for pid, index in _children_of(launcher.pid).items()}
        os.kill(workers["1"], signal.SIGKILL)
        killed = time.monotonic()
        launcher.stdout.read()
        stderr = launcher.stderr.read()
        code = launcher.wait(timeout=60)
        seconds = time.monotonic() - killed
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert code == 1
    assert seconds < 20, seconds
    lines = stderr.strip().splitlines()
    assert lines[-1].startswith(f"error: launch: process 1 (pid {workers['1']}) was killed by SIGKILL"), stderr
    assert not _children_of(launcher.pid)
    print(f"launch exited {seconds:.1f} s after the kill")

    (run,) = list(tmp_path.iterdir())
    done_before = json.loads((run / "state" / "latest.json").read_text())["epochs_done"]
    assert 1 <= done_before < EPOCHS
    resumed = subprocess.run([*CLI, "launch", "--workers", "2", "--resume", str(run), "--runs-dir", str(tmp_path),
                              "--grace", "2", "--stall-timeout", "120"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert [p.name for p in tmp_path.iterdir()] == [run.name]  # one run directory, written by process 0
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "completed" and info["backend"] == "jax"
    assert info["resumes"][-1]["from_epoch"] == done_before
    assert info["distribution"]["processes"] == 2 and info["distribution"]["devices"] == 2
    assert info["throughput"]["devices"] == 2 and info["throughput"]["samples_per_second"] > 0
    assert "DataParallel" in info["distribution"]["engine"]
    history = (run / "history.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in history[1:]] == [str(e) for e in range(EPOCHS)]  # each epoch once
    worker = re.search(r"^\[1\] weights sha256: ([0-9a-f]{64})$", resumed.stdout, re.M)
    assert worker and worker.group(1) == info["weights_sha256"]  # the same trained weights on both processes
    accuracy = json.loads((run / "metrics.json").read_text())["test"]["accuracy"]
    assert abs(accuracy - single_process_accuracy) <= NOISE, (accuracy, single_process_accuracy)
