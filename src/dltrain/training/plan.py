"""The mode of one ``fit``, decided before the pipeline runs: a new run, a smoke run, or a resume.

A resume is decided from the run's own files: its saved config (or a changed
one with ``--force``), its last complete state, and its status. The run is
locked first, so two resumes of one run cannot both write it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from dltrain import runs
from dltrain.backend import resolve_backend
from dltrain.config import Config, load_config
from dltrain.errors import UserError
from dltrain.training.record import config_differences
from dltrain.training.resume import SavedState, check_saved_files, latest_state


@dataclass
class Plan:
    """What one ``fit`` does; the pipeline reads it and branches nowhere else."""

    config: Config
    runs_dir: Path
    argv: list[str] | None = None
    smoke: bool = False
    synthetic: bool = False
    run_dir: Path | None = None  # set for a resume
    saved: SavedState | None = None
    changes: list[str] = field(default_factory=list)
    lock: runs.RunLock | None = None
    resuming: bool = False

    @property
    def is_new(self) -> bool:
        """A new run directory (not a resume)."""
        return not self.resuming

    @property
    def epochs(self) -> int:
        """The total number of epochs (1 for a smoke run)."""
        return 1 if self.smoke else self.config.training.epochs

    @property
    def initial_epoch(self) -> int:
        """Epochs already done (0 for a new run)."""
        return self.saved.epochs_done if self.saved else 0

    @property
    def training_ended(self) -> bool:
        """A resume with nothing left to train: only the final model, metrics and report are missing."""
        return self.saved is not None and (self.saved.training_ended or self.saved.stopped_early
                                           or self.saved.epochs_done >= self.epochs)

    def open_run(self, classes: list[str], distribution: dict | None = None) -> tuple[Path, runs.RunStatus]:
        """Creates and locks a new run directory, or marks the resumed one running.

        ``distribution``: the engine, process count and addresses, recorded in run.json.
        """
        if self.resuming:
            try:
                status = runs.RunStatus.resumed(self.run_dir, self.initial_epoch, self.changes)
                if distribution:
                    status.update(distribution=distribution)
                return self.run_dir, status
            except OSError as err:  # nothing was written: the run stays as it was
                raise runs.os_error_message(err) from None
        self.run_dir = runs.create_run_dir(self.runs_dir, self.config.name + ("-smoke" if self.smoke else ""))
        try:
            self.lock = runs.RunLock(self.run_dir)
            return self.run_dir, runs.RunStatus.start(self.run_dir, smoke=self.smoke, synthetic=self.synthetic,
                                                      classes=list(classes), backend=resolve_backend(self.config),
                                                      distribution=distribution or {"engine": "none"})
        except (OSError, UserError) as err:  # a full disk before the first word: leave no half run behind
            self.release()
            shutil.rmtree(self.run_dir, ignore_errors=True)
            raise runs.os_error_message(err) if isinstance(err, OSError) else err from None

    def release(self) -> None:
        """Lets another process write the run."""
        if self.lock is not None:
            self.lock.release()


def _check_modes(config: Config | None, smoke: bool, synthetic: bool, resume) -> None:
    if synthetic and not smoke:
        raise UserError("--synthetic only goes with --smoke: real training never uses generated data")
    if config is None and resume is None:
        raise UserError("give a CONFIG to train, or --resume RUN")
    if resume is not None and smoke:
        raise UserError("--smoke runs are not resumed; run the smoke check again")


NOTHING_TO_RESUME = "nothing to resume: no epoch of this run completed; start it again with dltrain fit CONFIG"


def _resume_config(run_dir: Path, config: Config | None, force: bool,
                   overrides: list[str] | tuple[str, ...] = ()) -> tuple[Config, list[str]]:
    """The config a resume continues with: the run's own, or a changed one with --force.

    ``overrides`` (``--set``) apply to the run's own config when no other config is given.
    """
    if not (run_dir / runs.CONFIG).is_file():
        if (run_dir / runs.RUN).is_file() and latest_state(run_dir) is None:  # stopped before recording its config
            raise UserError(NOTHING_TO_RESUME, file=str(run_dir))
        raise UserError("not a run directory (no config.yaml); give the directory `dltrain fit` created",
                        file=str(run_dir))
    saved = load_config(run_dir / runs.CONFIG)
    if config is None and overrides:
        config = load_config(run_dir / runs.CONFIG, overrides)
    if config is None:
        return saved, []
    if config.seed is None:
        config.seed = saved.seed  # a random seed was drawn once, at the start, and recorded
    if config.task == "auto":
        config = config.for_task(saved.task)  # the run recorded the task it inferred, and its defaults
    changes = config_differences(saved, config)
    if changes and not force:
        raise UserError(f"the config differs from the run's ({'; '.join(changes)}); resume without changes, "
                        "or pass --force to resume with them (they are recorded in run.json)",
                        file=str(run_dir / runs.CONFIG))
    return config, changes


def _completed_message(run_dir: Path, status: dict, saved: SavedState | None, epochs: int) -> str:
    done = saved.epochs_done if saved else "all"
    if status.get("stopped_early") or (saved and saved.stopped_early):
        return (f"the run is completed: EarlyStopping ended it at epoch {done} of {epochs}. To train longer, "
                f"resume with --force and a larger patience (--set 'training.callbacks[N].EarlyStopping.patience=P') "
                f"or without EarlyStopping")
    return (f"the run is completed ({done} of {epochs} epochs). To train longer, resume with "
            f"--set training.epochs=N --force")


def _saved_point(run_dir: Path, config: Config, changes: list[str]) -> SavedState:
    """The state a resume starts from; refuses a run with nothing to resume or already complete."""
    status = runs.read_json(run_dir / runs.RUN)
    saved = latest_state(run_dir)
    if status.get("status") == "completed":
        more = saved is not None and changes and not saved.stopped_early and saved.epochs_done < config.training.epochs
        patience_changed = saved is not None and saved.stopped_early and any("EarlyStopping" in c for c in changes)
        if not (more or patience_changed):
            raise UserError(_completed_message(run_dir, status, saved, config.training.epochs), file=str(run_dir))
        saved.training_ended = saved.stopped_early = False
    if saved is None:
        raise UserError(NOTHING_TO_RESUME, file=str(run_dir))
    check_saved_files(saved)  # before the data is read and the model built: seconds on a large dataset
    return saved


def make_plan(config: Config | None, runs_dir, argv, smoke: bool, synthetic: bool, resume, force: bool,
              overrides: list[str] | tuple[str, ...] = (), lock: bool = True) -> Plan:
    """Decides the run's mode; for a resume, locks the run and reads where it stopped.

    ``lock``: False for the processes of a distributed run other than process 0,
    which read the run but never write it (process 0 holds the lock).

    Raises:
        UserError: the options contradict each other, or the run cannot be
            resumed (locked by another process, nothing done, already complete).
    """
    _check_modes(config, smoke, synthetic, resume)
    if overrides and (resume is None or config is not None):
        raise UserError("overrides go with the config they change: load_config(path, overrides), or, to "
                        "resume a run with changes, fit(None, resume=RUN, overrides=[...], force=True)")
    runs_dir = Path(runs_dir)
    if resume is None:
        return Plan(config, runs_dir, argv, smoke, synthetic)
    run_dir = runs.find_run(runs_dir, resume)
    held = runs.RunLock(run_dir) if lock else None
    try:
        config, changes = _resume_config(run_dir, config, force, overrides)
        saved = _saved_point(run_dir, config, changes)
    except BaseException:
        if held is not None:
            held.release()
        raise
    return Plan(config, runs_dir, argv, run_dir=run_dir, saved=saved, changes=changes, lock=held, resuming=True)
