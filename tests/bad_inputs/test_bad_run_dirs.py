"""Class 4: damaged run directories. One line naming the damaged file, and the run left as it was.

One interrupted run (2 of 3 epochs, resumable) and one completed run are trained
once per module; every case damages a copy of one of them. Slow: the module
trains twice (a few seconds).
"""

from __future__ import annotations

import importlib
import json
import shutil

import pytest

from conftest import tiny_images
from corpus import error_line, truncate
from dltrain import cli
from dltrain.errors import Interrupted

pytestmark = pytest.mark.slow

CONFIG = """\
name: damaged
seed: 3
data: {{dataset: npz, path: {npz}, validation_split: 0.25}}
model: {{type: mlp, hidden_units: [8]}}
training:
  epochs: 3
  batch_size: 32
  callbacks:
    - EarlyStopping: {{monitor: val_loss, patience: 5, restore_best_weights: true}}
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """(interrupted run, completed run): the interrupted one stopped by Ctrl-C after 2 of 3 epochs."""
    import numpy as np

    from dltrain.config import load_config
    from dltrain.training import callbacks as cbs
    from dltrain.training import fit

    d = tmp_path_factory.mktemp("base")
    x, y = tiny_images(128, seed=1)
    np.savez(d / "tiny.npz", x_train=x, y_train=y, x_test=x[:32], y_test=y[:32])
    (d / "config.yaml").write_text(CONFIG.format(npz=d / "tiny.npz"))
    original = cbs.EpochOrder.on_epoch_begin

    def stop(self, epoch, logs=None):
        if epoch == 2:
            raise KeyboardInterrupt
        original(self, epoch, logs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cbs.EpochOrder, "on_epoch_begin", stop)
        with pytest.raises(Interrupted) as info:
            fit(load_config(d / "config.yaml"), runs_dir=d / "cut", verbose=0)
    assert info.value.resumable
    done = fit(load_config(d / "config.yaml"), runs_dir=d / "done", verbose=0)
    return info.value.run_dir, done.run_dir


def copy_of(run_dir, tmp_path):
    runs_dir = tmp_path / "runs"
    return shutil.copytree(run_dir, runs_dir / run_dir.name)


def latest_folder(run_dir):
    return run_dir / "state" / json.loads((run_dir / "state" / "latest.json").read_text())["folder"]


DAMAGES = {
    "truncated": lambda p: truncate(p, 0.5),
    "deleted": lambda p: p.unlink(),
    "empty": lambda p: p.write_bytes(b""),
    "not JSON": lambda p: p.write_text("{'status': completed"),
    "a list": lambda p: p.write_text("[1, 2, 3]\n"),
    "binary": lambda p: p.write_bytes(b"\xff\xfe\x00garbage\x00"),
}


def run_cli(args, capsys) -> tuple[int, str]:
    code = cli.run(args)
    return code, capsys.readouterr().err


def refused(args, capsys, names: str) -> str:
    code, err = run_cli(args, capsys)
    line = error_line(err)
    assert code == 2, line
    assert names in line, line
    return line


# --- fit --resume of the interrupted run -------------------------------------------------------

RESUME_CASES = [
    *[("run.json", damage) for damage in ("truncated", "deleted", "empty", "not JSON", "a list", "binary")],
    *[("state/latest.json", damage) for damage in ("truncated", "deleted", "empty", "not JSON", "a list")],
    *[("callbacks.json", damage) for damage in ("truncated", "empty", "not JSON", "a list", "binary")],
    *[("model.npz", damage) for damage in ("truncated", "deleted", "empty", "binary")],
    *[("optimizer.npz", damage) for damage in ("truncated", "deleted")],
]


def _target(run_dir, name):
    if name in ("callbacks.json", "model.npz", "optimizer.npz"):
        return latest_folder(run_dir) / name
    return run_dir / name


@pytest.mark.parametrize("name,damage", RESUME_CASES, ids=[f"{n}-{d}" for n, d in RESUME_CASES])
def test_resume_of_a_damaged_run(base, tmp_path, capsys, name, damage):
    run_dir = copy_of(base[0], tmp_path)
    target = _target(run_dir, name)
    DAMAGES[damage](target)
    before = (run_dir / "run.json").read_bytes() if (run_dir / "run.json").exists() else None
    refused(["fit", "--resume", str(run_dir)], capsys, target.name)
    after = (run_dir / "run.json").read_bytes() if (run_dir / "run.json").exists() else None
    assert after == before, after  # a refused resume leaves the run as it was: never "failed"


@pytest.mark.parametrize("name,damage", [("model.npz", "truncated"), ("optimizer.npz", "binary"),
                                         ("callbacks.json", "not JSON")])
def test_a_damaged_state_is_refused_before_the_data_is_read(base, tmp_path, capsys, monkeypatch, name, damage):
    """Seconds of reading a large dataset and building the model are not spent on a run that cannot resume."""
    def never(*args, **kwargs):
        raise AssertionError("the data was read")

    monkeypatch.setattr(importlib.import_module("dltrain.training.fit"), "load_bundle", never)
    run_dir = copy_of(base[0], tmp_path)
    target = _target(run_dir, name)
    DAMAGES[damage](target)
    refused(["fit", "--resume", str(run_dir)], capsys, target.name)


LATEST_VALUES = {
    "epochs_done a string": {"epochs_done": "x", "folder": "epoch-2"},
    "no epochs_done": {"folder": "epoch-2"},
    "epochs_done a list": {"epochs_done": [2], "folder": "epoch-2"},
    "negative epochs_done": {"epochs_done": -1, "folder": "epoch-2"},
    "folder missing": {"epochs_done": 2, "folder": "epoch-9"},
    "folder a number": {"epochs_done": 2, "folder": 7},
}


@pytest.mark.parametrize("case", LATEST_VALUES)
def test_resume_with_wrong_values_in_latest_json(base, tmp_path, capsys, case):
    run_dir = copy_of(base[0], tmp_path)
    (run_dir / "state" / "latest.json").write_text(json.dumps(LATEST_VALUES[case]))
    before = (run_dir / "run.json").read_bytes()
    line = refused(["fit", "--resume", str(run_dir)], capsys, "state")
    assert "damaged" in line, line
    assert (run_dir / "run.json").read_bytes() == before


def test_resume_with_the_epoch_folder_deleted(base, tmp_path, capsys):
    run_dir = copy_of(base[0], tmp_path)
    shutil.rmtree(latest_folder(run_dir))
    before = (run_dir / "run.json").read_bytes()
    line = refused(["fit", "--resume", str(run_dir)], capsys, "epoch-2")
    assert "damaged" in line, line
    assert (run_dir / "run.json").read_bytes() == before


CALLBACK_VALUES = {
    "wait a string": {"EarlyStopping(val_loss)": {"wait": "x", "best": 0.5}},
    "best a list": {"EarlyStopping(val_loss)": {"wait": 0, "best": [1]}},
    "state a number": {"EarlyStopping(val_loss)": 3},
}


@pytest.mark.parametrize("case", CALLBACK_VALUES)
def test_resume_with_wrong_values_in_callbacks_json(base, tmp_path, capsys, case):
    run_dir = copy_of(base[0], tmp_path)
    (latest_folder(run_dir) / "callbacks.json").write_text(json.dumps(CALLBACK_VALUES[case]))
    before = (run_dir / "run.json").read_bytes()
    refused(["fit", "--resume", str(run_dir)], capsys, "callbacks.json")
    assert (run_dir / "run.json").read_bytes() == before


def test_resume_with_a_state_of_another_model_keeps_the_status(base, tmp_path, capsys):
    import numpy as np

    run_dir = copy_of(base[0], tmp_path)
    np.savez(latest_folder(run_dir) / "model.npz", np.zeros((3, 3)))
    before = (run_dir / "run.json").read_bytes()
    refused(["fit", "--resume", str(run_dir)], capsys, "model.npz")
    assert (run_dir / "run.json").read_bytes() == before


# --- evaluate, runs show, report of the completed run; runs list of both -----------------------

LOOK_CASES = [
    *[("run.json", damage) for damage in ("truncated", "empty", "not JSON", "a list", "binary")],
    *[("metrics.json", damage) for damage in ("truncated", "empty", "not JSON", "a list", "binary")],
]


@pytest.mark.parametrize("command", ["evaluate", "runs show", "report"])
@pytest.mark.parametrize("name,damage", LOOK_CASES, ids=[f"{n}-{d}" for n, d in LOOK_CASES])
def test_looking_at_a_damaged_run(base, tmp_path, capsys, command, name, damage):
    run_dir = copy_of(base[1], tmp_path)
    DAMAGES[damage](run_dir / name)
    refused([*command.split(), str(run_dir)], capsys, name)


def test_a_run_whose_run_json_was_deleted(base, tmp_path, capsys):
    run_dir = copy_of(base[1], tmp_path)
    (run_dir / "run.json").unlink()
    refused(["fit", "--resume", str(run_dir)], capsys, "run.json")
    assert not (run_dir / "run.json").exists()
    assert cli.run(["runs", "show", str(run_dir), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["run"]
    assert shown["status"] == "damaged" and "run.json: the file is missing" in shown["reason"], shown


@pytest.mark.parametrize("name,damage", [*LOOK_CASES, ("run.json", "deleted")])
def test_runs_list_marks_the_damaged_run(base, tmp_path, capsys, name, damage):
    runs_dir = tmp_path / "runs"
    good = copy_of(base[0], tmp_path)
    bad = copy_of(base[1], tmp_path)
    DAMAGES[damage](bad / name)
    code = cli.run(["runs", "list", "--runs-dir", str(runs_dir), "--json"])
    listed = json.loads(capsys.readouterr().out)["runs"]
    assert code == 0
    by_id = {r["id"]: r for r in listed}
    assert by_id[good.name]["status"] == "interrupted" and not by_id[good.name]["problems"]
    if name == "run.json" and damage == "deleted":
        assert bad.name not in by_id or by_id[bad.name]["status"] == "damaged"
        return
    row = by_id[bad.name]
    assert name in row["problems"][0], row
    if name == "run.json":
        assert row["status"] == "damaged", row
    code = cli.run(["runs", "list", "--runs-dir", str(runs_dir)])
    table = capsys.readouterr()
    assert code == 0 and "Traceback" not in table.err and good.name in table.out and bad.name in table.out


def test_runs_list_with_wrong_types_in_run_json(base, tmp_path, capsys):
    runs_dir = tmp_path / "runs"
    bad = copy_of(base[1], tmp_path)
    (bad / "run.json").write_text(json.dumps({"status": 5, "started": 7, "duration_seconds": "x", "smoke": "no"}))
    (bad / "metrics.json").write_text(json.dumps({"best": {"monitor": "val_loss", "value": "low"}, "test": 3}))
    for extra in ([], ["--json"]):
        code = cli.run(["runs", "list", "--runs-dir", str(runs_dir), *extra])
        out = capsys.readouterr()
        assert code == 0 and "Traceback" not in out.err, out.err
        assert bad.name in out.out
    (row,) = json.loads(out.out)["runs"]
    assert row["status"] == "damaged" and "run.json" in row["reason"], row
