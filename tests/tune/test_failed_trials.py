"""A trial whose loss turns NaN fails, and the study goes on."""

from __future__ import annotations

import pytest

from dltrain.tune import tune
from tune_configs import study_config

optuna = pytest.importorskip("optuna")
pytestmark = pytest.mark.slow  # trains two tiny models


def test_a_nan_loss_fails_its_trial_and_the_study_goes_on(tmp_path):
    # A grid walks both values. Adam without its epsilon divides 0 by 0 for the weights of digits'
    # always-blank pixels: the loss is NaN in the first epoch.
    config = study_config(tmp_path, """\
        space:
          optimizer.Adam.epsilon: {choice: [0.0, 1.0e-7]}
        sampler: grid
        pruning: {pruner: none}
        """, name="nan_tune", epochs=2)
    result = tune(config, trials=2, runs_dir=tmp_path / "runs", quiet=True)
    trials = optuna.load_study(study_name="nan_tune", storage=result.storage).get_trials()
    states = {t.params["optimizer.Adam.epsilon"]: t.state.name for t in trials}
    assert states == {0.0: "FAIL", 1.0e-7: "COMPLETE"}
    failed = next(t for t in trials if t.state.name == "FAIL")
    assert "loss" in failed.user_attrs["fail_reason"] and "nan" in failed.user_attrs["fail_reason"].lower()
    assert result.ok and result.stopped == "grid done" and result.counts == {"complete": 1, "pruned": 0, "fail": 1, "running": 0, "waiting": 0}
    assert result.best["params"] == {"optimizer.Adam.epsilon": 1.0e-7}

