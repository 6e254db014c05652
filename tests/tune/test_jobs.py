"""--jobs N: worker processes share one study's storage and stop at its target together."""

from __future__ import annotations

import json
import os

import pytest

from dltrain.cli.app import run
from tune_configs import study_config

optuna = pytest.importorskip("optuna")
pytestmark = pytest.mark.slow  # two worker processes load TensorFlow


def test_jobs_share_one_study_and_stop_at_its_target(tmp_path, capsys):
    config = study_config(tmp_path, """\
        space:
          model.dropout: {uniform: [0.0, 0.3]}
        pruning: {pruner: none}
        """, name="jobs_tune")
    code = run(["tune", str(config), "--smoke", "--jobs", "2", "--runs-dir", str(tmp_path / "runs"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert out["study"] == "jobs_tune-smoke" and out["done"] == 2 and out["counts"]["fail"] == 0
    trials = optuna.load_study(study_name="jobs_tune-smoke", storage=out["storage"]).get_trials()
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE"]  # the two workers stopped at the target
    assert all(t.user_attrs["pid"] != os.getpid() for t in trials)  # trained in the workers
    session = optuna.load_study(study_name="jobs_tune-smoke", storage=out["storage"]).user_attrs["sessions"][0]
    assert session["jobs"] == 2
