"""One trial: one ordinary run of the config with the trial's values as ``--set`` overrides.

The run is made by :func:`dltrain.training.fit`, in the study directory, so
``dltrain runs list/show/compare``, ``predict`` and ``export`` work on it. A
trial's value is its run's best epoch value of the objective metric (a
validation metric: the test set never chooses a trial).

Pruning is Optuna's ``trial.report``/``trial.should_prune`` after each epoch,
in a Keras callback. optuna-integration's ``KerasPruningCallback`` raises
``TrialPruned`` inside Keras's ``fit``, which would leave the run marked
failed, without its model: here a pruned trial stops training as
EarlyStopping does, its run completes (model, metrics, report), and the trial
is then reported pruned.
"""

from __future__ import annotations

import math
import os
import socket
from pathlib import Path

from dltrain.config import load_config
from dltrain.errors import Interrupted, TrainingFailed, UserError
from dltrain.tf_quiet import keras
from dltrain.training import fit
from dltrain.tune import space as spaces
from dltrain.tune.study import StudySpec, import_optuna


class PruningCallback(keras.callbacks.Callback):
    """Reports the objective metric to the trial after each epoch; stops training when Optuna prunes it."""

    def __init__(self, trial, metric: str, study_dir: Path, run_name: str):
        super().__init__()
        self.trial = trial
        self.metric = metric
        self.study_dir = study_dir
        self.run_name = run_name
        self.pruned_epoch: int | None = None

    def on_train_begin(self, logs=None):
        run_dir = trial_run_dir(self.study_dir, self.run_name)  # fit has created it by now
        if run_dir is not None:
            self.trial.set_user_attr("run_dir", str(run_dir))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.metric not in logs:
            raise UserError(f"the runs do not log {self.metric}; they log {', '.join(sorted(logs))}: set "
                            "search.objective.metric to one of them")
        value = float(logs[self.metric])
        if not math.isfinite(value):
            return  # dltrain's own guard fails the run on a non-finite loss
        self.trial.report(value, epoch + 1)  # steps are epochs, counted from 1
        if self.trial.should_prune():
            self.pruned_epoch = epoch + 1
            self.model.stop_training = True


def trial_name(run_name: str, number: int) -> str:
    """A trial's run name: the config's name and the trial number."""
    return f"{run_name}-t{number:04d}"


def trial_run_dir(study_dir: Path, name: str) -> Path | None:
    """The run directory of the trial run named ``name`` in the study directory, if fit has made it."""
    found = sorted(p for p in Path(study_dir).glob(f"*-{name}*") if p.is_dir()
                   and (p.name.endswith(f"-{name}") or p.name.endswith(f"-{name}-smoke")))
    return found[-1] if found else None


def best_epoch_value(history: dict[str, list[float]], metric: str, direction: str) -> float:
    """The best finite value of ``metric`` over the run's epochs (NaN when there is none)."""
    values = [v for v in history.get(metric, []) if v is not None and math.isfinite(v)]
    if not values:
        return math.nan
    return min(values) if direction == "minimize" else max(values)


def run_trial(trial, spec: StudySpec) -> float:
    """Optuna's objective: trains one run with the trial's values and returns its best epoch's value.

    Raises:
        optuna.TrialPruned: the pruner stopped the run (the run itself completed).
        TrainingFailed: the loss became NaN or infinite (the trial fails, the study goes on).
        UserError: the config refuses the trial's values, or the metric is not logged.
    """
    optuna = import_optuna()
    config = load_config(spec.config_path, spec.overrides)
    values = spaces.suggest(trial, config.search)
    name = trial_name(spec.run_name, trial.number)
    for key, value in {"host": socket.gethostname(), "pid": os.getpid(), "run_name": name}.items():
        trial.set_user_attr(key, value)
    config = load_config(spec.config_path, [*spec.overrides, *spaces.as_overrides(values), f"name={name}"])
    pruning = PruningCallback(trial, spec.metric, Path(spec.study_dir), name)
    try:
        result = fit(config, runs_dir=spec.study_dir, verbose=0, smoke=spec.smoke, synthetic=spec.synthetic,
                     callbacks=[pruning])
    except (TrainingFailed, Interrupted) as err:
        trial.set_user_attr("fail_reason", str(err) if isinstance(err, TrainingFailed) else
                            f"interrupted ({err.signal_name})")
        raise
    finally:
        keras.backend.clear_session()  # the next trial builds its model afresh, without this one's graph
    trial.set_user_attr("run_dir", str(result.run_dir))
    trial.set_user_attr("seed", config.seed)
    trial.set_user_attr("epochs", result.epochs_run)
    trial.set_user_attr("test", result.test_metrics)
    value = best_epoch_value(result.history, spec.metric, spec.direction)
    if pruning.pruned_epoch is not None:
        trial.set_user_attr("pruned_epoch", pruning.pruned_epoch)
        raise optuna.TrialPruned(f"pruned after epoch {pruning.pruned_epoch}")
    return value
