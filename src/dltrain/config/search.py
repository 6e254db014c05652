"""The ``search:`` section: what ``dltrain tune`` searches, and how.

``search.space`` maps key paths, written as ``--set`` writes them
(``optimizer.Adam.learning_rate``, ``model.layers[0].Dense.units``), to a
space in a small grammar::

    search:
      space:
        optimizer.Adam.learning_rate: {loguniform: [1.0e-4, 1.0e-1]}
        model.dropout: {uniform: [0.0, 0.5]}
        training.batch_size: {choice: [32, 64, 128]}
        model.hidden_units: {choice: [[64], [128, 64]]}
      objective: {metric: val_accuracy, direction: maximize}
      trials: 20

Every key path is checked against the rest of the config as a ``--set`` of
each end of its range (each choice) would be (:mod:`dltrain.config.search_checks`,
run by the schema once the config is validated), so ``dltrain validate`` reports
a misspelt key at its line with did-you-mean; ``fit`` ignores the section.
This module imports neither the schema (which imports it) nor Optuna.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from dltrain.config.keras_objects import Section
from dltrain.config.limits import MAX_EPOCHS, MAX_SEED

KINDS = ("loguniform", "uniform", "int", "choice")
MAX_GRID = 10_000  # points of a grid search: beyond, the study never ends
_KEY_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
# Metric names whose best value is the smallest (the rest are scores: the larger the better).
_LOWER_IS_BETTER = ("loss", "error", "mae", "mse", "rmse", "mape", "msle", "crossentropy", "hinge", "poisson",
                    "divergence", "logcosh", "huber")
_HIGHER_IS_BETTER = ("accuracy", "auc", "precision", "recall", "f1", "fbeta", "r2", "iou", "cosine")


def _error(kind: str, template: str, /, **context) -> PydanticCustomError:
    return PydanticCustomError(f"dltrain_search_{kind}", template, context)


def key_path(key: str) -> tuple:
    """A key path as ``--set`` writes it, as a tuple: ``model.layers[0].units`` → ('model', 'layers', 0, 'units').

    Raises:
        ValueError: the text is not a key path.
    """
    path: list = []
    for part in key.split("."):
        tokens = _KEY_TOKEN.findall(part)
        if not part or "".join(t[0] or f"[{t[1]}]" for t in tokens) != part:
            raise ValueError(f"'{key}' is not a key path; write it as --set does, e.g. optimizer.Adam.learning_rate")
        path += [name if name else int(index) for name, index in tokens]
    return tuple(path)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Space(BaseModel):
    """One searched value: ``{loguniform: [lo, hi]}``, ``{uniform: [lo, hi]}``, ``{int: [lo, hi]}`` or ``{choice: [...]}``."""

    kind: Literal[KINDS]  # type: ignore[valid-type]
    values: list[Any]

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        if isinstance(value, Space):
            return value
        if isinstance(value, dict) and set(value) == {"kind", "values"}:
            return value  # the internal form
        if not (isinstance(value, dict) and len(value) == 1 and next(iter(value)) in KINDS):
            raise _error("space", "a space is one of {loguniform: [lo, hi]}, {uniform: [lo, hi]}, "
                         "{int: [lo, hi]} or {choice: [a, b, ...]}, got {value}", value=repr(value)[:80])
        ((kind, values),) = value.items()
        if not isinstance(values, list):
            raise _error("space", "{kind} takes a list: {kind}: [...], got {value}", kind=kind, value=repr(values)[:80])
        return {"kind": kind, "values": values}

    @model_validator(mode="after")
    def _consistent(self) -> Space:
        if self.kind == "choice":
            if not self.values:
                raise _error("space", "choice needs at least one value")
            if len({repr(v) for v in self.values}) != len(self.values):
                raise _error("space", "choice lists a value twice: {values}", values=self.values)
            return self
        if len(self.values) != 2 or not all(_number(v) for v in self.values):
            raise _error("space", "{kind} takes [low, high], two numbers, got {values}", kind=self.kind,
                         values=self.values)
        low, high = self.values
        if self.kind == "int" and not all(isinstance(v, int) for v in self.values):
            raise _error("space", "int takes two whole numbers, got {values}", values=self.values)
        if not low < high:
            raise _error("space", "the low end must be below the high end, got [{low}, {high}]", low=low, high=high)
        if self.kind == "loguniform" and low <= 0:
            raise _error("space", "loguniform needs a low end above 0 (a log scale), got {low}", low=low)
        return self

    @model_serializer
    def _to_yaml(self) -> dict:
        return {self.kind: list(self.values)}

    def ends(self) -> list[Any]:
        """The values a config must accept: both ends of a range, every choice."""
        return list(self.values)

    def grid(self) -> list[Any] | None:
        """The finite values a grid search walks, or None for a continuous range."""
        if self.kind == "choice":
            return list(self.values)
        if self.kind == "int" and self.values[1] - self.values[0] < MAX_GRID:
            return list(range(self.values[0], self.values[1] + 1))
        return None


class Objective(Section):
    """What a trial is scored by."""

    metric: str | None = Field(
        None, description="A metric the runs log per epoch (val_accuracy, val_loss, ...); a trial's value is its "
        "best epoch's. Default: training.monitor.")
    direction: Literal["minimize", "maximize"] | None = Field(
        None, description="Default: minimize for losses and errors, maximize for scores (accuracy, auc, ...).")


class Pruning(Section):
    """Stopping unpromising trials early, on the objective's value after each epoch."""

    pruner: Literal["median", "hyperband", "none"] = Field(
        "median", description="Optuna's MedianPruner (stop a trial whose value is worse than the median of earlier "
        "trials at the same epoch), HyperbandPruner, or none.")
    startup_trials: Annotated[int, Field(ge=0, le=MAX_EPOCHS)] = Field(
        5, description="median: trials that run in full before any is pruned.")
    warmup_epochs: Annotated[int, Field(ge=0, le=MAX_EPOCHS)] = Field(
        1, description="median: epochs of each trial that are never pruned.")


def duration_seconds(value: Any) -> float | None:
    """A time budget in seconds: a number of seconds, or a text such as ``90s``, ``30m``, ``2h``.

    Raises:
        ValueError: (a pydantic error, which is one) anything else.
    """
    if value is None or (_number(value) and value > 0):
        return value
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match or float(match.group(1)) <= 0:
        raise _error("duration", "a time budget is a number of seconds or a text such as 90s, 30m, 2h, got {value}",
                     value=repr(value)[:80])
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _key(key: str) -> str:
    """A searchable key path (checked where it is written)."""
    try:
        path = key_path(key)
    except ValueError as err:
        raise _error("key", "{message}", message=str(err)) from None
    if path[0] in ("search", "name", "seed"):
        why = "the search cannot search itself" if path[0] == "search" else "the study names and seeds each trial"
        raise _error("key", "'{key}' cannot be searched: {why}", key=key, why=why)
    return key


class SearchConfig(Section):
    """A hyperparameter search (``dltrain tune``); ``dltrain fit`` ignores it."""

    space: dict[Annotated[str, AfterValidator(_key)], Space] = Field(
        description="Key paths (as `--set` writes them) and their space: `{loguniform: [lo, hi]}`, "
        "`{uniform: [lo, hi]}`, `{int: [lo, hi]}` or `{choice: [a, b, ...]}`; e.g. "
        "`optimizer.Adam.learning_rate: {loguniform: [1.0e-4, 1.0e-1]}`.")
    objective: Objective = Field(default_factory=Objective, description="The logged metric a trial is scored by.")
    trials: Annotated[int, Field(gt=0, le=100_000)] = Field(
        20, description="Trials the study should reach, counting completed and pruned ones (failed ones do not); "
        "`--trials` overrides it.")
    sampler: Literal["tpe", "random", "grid"] = Field(
        "tpe", description="Optuna's TPESampler, RandomSampler, or GridSampler (every combination of the choices "
        "and int ranges; no continuous range).")
    startup_trials: Annotated[int, Field(ge=0, le=100_000)] = Field(
        10, description="tpe: trials sampled at random before TPE models the results.")
    pruning: Pruning = Field(default_factory=Pruning, description="Pruning of trials, per epoch.")
    timeout: Annotated[float | None, Field(gt=0)] = Field(
        None, description="A time budget for one `dltrain tune` (seconds, or 90s, 30m, 2h): no trial starts after "
        "it; a running one finishes. Default: none.")
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] | None = Field(
        None, description="Seeds the sampler. Default: the config's seed.")

    @field_validator("timeout", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return duration_seconds(value)

    @field_validator("space")
    @classmethod
    def _space(cls, space: dict[str, Space]) -> dict[str, Space]:
        if not space:
            raise _error("empty", "the search space is empty; add a key path and its space, e.g. "
                         "optimizer.Adam.learning_rate: {loguniform: [1.0e-4, 1.0e-1]}")
        return space

    @model_validator(mode="after")
    def _grid_is_finite(self) -> SearchConfig:
        if self.sampler == "grid":
            continuous = [k for k, s in self.space.items() if s.grid() is None]
            if continuous:
                raise _error("grid", "the grid sampler walks finite values; {keys}: write them as "
                             "{choice: [...]} or {int: [lo, hi]}", keys=", ".join(continuous))
        return self

    def grid(self) -> dict[str, list[Any]]:
        """Every searched key's values, for the grid sampler."""
        return {key: space.grid() or [] for key, space in self.space.items()}

    def grid_size(self) -> int:
        """How many points the grid holds."""
        size = 1
        for values in self.grid().values():
            size *= len(values)
        return size


def default_direction(metric: str) -> str | None:
    """minimize for a loss or error, maximize for a score, None when the name does not say."""
    name = metric.removeprefix("val_").lower()
    if any(word in name for word in _LOWER_IS_BETTER):
        return "minimize"
    if any(word in name for word in _HIGHER_IS_BETTER):
        return "maximize"
    return None
