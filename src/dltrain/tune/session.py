"""One ``dltrain tune``: open (or continue) the study, run trials until it has enough, write the study directory."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from dltrain import runs
from dltrain.config import Config, load_config
from dltrain.errors import Interrupted, UserError
from dltrain.tune import plots, report
from dltrain.tune import study as studies
from dltrain.tune.study import StudySpec

STUDIES = runs.STUDIES  # <runs dir>/studies/<study name>/


class StudyInterrupted(Interrupted):
    """Ctrl-C or SIGTERM during a study: its finished trials are kept; running ``tune`` again continues it."""

    def __init__(self, study_dir: Path, signal_name: str, command: str):
        super().__init__(study_dir, signal_name, resumable=True)
        self.command = command

    @property
    def hint(self) -> str:
        """How to continue the study."""
        return f"the study's finished trials are kept in {self.run_dir}; continue it with:\n  {self.command}"


@dataclass
class TuneResult:
    """What one ``dltrain tune`` left: the study's counts, its best trial and its files."""

    study: str
    study_dir: Path
    storage: str
    metric: str
    direction: str
    target: int
    counts: dict[str, int]
    stopped: str  # target, time budget, grid done, failures or interrupted
    seconds: float
    smoke: bool = False
    best: dict | None = None
    best_config: Path | None = None
    report: Path | None = None
    plots: list[Path] = field(default_factory=list)
    marked_failed: list[int] = field(default_factory=list)  # trials found killed when the study opened

    @property
    def done(self) -> int:
        """Completed and pruned trials."""
        return studies.done(self.counts)

    @property
    def ok(self) -> bool:
        """The study reached its target, or ended its time budget or grid with a completed trial."""
        return self.done >= self.target or (self.stopped in ("time budget", "grid done") and self.counts["complete"] > 0)

    def as_dict(self) -> dict:
        """JSON-ready (for ``--json``)."""
        return {"status": "completed" if self.ok else "failed", "study": self.study, "study_dir": str(self.study_dir),
                "storage": studies.safe_url(self.storage), "objective": {"metric": self.metric, "direction": self.direction},
                "target": self.target, "done": self.done, "counts": self.counts, "stopped": self.stopped,
                "seconds": round(self.seconds, 1), "smoke": self.smoke, "best": self.best,
                "best_config": str(self.best_config) if self.best_config else None,
                "report": str(self.report) if self.report else None, "plots": [str(p) for p in self.plots],
                "marked_failed": self.marked_failed}


def _study_name(config: Config, study: str | None, smoke: bool) -> str:
    name = study or config.name
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", name):
        raise UserError(f"--study {name!r}: a study name is letters, digits, '_', '.' and '-' (it names a folder)")
    return f"{name}-smoke" if smoke else name


def _study_dir(runs_dir: str | Path, name: str, smoke: bool) -> Path:
    """``<runs>/studies/<name>``; a smoke study gets a new ``<time>-<name>`` folder each time, so two at once never meet."""
    if smoke:
        return runs.create_run_dir(Path(runs_dir) / STUDIES, name)
    return Path(runs_dir) / STUDIES / name


def _target(config: Config, trials: int | None, smoke: bool) -> tuple[int, int | None]:
    if trials is not None and trials < 1:
        raise UserError(f"--trials {trials}: give the number of trials the study should reach, 1 or more")
    target = 2 if smoke else trials or config.search.trials
    grid = config.search.grid_size() if config.search.sampler == "grid" else None
    return (min(target, grid) if grid else target), grid


def make_spec(config_path: str | Path, config: Config, trials: int | None, runs_dir: str | Path, study: str | None,
              storage: str | None, smoke: bool, synthetic: bool, timeout: float | None, overrides, quiet: bool,
              jobs: int) -> StudySpec:
    """Everything the trials of this ``dltrain tune`` need to know, decided once.

    Raises:
        UserError: the config has no search section, or an option is out of range.
    """
    if config.search is None:
        raise UserError("the config has no search section: add one (see the README's Hyperparameter search)",
                        file=str(config_path))
    if smoke and storage:
        raise UserError("--smoke runs a throwaway study in a local file; leave out --storage")
    if jobs < 1:
        raise UserError(f"--jobs {jobs}: give the number of processes running trials at once, 1 or more")
    metric, direction = studies.objective_of(config)
    name = _study_name(config, study, smoke)
    target, grid = _target(config, trials, smoke)
    study_dir = _study_dir(runs_dir, name, smoke)
    budget = timeout if timeout is not None else config.search.timeout
    seed = config.search.seed if config.search.seed is not None else (config.seed or 0)
    return StudySpec(str(config_path), list(overrides), name, str(study_dir),
                     storage or studies.default_storage(study_dir), target, metric, direction, smoke, synthetic,
                     time.time() + budget if budget else None, quiet, seed, config.name, grid, {"jobs": jobs})


def _resume_command(spec: StudySpec, runs_dir, study: str | None, storage: str | None) -> str:
    parts = ["dltrain tune", spec.config_path, f"--trials {spec.target}"]
    parts += [f"--set '{o}'" for o in spec.overrides]
    parts += [f"--study {study}"] if study else []
    parts += [f"--runs-dir {runs_dir}"] if str(runs_dir) != "runs" else []
    parts += [f"--storage '{studies.safe_url(storage)}'"] if storage else []  # a password is not printed
    return " ".join(parts)


def _run(spec: StudySpec, study, jobs: int, printer: Callable[[str], None]) -> str:
    """Runs the trials in this process (one job) or in ``jobs`` workers; returns why they stopped."""
    if jobs == 1:
        from dltrain.tune.runner import run_trials  # imports TensorFlow

        return run_trials(spec, 0, printer)
    from dltrain.tune import workers

    codes = workers.wait_for(workers.start_workers(spec, jobs))
    if 2 in codes:
        raise UserError("a worker stopped on an error in the config (its line is above); fix it and run tune again",
                        file=spec.config_path)
    if 130 in codes:
        raise KeyboardInterrupt()
    return "failures" if 1 in codes else studies.stop_reason(study, spec) or "target"


def write_study(spec: StudySpec, config: Config, study, seconds: float, stopped: str,
                marked_failed: list[int]) -> TuneResult:
    """Writes the study directory's files from the study; returns what ``tune`` reports."""
    study_dir = Path(spec.study_dir)
    rows = report.trial_rows(study, config.search)
    report.write_table(study_dir / report.TRIALS_CSV, rows)
    best_config = report.write_best_config(study_dir / report.BEST_CONFIG, study, config.name)
    written, skipped = plots.write_plots(study, study_dir)
    best = report.best_trial(study)
    result = TuneResult(spec.name, study_dir, spec.storage, spec.metric, spec.direction, spec.target,
                        studies.counts(study), stopped, seconds, spec.smoke, _best_dict(best, config),
                        best_config, study_dir / report.REPORT, written, marked_failed)
    summary = {"study": spec.name, **{k: v for k, v in result.as_dict().items() if k not in ("status", "study")},
               "optuna_version": study.user_attrs.get("optuna_version"), "plots_left_out": skipped,
               "sessions": study.user_attrs.get("sessions", [])}
    runs.write_json(study_dir / report.STUDY_JSON, summary)
    report.write_html(study_dir / report.REPORT, summary, rows, written)
    return result


def _best_dict(trial, config: Config) -> dict | None:
    if trial is None:
        return None
    from dltrain.tune import space as spaces

    return {"number": trial.number, "value": trial.value, "params": spaces.config_values(config.search, trial.params),
            "run_dir": trial.user_attrs.get("run_dir"), "test": trial.user_attrs.get("test")}


def tune(config_path: str | Path, trials: int | None = None, runs_dir: str | Path = "runs",
         study: str | None = None, storage: str | None = None, jobs: int = 1, smoke: bool = False,
         synthetic: bool = False, timeout: float | None = None, overrides: list[str] | tuple[str, ...] = (),
         quiet: bool = False, printer: Callable[[str], None] = print) -> TuneResult:
    """Searches the hyperparameters in a config's ``search`` section with Optuna; each trial is one run.

    Running it again on the same config continues the study: ``trials`` is the number of
    completed and pruned trials to reach (failed ones do not count), as ``training.epochs`` is for a run.

    Args:
        config_path: a config with a ``search`` section.
        trials: the study's target (default: ``search.trials``).
        runs_dir: the study directory is ``<runs_dir>/studies/<study>/``; its trial runs are in it.
        study: the study's name (default: the config's name).
        storage: an Optuna storage URL (``postgresql://user:password@host/db`` for several machines);
            default: ``study.db`` (SQLite) in the study directory.
        jobs: processes running trials at once, sharing the storage.
        smoke: a throwaway study of two trials in ``fit --smoke`` mode, for CI, in a new
            ``<runs_dir>/studies/<time>-<name>-smoke/`` each time.
        synthetic: with ``smoke``, generated data of the dataset's shape.
        timeout: a time budget in seconds for this call (default: ``search.timeout``).
        overrides: ``--set`` overrides applied to the config before every trial's values.
        quiet: print nothing (``--json``).
        printer: where the per-trial lines go.

    Returns:
        A :class:`TuneResult`.

    Raises:
        UserError: the config, an option or the study is wrong, or Optuna is not installed.
        StudyInterrupted: Ctrl-C or SIGTERM; the running trial is marked failed, the others are kept.
    """
    started = time.monotonic()
    studies.import_optuna()
    config = load_config(config_path, overrides)
    spec = make_spec(config_path, config, trials, runs_dir, study, storage, smoke, synthetic, timeout, overrides,
                     quiet, jobs)
    Path(spec.study_dir).mkdir(parents=True, exist_ok=True)
    store = studies.open_storage(spec.storage)
    the_study = studies.load_or_create(spec, config, storage=store)
    marked = studies.fail_dead_trials(the_study, store)
    say = (lambda text: None) if quiet else printer
    _announce(spec, the_study, marked, jobs, say)
    try:
        stopped = _run(spec, the_study, jobs, say)
    except (Interrupted, KeyboardInterrupt) as err:
        write_study(spec, config, the_study, time.monotonic() - started, "interrupted", marked)
        raise StudyInterrupted(Path(spec.study_dir), getattr(err, "signal_name", "SIGINT"),
                               _resume_command(spec, runs_dir, study, storage)) from None
    return write_study(spec, config, the_study, time.monotonic() - started, stopped, marked)


def _announce(spec: StudySpec, study, marked: list[int], jobs: int, say: Callable[[str], None]) -> None:
    for number in marked:
        say(f"trial {number}: its process ended while it ran (killed); marked failed, not counted")
    tally = studies.counts(study)
    left = max(0, spec.target - studies.done(tally))
    say(f"study {spec.name}: {studies.done(tally)} of {spec.target} trials done; running {left} more"
        f"{f' in {jobs} processes' if jobs > 1 and left else ''} ({spec.metric}, {spec.direction}) in {spec.study_dir}")
