"""Every RUN argument takes a directory, an id or a unique id prefix, looked up in --runs-dir."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import tiny_images
from dltrain import cli, runs

pytestmark = pytest.mark.slow  # trains a real (tiny) model


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A completed two-epoch run, alone in its runs directory."""
    root = tmp_path_factory.mktemp("refs")
    x, y = tiny_images(240, seed=1)
    np.savez(root / "tiny.npz", x_train=x, y_train=y, x_test=x[:60], y_test=y[:60])
    config = root / "tiny.yaml"
    config.write_text(f"seed: 3\ndata: {{dataset: npz, path: {root / 'tiny.npz'}}}\ntraining: {{epochs: 2}}\n")
    assert cli.run(["fit", str(config), "--runs-dir", str(root / "runs"), "--json"]) == 0
    (run_dir,) = (root / "runs").iterdir()
    return run_dir


@pytest.fixture
def copy(finished, tmp_path) -> Path:
    """The finished run in a runs directory of the test's own, to change freely."""
    shutil.copytree(finished.parent, tmp_path / "runs")
    return tmp_path / "runs" / finished.name


def run_json(capsys, *args: str) -> tuple[int, dict]:
    code = cli.run(list(args))
    return code, json.loads(capsys.readouterr().out)


def test_evaluate_by_id_prefix(finished, capsys):
    code, out = run_json(capsys, "evaluate", finished.name[:10], "--runs-dir", str(finished.parent), "--json")
    assert code == 0 and out["model"] == str(finished / runs.MODEL) and out["written_to"] == str(finished / runs.EVALUATION)


def test_evaluate_by_id_from_elsewhere_fails_with_the_runs_dir_named(finished, tmp_path, capsys):
    code, out = run_json(capsys, "evaluate", finished.name, "--runs-dir", str(tmp_path / "nowhere"), "--json")
    assert code == 2 and f"no run '{finished.name}'" in out["errors"][0]["message"]


def test_reproduce_by_id_prefix_puts_the_rerun_in_runs_dir(copy, capsys):
    code, out = run_json(capsys, "reproduce", copy.name[:10], "--runs-dir", str(copy.parent), "--json")
    assert code in (0, 1) and out["original"] == str(copy)
    rerun = Path(out["rerun"])
    assert rerun.parent == copy.parent and rerun != copy and runs.run_info(rerun).status == "completed"


def test_resume_by_id_prefix_with_more_epochs(copy, capsys):
    code, out = run_json(capsys, "fit", "--resume", copy.name[:10], "--runs-dir", str(copy.parent),
                         "--set", "training.epochs=3", "--force", "--json")
    assert code == 0 and out["run_dir"] == str(copy) and out["epochs"] == 3
    assert runs.read_history(copy)["epoch"] == [0, 1, 2]
    assert [p.name for p in copy.parent.iterdir()] == [copy.name]  # resumed in place, no new run
