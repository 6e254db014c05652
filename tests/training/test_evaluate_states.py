"""`dltrain evaluate` of a run without a model says what state the run is in and what to do."""

from __future__ import annotations

import pytest

from dltrain import runs
from dltrain.cli.app import run
from dltrain.runs.history import HistoryFile
from dltrain.runs.status import RunLock, RunStatus


def _run(tmp_path, epochs_done: int = 0, end: str | None = None, best: bool = False):
    """A run directory as `fit` leaves it at that point: run.json, history.csv, maybe best.keras."""
    run_dir = runs.create_run_dir(tmp_path, "tiny")
    (run_dir / runs.CONFIG).write_text("name: tiny\n", encoding="utf-8")
    lock = RunLock(run_dir)
    status = RunStatus.start(run_dir)
    for epoch in range(epochs_done):
        HistoryFile(run_dir / runs.HISTORY).append(epoch, {"loss": 1.0})
    if best:
        (run_dir / runs.BEST).write_bytes(b"")
    if end:
        status.end(end)
        lock.release()
    return run_dir, lock


def _error(capsys, *args) -> str:
    assert run(["evaluate", *map(str, args)]) == 2
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    return line


@pytest.mark.parametrize("what", ["run", "model"])
def test_a_run_still_training_says_so_whether_named_by_run_or_by_model_file(tmp_path, capsys, what):
    run_dir, lock = _run(tmp_path, epochs_done=2, best=True)
    target = run_dir if what == "run" else run_dir / runs.MODEL
    assert _error(capsys, target) == (
        f"error: {run_dir}: the run is still training (no model.keras yet); wait for it to end, or evaluate its "
        f"best checkpoint: dltrain evaluate {run_dir / runs.BEST}")
    lock.release()


def test_a_run_still_in_its_first_epoch_has_no_checkpoint_to_offer(tmp_path, capsys):
    run_dir, lock = _run(tmp_path)
    assert _error(capsys, run_dir / runs.BEST) == (
        f"error: {run_dir}: the run is still training (no best.keras yet); wait for it to end, or no epoch has "
        "completed yet")
    lock.release()


def test_an_interrupted_run_is_offered_its_resume(tmp_path, capsys):
    run_dir, _ = _run(tmp_path, epochs_done=3, end="interrupted", best=True)
    assert _error(capsys, run_dir) == (
        f"error: {run_dir}: the run is interrupted after 3 epochs, before writing model.keras; resume it with "
        f"dltrain fit --resume {run_dir}, or evaluate its best checkpoint: dltrain evaluate {run_dir / runs.BEST}")


def test_a_run_stopped_before_its_first_epoch_is_not_offered_a_resume(tmp_path, capsys):
    run_dir, _ = _run(tmp_path, end="interrupted")
    line = _error(capsys, run_dir / runs.MODEL)
    assert line == (f"error: {run_dir}: the run is interrupted and no epoch completed, so it has no model; start it "
                    "again with dltrain fit CONFIG")


def test_a_completed_run_whose_model_was_deleted(tmp_path, capsys):
    run_dir, _ = _run(tmp_path, epochs_done=1, end="completed", best=True)
    assert "the run is completed but its model.keras is missing (moved or deleted?)" in _error(capsys, run_dir)


@pytest.mark.slow
def test_sigterm_before_the_first_epoch_offers_no_resume(write_config, tmp_path, capsys):
    import json
    import signal
    import subprocess
    import sys
    import time

    import numpy as np
    from conftest import tiny_images

    # 40,000 samples, one a step: the first epoch lasts 15 s or more on an idle core (6,000 ended within the 3 s this
    # test waited while the machine was quiet), so the signal lands inside it, after the steps are traced (the stage
    # line "training…" comes just before). The signal ends it at once: the length costs nothing.
    x, y = tiny_images(40000, seed=1)
    data = tmp_path / "long.npz"
    np.savez(data, x_train=x, y_train=y, x_test=x[:60], y_test=y[:60])
    config = write_config(f"data: {{dataset: npz, path: {data}}}\nmodel: {{type: mlp, hidden_units: [256]}}\n"
                          "training: {epochs: 5, batch_size: 1, steps_per_execution: 1}\n")
    proc = subprocess.Popen([sys.executable, "-c", "from dltrain.cli import main; main()", "fit", str(config),
                             "--runs-dir", str(tmp_path / "runs")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    for line in proc.stdout:
        if line.startswith("training"):
            break
    time.sleep(2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert not (run_dir / "state" / "latest.json").exists(), "the first epoch ended before the signal"
    assert proc.returncode == 143 and "Traceback" not in err
    assert "nothing to resume" in err and "--resume" not in err
    assert json.loads((run_dir / runs.RUN).read_text())["status"] == "interrupted"
    capsys.readouterr()
    assert run(["fit", "--resume", str(run_dir)]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    assert run(["evaluate", str(run_dir)]) == 2
    assert "no epoch completed, so it has no model" in capsys.readouterr().err


def test_ctrl_c_before_a_fit_has_a_run_says_so(tmp_path, capsys, monkeypatch):
    import dltrain.config

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(dltrain.config, "load_config", interrupted)  # Ctrl-C while the config and data load
    assert run(["fit", str(tmp_path / "any.yaml"), "--runs-dir", str(tmp_path / "runs")]) == 130
    assert capsys.readouterr().err.strip() == "interrupted before training started; no run was written"
    assert not (tmp_path / "runs").exists()


def test_a_run_stopped_before_recording_its_config_has_nothing_to_resume(tmp_path, capsys):
    """A signal between run.json and config.yaml (the first two files a run writes) is not a damaged run."""
    run_dir = tmp_path / "20260101-000000-config"
    run_dir.mkdir()
    (run_dir / runs.RUN).write_text('{"status": "interrupted"}')
    assert run(["fit", "--resume", str(run_dir)]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    (run_dir / runs.RUN).unlink()  # no run.json either: not a run directory at all
    assert run(["fit", "--resume", str(run_dir)]) == 2
    assert "not a run directory" in capsys.readouterr().err
