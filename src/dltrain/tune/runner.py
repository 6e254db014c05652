"""Running trials in one process until the study has enough: Optuna's ``study.optimize``, one trial at a time.

Each process (the one ``dltrain tune`` runs in, or each ``--jobs`` worker)
asks Optuna for one trial at a time and checks the shared storage before
each: it stops when the completed and pruned trials, with those other
processes are running, reach the target; when the time budget is spent; or
when a grid search has tried every point; or after ``MAX_FAILURES_IN_ROW`` failed trials in a row (a config that cannot
train should not burn the budget). A failed trial (a NaN loss) is recorded
and the study goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

from dltrain.config import load_config
from dltrain.errors import TrainingFailed
from dltrain.tune import study as studies
from dltrain.tune.study import StudySpec
from dltrain.tune.trial import run_trial

MAX_FAILURES_IN_ROW = 5
WORKER_SEED_STRIDE = 100_003  # sampler seeds of parallel workers, far apart


@dataclass
class Progress:
    """Optuna's per-trial callback: one line per finished trial."""

    spec: StudySpec
    printer: Callable[[str], None]
    last_state: str | None = None

    def __call__(self, study, trial) -> None:
        self.last_state = trial.state.name
        if self.spec.quiet:
            return
        tally = studies.counts(study)
        shown = ", ".join(f"{k.rsplit('.', 1)[-1]}={_short(v)}" for k, v in trial.params.items())
        seconds = trial.duration.total_seconds() if trial.duration else 0.0
        self.printer(f"trial {trial.number:>3} {_outcome(self.spec, trial):<36} {seconds:6.1f} s  "
                     f"[{studies.done(tally)}/{self.spec.target}]  {shown}{_best(study)}")


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _outcome(spec: StudySpec, trial) -> str:
    if trial.state.name == "COMPLETE":
        return f"complete {spec.metric}={trial.value:.4f}"
    if trial.state.name == "PRUNED":
        return f"pruned at epoch {trial.user_attrs.get('pruned_epoch', '?')}"
    return f"failed: {str(trial.user_attrs.get('fail_reason', 'error'))[:60]}"


def _best(study) -> str:
    try:
        best = study.best_trial
    except ValueError:  # no completed trial yet
        return ""
    return f"  (best: trial {best.number}, {best.value:.4f})"


def run_trials(spec: StudySpec, worker: int = 0, printer: Callable[[str], None] = print) -> str:
    """Runs trials of the spec's study in this process until it should stop; returns why it stopped.

    Args:
        spec: the study.
        worker: this process's index among ``--jobs`` workers (it spreads the sampler seeds).
        printer: where the per-trial lines go.

    Returns:
        ``target``, ``time budget``, ``grid done`` or ``failures``.

    Raises:
        UserError: the config refuses a trial's values, or the study searches another config.
        Interrupted: Ctrl-C or SIGTERM during a trial (that trial is marked failed).
    """
    config = load_config(spec.config_path, spec.overrides)
    storage = studies.open_storage(spec.storage)
    study = studies.load_or_create(spec, config, storage=storage)
    # A seed that differs per worker and per resume: a sampler seeded as the last session was
    # would propose that session's first trials again.
    seed = spec.seed + worker * WORKER_SEED_STRIDE + len(study.get_trials(deepcopy=False))
    study.sampler, settings = studies.sampler_for(config, seed)
    if worker == 0:
        studies.record_session(study, spec, settings, int(spec.extra.get("jobs", 1)))
    progress = Progress(spec, printer)
    failures = 0
    while (reason := studies.stop_reason(study, spec)) is None:
        study.optimize(partial(run_trial, spec=spec), n_trials=1, catch=(TrainingFailed,), callbacks=[progress])
        failures = failures + 1 if progress.last_state == "FAIL" else 0
        if failures >= MAX_FAILURES_IN_ROW:
            return "failures"
    return reason
