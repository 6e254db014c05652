"""Checks of a config's ``search.space``: each key path, as a ``--set`` of the rest of the config.

:func:`check_search` is run by the schema once a config is validated, so
``dltrain validate`` reports a misspelt searched key at its line with did-you-mean.
This module imports neither the schema (which imports it) nor Optuna.
"""

from __future__ import annotations

import copy
import difflib
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from dltrain.config.search import key_path

def set_value(data: Any, path: tuple, value: Any) -> None:
    """Sets ``value`` at ``path`` in config data, creating missing mappings, as ``--set`` does.

    Raises:
        ValueError: the path runs through a value, or past the end of a list.
    """
    node = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, list):
            if not isinstance(part, int) or not 0 <= part < len(node):
                raise ValueError(f"{_shown(path[:i])} is a list of {len(node)} items; {part!r} is not one of them")
        elif isinstance(node, dict):
            if not last and node.get(part) is None:
                _refuse_other_object(node, path[:i], part)
                node[part] = {}
            elif not last and not isinstance(node[part], (dict, list)):
                raise ValueError(f"{_shown(path[: i + 1])} holds a value ({node[part]!r}), not a section")
        else:
            raise ValueError(f"{_shown(path[:i])} holds a value ({node!r}), not a section")
        if last:
            node[part] = value
        else:
            node = node[part]


def _refuse_other_object(node: dict, where: tuple, part: Any) -> None:
    """A path through a Keras object names the config's object: `optimizer.Adam...` needs the Adam optimizer."""
    if len(node) == 1 and isinstance(part, str) and part[:1].isupper():
        (name,) = node
        if isinstance(name, str) and name[:1].isupper() and isinstance(node[name], dict):
            raise ValueError(f"{_shown(where)} is {name} in this config, not {part}; search {_shown(where + (name,))}"
                             f".ARGUMENT, or change {_shown(where)} to {part}")


def _shown(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _fields_near(config: BaseModel, path: tuple) -> list[str]:
    """The keys the schema allows at ``path`` in a validated config (for did-you-mean)."""
    node: Any = config
    for part in path:
        if isinstance(node, BaseModel) and isinstance(part, str) and part in type(node).model_fields:
            node = getattr(node, part)
        elif isinstance(node, (list, tuple)) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return []
    return list(type(node).model_fields) if isinstance(node, BaseModel) else []


def _first_message(err: ValidationError, config: BaseModel, path: tuple) -> str:
    """The schema's complaint about one searched value, in the words of a config error."""
    first = err.errors()[0]
    if first["type"] == "extra_forbidden":
        key = str(first["loc"][-1])
        valid = _fields_near(config, path[:-1])
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"unknown key '{key}'; {hint}valid keys here: {', '.join(valid)}"
    message = first["msg"].removeprefix("Value error, ")
    loc = tuple(first["loc"])
    # pydantic's location holds union tags (model.mlp.dropout); name it only when it is another key
    return message if not loc or loc[-1] == path[-1] else f"{'.'.join(map(str, loc))}: {message}"


def _value_problem(config: BaseModel, base: dict, path: tuple, value: Any) -> str | None:
    """Why the config refuses ``value`` at ``path`` (None when it accepts it)."""
    data = copy.deepcopy(base)
    try:
        set_value(data, path, value)
    except ValueError as err:
        return str(err)
    try:
        type(config).model_validate(data)
    except ValidationError as err:
        return _first_message(err, config, path)
    return None


def search_problems(config: BaseModel) -> list[InitErrorDetails]:
    """Each searched key path that the config refuses at an end of its range (or at one choice).

    Each value is set as ``--set`` would set it in the resolved config, which
    is then validated again; an error is located at the key in ``search.space``.

    Args:
        config: a validated config with a ``search`` section.
    """
    search = getattr(config, "search", None)
    if search is None:
        return []
    base = config.model_dump(mode="json", exclude={"search"})
    try:
        type(config).model_validate(base)
    except ValidationError:
        return []  # the resolved config does not validate on its own: nothing to compare against
    problems = []
    for key, space in search.space.items():
        path = key_path(key)
        for value in space.ends():
            why = _value_problem(config, base, path, value)
            if why:
                which = "the choice" if space.kind == "choice" else (
                    "the low end" if value == space.values[0] else "the high end")
                problems.append(InitErrorDetails(
                    type=PydanticCustomError("dltrain_search_value", "{which}, {value}, is refused: {why}",
                                             {"which": which, "value": repr(value), "why": why}),
                    loc=("search", "space", key), input=value))
                break  # one line per key: the first value it refuses
    return problems


def check_search(config: BaseModel) -> None:
    """Raises the problems :func:`search_problems` finds, each located at its key (the schema calls it).

    Raises:
        ValidationError: at least one searched key path is refused.
    """
    problems = search_problems(config)
    if problems:
        raise ValidationError.from_exception_data(type(config).__name__, problems)
