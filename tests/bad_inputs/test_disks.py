"""Class 5: a full disk or a read-only run directory. One line, the run's status true, no half run presented.

Disks are simulated: the run package's atomic writes (every file of a run goes
through them), ``mkdir`` or the lock's ``open`` raise ENOSPC or EROFS. Slow:
runs train a tiny model.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from pathlib import Path

import pytest

from corpus import error_line
from dltrain import cli
from test_bad_run_dirs import base, copy_of  # noqa: F401  (the module's interrupted and completed runs)

pytestmark = pytest.mark.slow


def failing_atomic(monkeypatch, code: int, fails=lambda path: True):
    """Makes the run package's atomic writes raise ``OSError(code)`` for the paths ``fails`` picks."""
    from dltrain import runs
    from dltrain.runs import files

    real = files.atomic

    @contextlib.contextmanager
    def atomic(path: Path):
        if fails(Path(path)):
            raise OSError(code, os.strerror(code), str(path))
        with real(path) as tmp:
            yield tmp

    monkeypatch.setattr(files, "atomic", atomic)
    monkeypatch.setattr(runs, "atomic", atomic)


def listed(runs_dir: Path, capsys) -> list[dict]:
    assert cli.run(["runs", "list", "--runs-dir", str(runs_dir), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["runs"]


def fit_fails(args, capsys, expected: str) -> str:
    code = cli.run(args)
    line = error_line(capsys.readouterr().err)
    assert code == 2, line
    assert expected in line, line
    return line


@pytest.mark.parametrize("code,fix", [(errno.ENOSPC, "free some disk space"),
                                      (errno.EDQUOT, "free some disk space"),
                                      (errno.EROFS, "not writable")])
def test_a_full_disk_at_the_start_leaves_no_run(base, tmp_path, capsys, monkeypatch, code, fix):
    config = base[1] / "config.yaml"
    runs_dir = tmp_path / "runs"
    failing_atomic(monkeypatch, code)
    line = fit_fails(["fit", str(config), "--runs-dir", str(runs_dir)], capsys, fix)
    assert os.strerror(code) in line, line
    assert listed(runs_dir, capsys) == []  # nothing presented as a run
    assert not runs_dir.exists() or not any(runs_dir.iterdir()), list(runs_dir.iterdir())


def test_a_full_disk_during_training_marks_the_run_failed(base, tmp_path, capsys, monkeypatch):
    config = base[1] / "config.yaml"
    runs_dir = tmp_path / "runs"
    # The disk fills at the second epoch's state; run.json (small) can still be written.
    failing_atomic(monkeypatch, errno.ENOSPC, lambda p: p.parent.name == "epoch-2" and p.name == "model.npz")
    line = fit_fails(["fit", str(config), "--runs-dir", str(runs_dir)], capsys, "free some disk space")
    assert "model.npz" in line or "No space left" in line, line
    (run,) = listed(runs_dir, capsys)
    assert run["status"] == "failed" and "No space left on device" in run["reason"], run


def test_a_disk_full_for_run_json_too_is_not_shown_running(base, tmp_path, capsys, monkeypatch):
    config = base[1] / "config.yaml"
    runs_dir = tmp_path / "runs"
    started = {"n": 0}

    def fails(path):  # run.json's first write works, then the disk is full for everything
        started["n"] += path.name == "run.json"
        return started["n"] > 1 or path.name != "run.json"

    failing_atomic(monkeypatch, errno.ENOSPC, fails)
    fit_fails(["fit", str(config), "--runs-dir", str(runs_dir)], capsys, "free some disk space")
    for run in listed(runs_dir, capsys):
        assert run["status"] not in ("running", "completed"), run


def test_a_read_only_runs_dir_at_fit(base, tmp_path, capsys, monkeypatch):
    config = base[1] / "config.yaml"
    runs_dir = tmp_path / "runs"
    real = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if runs_dir in (self, *self.parents):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    fit_fails(["fit", str(config), "--runs-dir", str(runs_dir)], capsys, "Read-only file system")
    monkeypatch.undo()
    assert listed(runs_dir, capsys) == []


@pytest.mark.parametrize("where", ["lock", "writes"])
def test_a_read_only_run_at_resume_keeps_its_status(base, tmp_path, capsys, monkeypatch, where):
    run_dir = copy_of(base[0], tmp_path)
    before = (run_dir / "run.json").read_bytes()
    if where == "lock":
        real = os.open

        def open_(path, *args, **kwargs):
            if str(path).endswith(".lock"):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
            return real(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", open_)
    else:
        failing_atomic(monkeypatch, errno.EROFS)
    line = fit_fails(["fit", "--resume", str(run_dir)], capsys, "not writable")
    assert "Read-only file system" in line, line
    monkeypatch.undo()
    assert (run_dir / "run.json").read_bytes() == before  # nothing could be written: still interrupted
    (run,) = listed(tmp_path / "runs", capsys)
    assert run["status"] == "interrupted", run


@pytest.mark.parametrize("code,fix", [(errno.EROFS, "not writable"), (errno.ENOSPC, "free some disk space")])
def test_evaluate_on_a_read_only_or_full_disk(base, tmp_path, capsys, monkeypatch, code, fix):
    run_dir = copy_of(base[1], tmp_path)
    failing_atomic(monkeypatch, code)
    line = fit_fails(["evaluate", str(run_dir)], capsys, fix)
    assert "evaluate.json" in line, line
    assert not (run_dir / "evaluate.json").exists()
