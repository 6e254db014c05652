"""The Optuna study behind ``dltrain tune``: its storage, sampler and pruner, resuming it, its counts.

A study is named by its config (or ``--study``) and lives in an Optuna
storage: ``study.db`` (SQLite) in the study directory by default, or any
database URL Optuna takes (``postgresql://...`` for several machines). Running
``dltrain tune`` again on the same config opens the same study and continues
it; the study keeps the config it searches, so a changed config is refused
rather than mixed into it.

Counting: completed and pruned trials count toward ``--trials`` (Optuna
counts both as finished); failed ones do not. A trial whose process died (a
``kill -9``, a lost machine) stays RUNNING in the storage: on this host its
recorded pid is checked when the study opens; on others, Optuna's heartbeat
marks it failed once it is ``GRACE_SECONDS`` old.
"""

from __future__ import annotations

import inspect
import os
import socket
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dltrain import runs
from dltrain.config import Config, flatten
from dltrain.config.search import default_direction
from dltrain.errors import UserError, format_key
from dltrain.tune import space as spaces

STORAGE_FILE = "study.db"
HEARTBEAT_SECONDS = 30  # a running trial's process writes a heartbeat this often ...
GRACE_SECONDS = 120  # ... and is failed by another process once it has been silent this long
SQLITE_TIMEOUT = 60  # seconds a process waits for another's write lock (parallel trials)
IDENTITY_ATTR = "dltrain_config"  # the study's user attribute holding what it searches
INSTALL_HINT = "dltrain tune needs Optuna: pip install 'dltrain[tune]' (optuna, optuna-integration)"


@dataclass
class StudySpec:
    """Everything a process needs to run trials of one study (plain data: it travels to ``--jobs`` workers)."""

    config_path: str
    overrides: list[str]
    name: str  # the study's name, in its storage
    study_dir: str
    storage: str
    target: int  # completed + pruned trials the study should reach
    metric: str
    direction: str
    smoke: bool = False
    synthetic: bool = False
    deadline: float | None = None  # time.time() after which no trial starts
    quiet: bool = False
    seed: int = 0
    run_name: str = "run"  # trial runs are named run_name-tNNNN
    grid_size: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-ready."""
        return asdict(self)


def import_optuna():
    """Optuna, or a one-line error saying how to install it."""
    try:
        import optuna
    except ImportError:
        raise UserError(INSTALL_HINT) from None
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # dltrain prints one line per trial itself
    return optuna


def objective_of(config: Config) -> tuple[str, str]:
    """The metric a trial is scored by and its direction.

    Raises:
        UserError: the direction cannot be told from the metric's name.
    """
    search = config.search
    metric = search.objective.metric or config.training.monitor
    if metric is None:
        validates = bool(config.data.validation_split) or config.data.validation_data is not None
        metric = "val_loss" if validates else "loss"
    direction = search.objective.direction or default_direction(metric)
    if direction is None:
        raise config.error(f"cannot tell whether {metric} is better high or low; set search.objective.direction "
                           "to minimize or maximize", "search", "objective")
    return metric, direction


def default_storage(study_dir: Path) -> str:
    """The SQLite file in the study directory, as an Optuna storage URL."""
    return f"sqlite:///{(study_dir / STORAGE_FILE).resolve()}"


def open_storage(url: str):
    """An Optuna RDB storage with a heartbeat (for trials whose machine is lost) and a patient SQLite lock."""
    optuna = import_optuna()
    kwargs = {"connect_args": {"timeout": SQLITE_TIMEOUT}} if url.startswith("sqlite") else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # the heartbeat is "experimental"
            return optuna.storages.RDBStorage(url, engine_kwargs=kwargs, heartbeat_interval=HEARTBEAT_SECONDS,
                                              grace_period=GRACE_SECONDS)
    except Exception as err:  # noqa: BLE001  (SQLAlchemy's and the drivers' errors have no common type)
        raise UserError(f"cannot open the study storage {safe_url(url)}: {type(err).__name__}: "
                        f"{str(err).splitlines()[0][:200]}; check the URL and that the database is reachable") from None


def safe_url(url: str) -> str:
    """A storage URL without its password (for messages and study.json)."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':')[0]}:***@{tail}"


def identity(config: Config, metric: str, direction: str) -> dict:
    """What a study searches: the config without its search budget, the space and the objective."""
    resolved = config.resolved()
    search = resolved.pop("search")
    resolved.pop("name", None)
    return {"config": resolved, "space": search["space"], "metric": metric, "direction": direction}


def _differences(old: dict, new: dict) -> list[str]:
    a, b = flatten(old), flatten(new)
    return [f"{format_key(k)}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b), key=str)
            if a.get(k) != b.get(k)]


def sampler_for(config: Config, seed: int):
    """The config's Optuna sampler, seeded; returns (sampler, its settings as recorded)."""
    optuna = import_optuna()
    search = config.search
    if search.sampler == "grid":
        cls, kwargs = optuna.samplers.GridSampler, {"search_space": spaces.grid(search), "seed": seed}
    elif search.sampler == "random":
        cls, kwargs = optuna.samplers.RandomSampler, {"seed": seed}
    else:
        cls, kwargs = optuna.samplers.TPESampler, {"seed": seed, "n_startup_trials": search.startup_trials}
    settings = {name: p.default for name, p in inspect.signature(cls).parameters.items()
                if p.default is not inspect.Parameter.empty and isinstance(p.default, (bool, int, float, str))}
    settings.update({k: v for k, v in kwargs.items() if k != "search_space"})
    return cls(**kwargs), {"sampler": cls.__name__, "settings": settings}


def pruner_for(config: Config):
    """The config's Optuna pruner (NopPruner for none)."""
    optuna = import_optuna()
    pruning = config.search.pruning
    if pruning.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=pruning.startup_trials,
                                           n_warmup_steps=pruning.warmup_epochs)
    if pruning.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=config.training.epochs)
    return optuna.pruners.NopPruner()


def load_or_create(spec: StudySpec, config: Config, sampler=None, storage=None):
    """Opens the spec's study (creating it on the first run); refuses one that searches another config.

    Raises:
        UserError: the study exists with another config, space or objective.
    """
    optuna = import_optuna()
    storage = storage or open_storage(spec.storage)
    wanted = identity(config, spec.metric, spec.direction)
    study = optuna.create_study(study_name=spec.name, storage=storage, sampler=sampler, pruner=pruner_for(config),
                                direction=spec.direction, load_if_exists=True)
    recorded = study.user_attrs.get(IDENTITY_ATTR)
    if recorded is None:
        study.set_user_attr(IDENTITY_ATTR, wanted)
        study.set_user_attr("optuna_version", optuna.__version__)
    elif recorded != wanted:
        changes = _differences(recorded, wanted)
        raise UserError(f"study '{spec.name}' in {safe_url(spec.storage)} searches another config "
                        f"({'; '.join(changes[:5])}{'; ...' if len(changes) > 5 else ''}); undo the change to "
                        "continue it, or start a new study with --study NAME", file=spec.config_path)
    return study


def fail_dead_trials(study, storage) -> list[int]:
    """Marks RUNNING trials whose process on this host is gone as FAIL; returns their numbers.

    Optuna leaves a killed trial RUNNING; its heartbeat fails it only after
    the grace period, so a study resumed at once checks the pids it recorded.
    """
    from optuna.trial import TrialState

    study_id = storage.get_study_id_from_name(study.study_name)
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        host, pid = trial.user_attrs.get("host"), trial.user_attrs.get("pid")
        if host != socket.gethostname() or not isinstance(pid, int) or runs.process_alive(pid):
            continue
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        storage.set_trial_user_attr(trial_id, "fail_reason", f"its process (pid {pid}) ended while it ran: killed")
        storage.set_trial_state_values(trial_id, TrialState.FAIL)
        failed.append(trial.number)
    return failed


def counts(study) -> dict[str, int]:
    """How many trials are in each state: complete, pruned, fail, running, waiting."""
    tally = {"complete": 0, "pruned": 0, "fail": 0, "running": 0, "waiting": 0}
    for trial in study.get_trials(deepcopy=False):
        tally[trial.state.name.lower()] = tally.get(trial.state.name.lower(), 0) + 1
    return tally


def done(tally: dict[str, int]) -> int:
    """Trials that count toward the target: completed and pruned."""
    return tally["complete"] + tally["pruned"]


def stop_reason(study, spec: StudySpec) -> str | None:
    """Why no trial should start now (``target``, ``time budget``, ``grid done``), or None."""
    tally = counts(study)
    if done(tally) + tally["running"] >= spec.target:
        return "target"
    if spec.deadline is not None and time.time() >= spec.deadline:
        return "time budget"
    if spec.grid_size is not None and done(tally) + tally["fail"] >= spec.grid_size:
        return "grid done"  # Optuna's GridSampler counts a failed point as visited: it is not tried again
    return None


def record_session(study, spec: StudySpec, sampler_settings: dict, jobs: int) -> None:
    """Appends this ``dltrain tune``'s facts to the study: host, pid, jobs, target, Optuna version, sampler."""
    import optuna
    from dltrain.runs import now

    sessions = list(study.user_attrs.get("sessions", []))
    sessions.append({"started": now(), "host": socket.gethostname(), "pid": os.getpid(), "jobs": jobs,
                     "target": spec.target, "smoke": spec.smoke, "optuna": optuna.__version__, **sampler_settings})
    study.set_user_attr("sessions", sessions)
