"""The study's parts without training: suggestions and overrides, storage and resume rules, the study directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from dltrain.config import load_config
from dltrain.errors import UserError
from dltrain.tune import plots, report
from dltrain.tune import space as spaces
from dltrain.tune import study as studies
from dltrain.tune.session import make_spec
from tune_configs import study_config

optuna = pytest.importorskip("optuna")

SEARCH = """\
space:
  optimizer.Adam.learning_rate: {loguniform: [1.0e-5, 1.0e-1]}
  model.hidden_units: {choice: [[8], [16, 8]]}
  training.batch_size: {int: [16, 64]}
"""


@pytest.fixture
def config_path(tmp_path):
    return study_config(tmp_path, SEARCH)


def spec_for(config_path, **options):
    config = load_config(config_path)
    args = dict(trials=3, runs_dir=config_path.parent / "runs", study=None, storage=None, smoke=False,
                synthetic=False, timeout=None, overrides=[], quiet=True, jobs=1)
    args.update(options)
    return config, make_spec(config_path, config, **args)


def test_a_trials_values_become_overrides_the_config_takes(config_path):
    config = load_config(config_path)
    trial = optuna.trial.FixedTrial({"optimizer.Adam.learning_rate": 1.0e-5, "model.hidden_units": "[16, 8]",
                                     "training.batch_size": 48})
    values = spaces.suggest(trial, config.search)
    assert values == {"optimizer.Adam.learning_rate": 1.0e-5, "model.hidden_units": [16, 8], "training.batch_size": 48}
    trial_config = load_config(config_path, spaces.as_overrides(values))
    assert trial_config.optimizer.kwargs["learning_rate"] == 1.0e-5
    assert trial_config.model.hidden_units == [16, 8] and trial_config.training.batch_size == 48
    assert spaces.config_values(config.search, trial.params)["model.hidden_units"] == [16, 8]


def test_the_spec_takes_the_objective_target_and_seed_from_the_config(config_path):
    _, spec = spec_for(config_path)
    assert (spec.metric, spec.direction, spec.target, spec.seed) == ("val_accuracy", "maximize", 3, 3)
    assert spec.study_dir.endswith("runs/studies/tiny_tune") and spec.storage.endswith("tiny_tune/study.db")
    _, shared = spec_for(config_path, storage="postgresql://me:secret@db/optuna", study="shared")
    assert shared.storage == "postgresql://me:secret@db/optuna" and shared.name == "shared"
    assert studies.safe_url(shared.storage) == "postgresql://me:***@db/optuna"  # what study.json and hints show
    _, smoke = spec_for(config_path, smoke=True)
    assert smoke.target == 2 and smoke.name == "tiny_tune-smoke" and smoke.study_dir.endswith("-tiny_tune-smoke")
    assert os.path.isdir(smoke.study_dir)  # a new folder of its own: two smoke studies never share one


@pytest.mark.parametrize("options, words", [
    ({"trials": 0}, "--trials 0"),
    ({"jobs": 0}, "--jobs 0"),
    ({"study": "../x"}, "a study name is"),
    ({"smoke": True, "storage": "sqlite:///x.db"}, "leave out --storage"),
])
def test_options_out_of_range_are_refused(config_path, options, words):
    with pytest.raises(UserError, match=words.replace(".", r"\.")):
        spec_for(config_path, **options)


@pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")  # trials asked by hand, not by optimize
def test_a_killed_trial_is_failed_on_resume_and_a_live_one_is_not(config_path):
    config, spec = spec_for(config_path)
    os.makedirs(spec.study_dir)
    storage = studies.open_storage(spec.storage)
    study = studies.load_or_create(spec, config, storage=storage)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for pid in (dead.pid, os.getpid()):
        trial = study.ask()
        trial.set_user_attr("host", socket.gethostname())
        trial.set_user_attr("pid", pid)
    assert studies.fail_dead_trials(study, storage) == [0]
    trials = study.get_trials()
    assert [t.state.name for t in trials] == ["FAIL", "RUNNING"]
    assert "killed" in trials[0].user_attrs["fail_reason"]
    tally = studies.counts(study)
    assert (tally["fail"], tally["running"], studies.done(tally)) == (1, 1, 0)
    assert studies.stop_reason(study, spec) is None  # 0 done + 1 running < 3


def test_a_study_refuses_another_config(config_path, tmp_path):
    config, spec = spec_for(config_path)
    os.makedirs(spec.study_dir)
    studies.load_or_create(spec, config)
    studies.load_or_create(spec, config)  # the same config continues it
    other = load_config(config_path, ["model.activation=tanh"])
    with pytest.raises(UserError, match=r"searches another config \(config\.model\.activation: 'relu' -> 'tanh'\)"):
        studies.load_or_create(spec, other)


def test_the_sampler_settings_are_recorded(config_path):
    config = load_config(config_path)
    sampler, recorded = studies.sampler_for(config, 11)
    assert isinstance(sampler, optuna.samplers.TPESampler) and recorded["sampler"] == "TPESampler"
    assert recorded["settings"]["seed"] == 11 and recorded["settings"]["n_startup_trials"] == 10
    assert "constant_liar" in recorded["settings"]  # Optuna's own defaults, whatever its version


def _finished_study():
    """An in-memory study of three completed trials and a pruned one, as tune would leave it."""
    study = optuna.create_study(direction="maximize")
    dists = {"optimizer.Adam.learning_rate": optuna.distributions.FloatDistribution(1e-5, 1e-1, log=True),
             "model.hidden_units": optuna.distributions.CategoricalDistribution(["[8]", "[16, 8]"])}
    for i, (lr, units, value) in enumerate([(1e-3, "[8]", 0.8), (1e-2, "[16, 8]", 0.9), (1e-4, "[8]", 0.5),
                                            (3e-3, "[16, 8]", 0.85)]):
        state = optuna.trial.TrialState.PRUNED if i == 2 else optuna.trial.TrialState.COMPLETE
        study.add_trial(optuna.trial.create_trial(
            params={"optimizer.Adam.learning_rate": lr, "model.hidden_units": units}, distributions=dists,
            value=value, state=state, intermediate_values={1: value - 0.1, 2: value},
            user_attrs={"epochs": 2, "test": {"accuracy": value - 0.01}, "run_dir": f"/runs/t{i}"}))
    return study


def test_the_table_and_the_plots_of_a_study(config_path, tmp_path):
    config = load_config(config_path)
    study = _finished_study()
    rows = report.trial_rows(study, config.search)
    report.write_table(tmp_path / "trials.csv", rows)
    lines = (tmp_path / "trials.csv").read_text().splitlines()
    assert lines[0].startswith("number,state,value,seconds,epochs,pruned_epoch,param optimizer.Adam.learning_rate,"
                               "param model.hidden_units,test accuracy,run_dir")
    assert lines[3].startswith("2,pruned,0.5,") and ',"[16, 8]",' in lines[2]  # CSV quotes the comma
    written, skipped = plots.write_plots(study, tmp_path)
    assert sorted(p.name for p in written) == ["history.png", "importances.png", "intermediate.png", "parallel.png"]
    assert set(skipped) == {"slice.png"}
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in written)
    report.write_html(tmp_path / "report.html", {"study": "s"}, rows, written)
    assert (tmp_path / "report.html").read_text().count("data:image/png;base64,") == 4


def test_importing_tune_loads_neither_optuna_nor_tensorflow():
    code = "import sys, dltrain.tune; print(sorted(m for m in ('optuna', 'tensorflow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
