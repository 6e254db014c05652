"""Run directories: listing, finding by id prefix, showing, comparing, cleaning."""

from __future__ import annotations

import json
import os

import pytest

from dltrain import cli, runs
from dltrain.errors import UserError


@pytest.fixture(scope="module")
def several(tmp_path_factory):
    """A completed run, a second with other settings, a failed one, an interrupted one, a smoke run."""
    from conftest import tiny_images
    import numpy as np

    root = tmp_path_factory.mktemp("several")
    x, y = tiny_images(240, seed=1)
    np.savez(root / "tiny.npz", x_train=x, y_train=y, x_test=x[:60], y_test=y[:60])
    config = root / "tiny.yaml"
    config.write_text(f"data: {{dataset: npz, path: {root / 'tiny.npz'}}}\ntraining: {{epochs: 2}}\n")
    out = root / "runs"
    args = ["fit", str(config), "--runs-dir", str(out), "--json"]
    assert cli.run(args) == 0
    assert cli.run(args + ["--set", "training.epochs=3", "--set", "model.hidden_units=[16]"]) == 0
    assert cli.run(args + ["--set", "optimizer={SGD: {learning_rate: 1.0e+30}}"]) == 1
    assert cli.run(args + ["--smoke"]) == 0
    assert cli.run(args) == 0
    newest = sorted(out.iterdir())[-1]
    status = json.loads((newest / runs.RUN).read_text())
    status.update(status="interrupted", reason="SIGINT during training")
    (newest / runs.RUN).write_text(json.dumps(status))
    return out


@pytest.mark.slow
def test_list_newest_first_with_every_status(several, capsys):
    infos = runs.list_runs(several)
    assert len(infos) == 5
    assert [i.started for i in infos] == sorted((i.started for i in infos), reverse=True)
    assert {i.status for i in infos} == {"completed", "failed", "interrupted"}
    assert sum(i.smoke for i in infos) == 1
    done = [i for i in infos if i.status == "completed" and not i.smoke]
    assert {(i.epochs_done, i.epochs) for i in done} == {(2, 2), (3, 3)}
    assert all("accuracy" in i.test for i in done)


@pytest.mark.slow
def test_list_filters_and_json(several, capsys):
    assert cli.run(["runs", "list", "--runs-dir", str(several), "--status", "failed", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["runs"]
    assert len(listed) == 1 and listed[0]["status"] == "failed"
    assert "nan" in listed[0]["reason"] or "inf" in listed[0]["reason"]
    assert cli.run(["runs", "list", "--runs-dir", str(several), "--name", "nothing-like-this", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == []


@pytest.mark.slow
def test_list_table(several, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # narrower (pytest-xdist's workers: 80), rich folds "(smoke)"
    assert cli.run(["runs", "list", "--runs-dir", str(several)]) == 0
    out = capsys.readouterr().out
    for info in runs.list_runs(several):
        assert info.id in out
    assert "interrupted" in out and "failed" in out and "(smoke)" in out


def test_killed_runs_are_shown_as_killed(tmp_path):
    run_dir = tmp_path / "20260101-000000-x"
    run_dir.mkdir()
    import socket

    runs.write_json(run_dir / runs.RUN, {"status": "running", "pid": 2**22 + 12345, "host": socket.gethostname()})
    assert runs.run_info(run_dir).status == "killed"
    runs.write_json(run_dir / runs.RUN, {"status": "running", "pid": os.getpid(), "host": socket.gethostname()})
    assert runs.run_info(run_dir).status == "running"


@pytest.mark.slow
def test_find_by_prefix(several):
    first = runs.list_runs(several)[-1]
    assert runs.find_run(several, first.path) == first.path
    assert runs.find_run(several, first.id) == first.path
    with pytest.raises(UserError, match="matches 5 runs"):
        runs.find_run(several, first.id[:4])
    with pytest.raises(UserError, match="no run 'zzz'"):
        runs.find_run(several, "zzz")


@pytest.mark.slow
def test_show(several, capsys):
    run_id = runs.list_runs(several, status="completed")[0].id
    assert cli.run(["runs", "show", run_id, "--runs-dir", str(several)]) == 0
    out = capsys.readouterr().out
    assert run_id in out and "test (final model, model.keras): " in out and "history" in out and "report.html" in out
    assert cli.run(["runs", "show", run_id, "--runs-dir", str(several), "--json"]) == 0
    details = json.loads(capsys.readouterr().out)
    assert details["run"]["id"] == run_id and details["metrics"]["test"] and details["environment"]["keras"]


@pytest.mark.slow
def test_compare(several, tmp_path, capsys):
    a, b = [i for i in runs.list_runs(several) if i.status == "completed" and not i.smoke][:2]
    png = tmp_path / "cmp.png"
    assert cli.run(["runs", "compare", a.id, str(b.path), "--runs-dir", str(several), "--out", str(png), "--json"]) == 0
    comparison = json.loads(capsys.readouterr().out)
    assert set(comparison["config_differences"]) == {"training.epochs", "model.hidden_units"}
    assert len(comparison["test"]["accuracy"]) == 2
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert cli.run(["runs", "compare", a.id, "--runs-dir", str(several)]) == 2


@pytest.mark.slow
def test_clean_asks_first_then_removes(several, tmp_path, capsys, monkeypatch):
    import shutil

    copy = tmp_path / "runs"
    shutil.copytree(several, copy)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("n\n"))
    assert cli.run(["runs", "clean", "--runs-dir", str(copy), "--smoke", "--failed"]) == 0
    assert "nothing removed" in capsys.readouterr().out and len(runs.list_runs(copy)) == 5
    assert cli.run(["runs", "clean", "--runs-dir", str(copy), "--smoke", "--failed", "--yes"]) == 0
    left = runs.list_runs(copy)
    assert len(left) == 3 and not any(i.smoke or i.status == "failed" for i in left)
    assert cli.run(["runs", "clean", "--runs-dir", str(copy)]) == 2


def test_tune_trials_are_listed_and_found_by_id(tmp_path, capsys, monkeypatch):
    plain = tmp_path / "20260101-000000-digits"
    trial = tmp_path / runs.STUDIES / "digits_tune" / "20260101-000100-digits_tune-trial-3"
    not_a_run = tmp_path / runs.STUDIES / "digits_tune" / "plots"
    for folder, started in ((plain, "2026-01-01T00:00:00"), (trial, "2026-01-01T00:01:00")):
        folder.mkdir(parents=True)
        runs.write_json(folder / runs.RUN, {"status": "completed", "started": started})
    not_a_run.mkdir()
    infos = runs.list_runs(tmp_path)
    assert [(i.id, i.study) for i in infos] == [(trial.name, "digits_tune"), (plain.name, None)]
    assert runs.find_run(tmp_path, "20260101-0001") == trial
    monkeypatch.setenv("COLUMNS", "200")
    assert cli.run(["runs", "list", "--runs-dir", str(tmp_path)]) == 0
    assert "(study digits_tune)" in capsys.readouterr().out
