"""The run directory's owner: atomic files, damage read as one error, the lock, history, finding runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dltrain import runs
from dltrain.errors import UserError


def make_run(root, name, status="completed", **extra):
    path = root / name
    path.mkdir(parents=True)
    runs.write_json(path / runs.RUN, {"status": status, "started": name[:15], **extra})
    (path / runs.CONFIG).write_text("name: tiny\ntraining: {epochs: 3}\n")
    return path


def test_read_json_names_a_truncated_file(tmp_path):
    path = tmp_path / runs.RUN
    path.write_text('{"status": "runn')
    with pytest.raises(UserError, match=r"run.json: cannot read the file: not valid JSON .*damaged"):
        runs.read_json(path)
    path.write_text("[1, 2]")
    with pytest.raises(UserError, match="does not hold a JSON object"):
        runs.read_json(path)
    with pytest.raises(UserError, match="the file is missing"):
        runs.read_json(tmp_path / "gone.json")


def test_a_damaged_run_is_listed_as_damaged(tmp_path):
    good = make_run(tmp_path, "20260101-000001-good")
    bad = make_run(tmp_path, "20260101-000002-bad")
    (bad / runs.RUN).write_text("{not json")
    infos = {i.id: i for i in runs.list_runs(tmp_path)}
    assert infos[good.name].status == "completed" and not infos[good.name].problems
    assert infos[bad.name].status == "damaged" and "run.json" in infos[bad.name].reason


def test_damaged_metrics_are_noted_not_raised(tmp_path):
    run = make_run(tmp_path, "20260101-000001-a")
    (run / runs.METRICS).write_text('{"test": ')
    info = runs.run_info(run)
    assert info.status == "completed" and info.test == {} and "metrics.json" in info.problems[0]


def test_the_lock_admits_one_writer_and_names_it(tmp_path):
    run = make_run(tmp_path, "20260101-000001-a", status="running", pid=os.getpid())
    with runs.RunLock(run):
        assert runs.is_locked(run) is True
        assert runs.current_status(runs.read_json(run / runs.RUN), run) == "running"
        with pytest.raises(UserError, match=rf"being written by process {os.getpid()} on "):
            runs.RunLock(run)
    assert runs.is_locked(run) is False
    # Nobody holds the lock but run.json still says running: its process died.
    assert runs.current_status(runs.read_json(run / runs.RUN), run) == "killed"


def test_the_kernel_drops_the_lock_of_a_dead_process(tmp_path):
    run = make_run(tmp_path, "20260101-000001-a", status="running")
    code = f"from dltrain import runs; from pathlib import Path; runs.RunLock(Path({str(run)!r})); import os; os._exit(0)"
    subprocess.run([sys.executable, "-c", code], check=True)
    runs.RunLock(run).release()  # would raise if the dead process still held it


def test_processes_started_at_once_get_distinct_directories(tmp_path):
    # Each waits for the same instant, so all ask for the same second's name: what two `dltrain fit` started
    # together do (fit creates its directory through create_run_dir alone).
    start = time.time() + 2
    code = ("import sys, time; from dltrain import runs; time.sleep(max(0, float(sys.argv[2]) - time.time())); "
            "print(runs.create_run_dir(sys.argv[1], 'same'))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "runs"), str(start)], stdout=subprocess.PIPE,
                              text=True) for _ in range(6)]
    made = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(made)) == 6 and sorted(made) == sorted(str(d) for d in (tmp_path / "runs").iterdir())
    assert len({Path(m).name.rsplit("-same", 1)[0] for m in made}) < 6  # they did race: some share a second


def test_history_keeps_complete_rows_and_cuts_to_the_epochs_done(tmp_path):
    history = runs.HistoryFile(tmp_path / runs.HISTORY)
    for epoch in range(3):
        history.append(epoch, {"loss": 1.0 / (epoch + 1), "accuracy": 0.5})
    with open(tmp_path / runs.HISTORY, "a") as f:
        f.write("3,0.2")  # a kill mid-write leaves a partial line
    assert [r["epoch"] for r in history.rows()] == ["0", "1", "2"]
    history.keep_epochs_before(2)
    assert runs.read_history(tmp_path) == {"epoch": [0.0, 1.0], "loss": [1.0, 0.5], "accuracy": [0.5, 0.5]}
    reopened = runs.HistoryFile(tmp_path / runs.HISTORY)
    reopened.append(2, {"accuracy": 0.75, "loss": 0.3})  # columns keep the file's order
    assert runs.read_history(tmp_path)["loss"] == [1.0, 0.5, 0.3]


def test_find_run_by_directory_id_or_unique_prefix(tmp_path):
    a = make_run(tmp_path, "20260101-000001-a")
    b = make_run(tmp_path, "20260101-000002-b")
    assert runs.find_run(tmp_path, a) == a
    assert runs.find_run(tmp_path, b.name) == b
    assert runs.find_run(tmp_path, "20260101-000002") == b
    with pytest.raises(UserError, match=r"'20260101-00000' matches 2 runs .*give more of the id"):
        runs.find_run(tmp_path, "20260101-00000")
    with pytest.raises(UserError, match="no run 'zzz'"):
        runs.find_run(tmp_path, "zzz")


def test_atomic_write_leaves_the_old_file_when_the_write_fails(tmp_path):
    path = tmp_path / "metrics.json"
    runs.write_json(path, {"a": 1})
    with pytest.raises(RuntimeError):
        with runs.atomic(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert json.loads(path.read_text()) == {"a": 1} and [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_predictions_round_trip(tmp_path):
    runs.write_predictions(tmp_path, [0, 1, 1], [0, 1, 0], ["cat", "dog"])
    y_true, y_pred, names = runs.read_predictions(tmp_path)
    assert y_true.tolist() == [0, 1, 1] and y_pred.tolist() == [0, 1, 0] and names == ["cat", "dog"]
    assert runs.read_predictions(tmp_path / "none") is None
