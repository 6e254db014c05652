"""A config's ``search.space`` as Optuna suggestions, and a trial's values as ``--set`` overrides.

Optuna's parameters are named by their key paths (``optimizer.Adam.learning_rate``),
so its storage, plots and importances speak the config's language. Optuna's
categorical values must be None, bools, numbers or strings: a choice between
lists or mappings (``model.hidden_units: {choice: [[64], [128, 64]]}``) is
stored as its YAML flow text (``[128, 64]``) and read back with YAML.
"""

from __future__ import annotations

from typing import Any

import yaml

from dltrain.config.search import SearchConfig, Space


def _label(value: Any) -> Any:
    """A choice as Optuna stores it: scalars as they are, lists and mappings as YAML flow text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()


def _unlabel(space: Space, label: Any) -> Any:
    """The config value of a stored choice."""
    for value in space.values:
        if _label(value) == label:
            return value
    return label


def optuna_choices(space: Space) -> list[Any]:
    """A choice's values as Optuna stores them."""
    return [_label(v) for v in space.values]


def suggest(trial, search: SearchConfig) -> dict[str, Any]:
    """Asks the trial for one value of each searched key; returns {key path: config value}.

    Args:
        trial: an ``optuna.Trial``.
        search: the config's search section.
    """
    values = {}
    for key, space in search.space.items():
        if space.kind == "choice":
            values[key] = _unlabel(space, trial.suggest_categorical(key, optuna_choices(space)))
        elif space.kind == "int":
            values[key] = trial.suggest_int(key, *space.values)
        else:
            values[key] = trial.suggest_float(key, *map(float, space.values), log=space.kind == "loguniform")
    return values


def config_values(search: SearchConfig, params: dict[str, Any]) -> dict[str, Any]:
    """A finished trial's Optuna parameters as config values (choices read back from their text)."""
    return {key: _unlabel(search.space[key], value) if key in search.space else value for key, value in params.items()}


def as_overrides(values: dict[str, Any]) -> list[str]:
    """``KEY=VALUE`` texts, as ``--set`` takes them, that give a config these values."""
    return [f"{key}={yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix('...').strip()}"
            for key, value in values.items()]


def grid(search: SearchConfig) -> dict[str, list[Any]]:
    """The grid sampler's search space, with choices as Optuna stores them."""
    return {key: optuna_choices(space) if space.kind == "choice" else space.grid() for key, space in
            search.space.items()}
