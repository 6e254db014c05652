"""A small study on digits, end to end: storage, trial runs, pruning, best config and its refit, plots."""

from __future__ import annotations

import csv
import math

import pytest

from dltrain import runs
from dltrain.config import load_config
from dltrain.tune import tune
from tune_configs import study_config

optuna = pytest.importorskip("optuna")
pytestmark = pytest.mark.slow  # trains TRIALS + 1 tiny models

TRIALS = 4

# Random sampling (seeded) makes the trials' values the same on every run of the test, whatever
# the models learn: two learning rates far apart, so the slow ones are pruned after their first epoch.
SEARCH = """\
space:
  optimizer.Adam.learning_rate: {choice: [3.0e-5, 0.02]}
  model.dropout: {uniform: [0.0, 0.3]}
objective: {metric: val_accuracy}
sampler: random
pruning: {pruner: median, startup_trials: 2, warmup_epochs: 0}
seed: 5
"""


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    config = study_config(folder, SEARCH)
    result = tune(config, trials=TRIALS, runs_dir=folder / "runs", quiet=True)
    return config, result


def test_the_study_reaches_its_trials_with_some_pruned(study):
    _, result = study
    assert result.ok and result.stopped == "target"
    assert result.counts["complete"] + result.counts["pruned"] == TRIALS  # no more than asked
    assert result.counts["pruned"] >= 1 and result.counts["complete"] >= 2
    assert result.direction == "maximize"  # inferred from val_accuracy


def test_the_storage_holds_every_trial_with_its_run(study):
    _, result = study
    stored = optuna.load_study(study_name=result.study, storage=result.storage)
    trials = stored.get_trials()
    assert len(trials) == TRIALS
    for trial in trials:
        run_dir = runs.find_run(result.study_dir, trial.user_attrs["run_dir"])
        assert run_dir.parent == result.study_dir and f"-t{trial.number:04d}" in run_dir.name
        assert runs.run_info(run_dir).status == "completed"  # a pruned trial's run completes too
        assert trial.params["optimizer.Adam.learning_rate"] in (3.0e-5, 0.02)
        if trial.state.name == "PRUNED":
            assert trial.user_attrs["epochs"] == trial.user_attrs["pruned_epoch"] < 3
    assert stored.user_attrs["optuna_version"] == optuna.__version__
    session = stored.user_attrs["sessions"][0]
    assert session["sampler"] == "RandomSampler" and session["settings"]["seed"] == 5


def test_trial_runs_are_ordinary_runs(study):
    _, result = study
    listed = runs.list_runs(result.study_dir)  # what dltrain runs list --runs-dir STUDY_DIR shows
    assert len(listed) == TRIALS and {i.status for i in listed} == {"completed"}


def test_the_table_matches_the_storage(study):
    _, result = study
    with open(result.study_dir / "trials.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    stored = {t.number: t for t in optuna.load_study(study_name=result.study, storage=result.storage).get_trials()}
    assert [int(r["number"]) for r in rows] == sorted(stored)
    for row in rows:
        trial = stored[int(row["number"])]
        assert row["state"] == trial.state.name.lower()
        assert math.isclose(float(row["value"]), trial.value)
        assert float(row["param model.dropout"]) == pytest.approx(trial.params["model.dropout"])
        assert float(row["seconds"]) > 0 and row["run_dir"] == trial.user_attrs["run_dir"]


def test_the_best_config_validates_and_reaches_the_best_value(study):
    from dltrain.training import fit
    from dltrain.tune.trial import best_epoch_value

    config, result = study
    best = load_config(result.best_config)  # what dltrain validate does with it
    assert best.search is None and best.name == "tiny_tune"
    assert best.optimizer.kwargs["learning_rate"] == result.best["params"]["optimizer.Adam.learning_rate"]
    assert best.model.dropout == pytest.approx(result.best["params"]["model.dropout"])
    refit = fit(best, runs_dir=config.parent / "refit", verbose=0)
    value = best_epoch_value(refit.history, "val_accuracy", "maximize")
    assert abs(value - result.best["value"]) <= 0.03  # the same seed and data: equal up to float noise


def test_the_plots_are_pngs_in_the_report(study):
    _, result = study
    names = {p.name for p in result.plots}
    assert {"history.png", "importances.png", "parallel.png", "intermediate.png"} <= names
    page = (result.study_dir / "report.html").read_text()
    for path in result.plots:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.count("data:image/png;base64,") == len(result.plots)
    assert page.count("<tr>") == TRIALS + 1  # a header and one row per trial
