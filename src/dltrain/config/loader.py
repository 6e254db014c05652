"""Reading configs: safe YAML, `base:` inheritance, `--set` overrides, origins.

Every value keeps its origin — the file and line it was written on, or the
``--set`` that gave it — so that an error anywhere later (pydantic's checks,
the model builder, Keras) names the place to fix, and ``dltrain validate
--show --origin`` can say where each value came from.

A config may name a ``base:`` config (a path relative to itself) whose values
it overrides: mappings merge key by key; lists, ``loss``, ``optimizer`` and a
``model`` of another ``type`` are replaced whole; ``name`` is never inherited.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from dltrain.config.limits import MAX_BASE_CHAIN, MAX_CONFIG_BYTES
from dltrain.config.keras_objects import Origin
from dltrain.config.paths import is_tagged_member, unwrap
from dltrain.config.schema import Config
from dltrain.config.overrides import apply_override
from dltrain.config.yamlfile import parse_yaml
from dltrain.errors import Problem, UserError, format_key

# Values merged as a whole, never key by key: a Keras object `{SGD: {...}}`
# over `{Adam: {...}}` must not become an optimizer with two names.
REPLACED_WHOLE = {("loss",), ("optimizer",)}


def _data_path(loc: tuple, data: Any) -> tuple:
    """The part of a pydantic error location that exists in the YAML data.

    Pydantic puts union tags ('mlp', 'cnn') and KerasObject internals into
    locations; they are not keys the user wrote, so they are dropped.
    """
    path: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and len(node) == 1 and part in ("name", "kwargs"):
            # {Name: {...}}: step into the kwargs so a wrong argument points at its line.
            if part == "kwargs":
                (key,) = node
                node = node[key]
                path.append(key)
    return tuple(path)


def _fields_at(loc: tuple) -> list[str]:
    """The keys the schema allows in the mapping at ``loc`` (for did-you-mean)."""
    tp: Any = Config
    for part in loc:
        tp = unwrap(tp, part)
        if isinstance(part, int) or is_tagged_member(tp, part):
            continue  # a list index, or a union tag pydantic put in the location
        if not (isinstance(tp, type) and issubclass(tp, BaseModel) and part in tp.model_fields):
            return []
        tp = tp.model_fields[part].annotation
    tp = unwrap(tp, None)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def _problem(error: dict, data: Any, config_origins: dict[tuple, Origin], default_file: str | None) -> Problem:
    loc = tuple(error["loc"])
    path = _data_path(loc, data)
    file, line = _origin(config_origins, path, default_file)
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        valid = _fields_at(loc[:-1])
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        message = f"unknown key '{key}'; {hint}valid keys here: {', '.join(valid)}"
        return Problem(message, file, line, format_key(path) or key)
    if kind == "missing":
        key = str(loc[-1])
        return Problem(f"missing required key '{key}'; add it", file, line, format_key(path + (key,)))
    message = error["msg"]
    if kind.startswith(("value_error", "assertion_error")):
        message = message.split(", ", 1)[-1] if message.startswith("Value error, ") else message
    elif not kind.startswith("dltrain_"):  # pydantic's own wording: add what was received
        received = repr(error.get("input"))
        message = f"{message[0].lower()}{message[1:]}, got {received if len(received) < 80 else received[:77] + '...'}"
    return Problem(message, file, line, format_key(path) or None)


def _without_echoes(problems: list[Problem]) -> list[Problem]:
    """Drops 'missing key X' where an unknown key next to it is X misspelled: one mistake, one line."""
    suggested = {
        (p.key.rsplit(".", 1)[0] if "." in p.key else "", p.message.split("did you mean '")[1].split("'")[0])
        for p in problems
        if p.key and "did you mean '" in p.message and p.message.startswith("unknown key")
    }
    return [
        p for p in problems
        if not (p.message.startswith("missing required key") and p.key
                and (p.key.rsplit(".", 1)[0] if "." in p.key else "", p.key.rsplit(".", 1)[-1]) in suggested)
    ]


def _one_per_union(problems: list[Problem]) -> list[Problem]:
    """One line for a value every branch of a union refused (``bool | 'auto'``): pydantic gives one per branch."""
    kept: list[Problem] = []
    for problem in problems:
        last = kept[-1] if kept else None
        if (last is not None and last.key and (last.file, last.line, last.key) == (problem.file, problem.line, problem.key)
                and last.message.startswith("input should be ") and problem.message.startswith("input should be ")):
            wanted, got = last.message.rsplit(", got ", 1) if ", got " in last.message else (last.message, None)
            more = problem.message.removeprefix("input should be ").rsplit(", got ", 1)[0]
            message = f"{wanted.split(', ')[0]} or {more.split(', ')[0]}" + (f", got {got}" if got else "")
            kept[-1] = Problem(message, last.file, last.line, last.key)
        else:
            kept.append(problem)
    return kept


def _origin(origins: dict[tuple, Origin], path: tuple, default_file: str | None) -> Origin:
    for i in range(len(path), -1, -1):
        if path[:i] in origins:
            return origins[path[:i]]
    return (default_file, None)


def config_from_data(
    data: Any, file: str | None = None, origins: dict[tuple, Origin] | None = None, overrides: list[str] | None = None,
    check_paths: bool = True,
) -> Config:
    """Validates already-parsed config data.

    Args:
        data: the mapping read from YAML (bases merged, overrides applied).
        file: the config file, for error messages and relative paths.
        origins: key path → (file, line) or ("--set ...", None).
        overrides: the ``--set`` texts applied, recorded in the config.
        check_paths: refuse a `data.path` or `data.test_path` that does not exist
            (off for `evaluate`, which needs only the test data).

    Raises:
        UserError: every problem found, each with its file, line and key path.
    """
    origins = origins or {}
    if data is None:
        raise UserError("the config is empty; `dltrain init` writes a starter", file=file, line=1)
    if not isinstance(data, dict):
        raise UserError("a config must be a YAML mapping of keys to values", file=file, line=1)
    if file and "name" not in data:
        data = {"name": re.sub(r"[^A-Za-z0-9_.-]", "_", Path(file).stem) or "run", **data}
    try:
        config = Config.model_validate(data)
    except ValidationError as err:
        raise UserError(_one_per_union(_without_echoes([_problem(e, data, origins, file) for e in err.errors()]))) from None
    config._source = file
    config._origins = origins
    config._overrides = list(overrides or [])
    from dltrain.config.checks import check_config  # checks import the schema, as this module does

    check_config(config, check_paths)
    return config


def _read(path: Path) -> str:
    file = str(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)  # never more: the path may be /dev/zero or a huge file
        if len(raw) > MAX_CONFIG_BYTES:
            raise UserError(f"the config is over {MAX_CONFIG_BYTES:,} bytes; a config is a few dozen keys", file=file)
        return raw.decode("utf-8")
    except FileNotFoundError:
        raise UserError("config file not found; check the path", file=file) from None
    except IsADirectoryError:
        raise UserError("is a directory; give a .yaml config file", file=file) from None
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"cannot read the config: {err}", file=file) from None


def _merge(base: dict, child: dict, path: tuple = ()) -> dict:
    """Child values over base values (see the module docstring for the rules)."""
    merged = dict(base)
    for key, value in child.items():
        here = path + (key,)
        old = merged.get(key)
        other_model_type = here == ("model",) and isinstance(old, dict) and isinstance(value, dict) and (
            value.get("type", old.get("type")) != old.get("type") or ("layers" in value) != ("layers" in old))
        if isinstance(old, dict) and isinstance(value, dict) and here not in REPLACED_WHOLE and not other_model_type:
            merged[key] = _merge(old, value, here)
        else:
            merged[key] = value
    return merged


def _replaced_paths(base: dict, child: dict, path: tuple = ()) -> list[tuple]:
    """Paths whose base value the child replaced whole (their base origins no longer apply)."""
    out = []
    for key, value in child.items():
        here = path + (key,)
        old = base.get(key)
        if isinstance(old, dict) and isinstance(value, dict) and _merge({key: old}, {key: value}, path)[key] is not value:
            out += _replaced_paths(old, value, here)
        elif key in base:
            out.append(here)
    return out


def _read_with_bases(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict, dict[tuple, Origin]]:
    """A config file's data with its bases merged in, and every value's origin."""
    file = str(path)
    resolved = path.resolve()
    if len(chain) >= MAX_BASE_CHAIN:
        raise UserError(f"more than {MAX_BASE_CHAIN} configs in the `base:` chain; point base: at fewer levels",
                        file=file)
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in (*chain, resolved))
        raise UserError(f"base configs form a cycle: {cycle}; remove one of the `base:` keys", file=file)
    data, lines = parse_yaml(_read(path), file)
    if data is None or data == {}:  # `{}` too: training every default is never what a file meant
        raise UserError("the config is empty; `dltrain init` writes a starter", file=file, line=1)
    if not isinstance(data, dict):
        raise UserError("a config must be a YAML mapping of keys to values", file=file, line=1)
    origins: dict[tuple, Origin] = {p: (file, line) for p, line in lines.items() if p}
    if "base" not in data:
        return data, origins
    base = data.pop("base")
    base_line = lines.get(("base",))
    origins = {p: o for p, o in origins.items() if p[0] != "base"}
    if not isinstance(base, str) or not base:
        raise UserError("base must be the path of another config file", file=file, line=base_line, key="base")
    base_path = path.parent / base
    if not base_path.is_file():
        raise UserError(f"base config {base_path} not found; the path is relative to this file", file=file,
                        line=base_line, key="base")
    base_data, base_origins = _read_with_bases(base_path, (*chain, resolved))
    base_data.pop("name", None)  # a name belongs to its own file
    gone = _replaced_paths(base_data, data)
    base_origins = {p: o for p, o in base_origins.items()
                    if p[0] != "name" and not any(p[: len(g)] == g for g in gone)}
    return _merge(base_data, data), {**base_origins, **origins}


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = (), check_paths: bool = True) -> Config:
    """Reads a config file, merges its bases, applies overrides, validates.

    Args:
        path: the YAML file.
        overrides: ``KEY.PATH=VALUE`` strings, as given to ``--set``.
        check_paths: refuse data paths that do not exist (see :func:`config_from_data`).

    Returns:
        The validated :class:`Config`, defaults filled in.

    Raises:
        UserError: the file is missing, unreadable, not YAML, or invalid — or an
            override names a key the schema does not have.
    """
    data, origins = _read_with_bases(Path(path))
    for text in overrides:
        apply_override(data, origins, text)
    return config_from_data(data, str(path), origins, list(overrides), check_paths)
