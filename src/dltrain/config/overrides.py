"""``--set KEY.PATH=VALUE``: one override applied to config data, its origin recorded.

A key path is written as ``--set`` writes it (``training.epochs``,
``model.layers[0].Dense.units``); a Keras object written as a bare name
(``optimizer: sgd``) opens into ``{SGD: {}}`` when the path names it, and a
path naming another object than the config's says how to set it whole.
"""

from __future__ import annotations

from typing import Any

from dltrain.config.keras_objects import Origin, argument_family
from dltrain.config.limits import MAX_CONFIG_BYTES
from dltrain.config.search import key_path
from dltrain.config.yamlfile import parse_value
from dltrain.errors import UserError, format_key


def _override_path(key: str, text: str) -> tuple:
    try:
        path = key_path(key)
    except ValueError:
        raise UserError(f"--set {text}: '{key}' is not a key path; write it as section.key, e.g. training.epochs") from None
    return tuple(int(p) if isinstance(p, str) and p.isdigit() else p for p in path)


def apply_override(data: dict, origins: dict[tuple, Origin], text: str) -> None:
    """Applies one ``KEY.PATH=VALUE`` override (the value parsed as YAML) in place."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise UserError(f"--set {text}: expected KEY=VALUE, e.g. --set training.epochs=3")
    path = _override_path(key.strip(), text)
    if len(raw) > MAX_CONFIG_BYTES:
        raise UserError(f"--set {key}=...: the value is over {MAX_CONFIG_BYTES:,} bytes")
    try:
        value = parse_value(raw) if raw.strip() else None
    except UserError as err:
        message = err.problems[0].message.removeprefix("YAML syntax error: ").removeprefix("YAML error: ")
        raise UserError(f"--set {text[:200]}: the value is not valid YAML ({message}); quote it") from None
    node: Any = data
    converted: list[tuple] = []  # bare-name Keras objects the path made mappings: the --set now writes them
    for i, part in enumerate(path[:-1]):
        if isinstance(node, list):
            if not isinstance(part, int) or not 0 <= part < len(node):
                raise UserError(f"--set {text}: {format_key(path[: i + 1])} is not an item of the list (it has {len(node)})")
            converted += [path[: i + 1]] if _open_section(node, part, path[i + 1:], path[: i + 1], text) else []
            node = node[part]
        elif isinstance(node, dict):
            converted += [path[: i + 1]] if _open_section(node, part, path[i + 1:], path[: i + 1], text) else []
            node = node[part]
        else:
            raise UserError(f"--set {text}: {format_key(path[:i])} holds a value, not a section")
    last = path[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or not 0 <= last < len(node):
            raise UserError(f"--set {text}: {format_key(path)} is not an item of the list (it has {len(node)})")
    node[last] = value
    where: Origin = (f"--set {text}", None)
    for p in [p for p in origins if p[: len(path)] == path]:
        del origins[p]
    origins[path] = where
    origins.update({p: where for p in converted})
    if isinstance(value, (dict, list)):
        for sub in _leaf_paths(value, path):
            origins[sub] = where


def _same_name(written: str, named: Any) -> bool:
    """Whether a bare Keras name and a name in a key path are one object ('sgd' and 'SGD',
    'categorical_crossentropy' and 'CategoricalCrossentropy'), as Keras's registries match them."""
    return isinstance(named, str) and written.replace("_", "").lower() == named.replace("_", "").lower()


def _is_object_position(where: tuple) -> bool:
    """Whether the config holds a Keras object at ``where`` (an optimizer, a layer, an argument's object)."""
    if where in (("optimizer",), ("loss",)):
        return True
    if len(where) >= 2 and isinstance(where[-1], int) and where[:-1] in (("metrics",), ("training", "callbacks"),
                                                                          ("model", "layers")):
        return True
    return len(where) >= 4 and isinstance(where[-1], str) and argument_family(where[-1]) is not None


def _other_object(value: Any, next_part: Any, where: tuple) -> bool:
    """Whether a path names another Keras object than the one written there (`optimizer.SGD...` over `adam`)."""
    if not isinstance(next_part, str) or not _is_object_position(where):
        return False
    if isinstance(value, str):
        return True
    return isinstance(value, dict) and len(value) == 1 and next_part not in value


def _open_section(node: dict | list, part: Any, rest: tuple, where: tuple, text: str) -> bool:
    """Makes ``node[part]`` a mapping or list an override can step into, or says why it cannot be one.

    Returns True when it turned a Keras object written as a bare name into a mapping.

    A Keras object written as a bare name (`optimizer: sgd`) becomes
    `{SGD: {}}` when the path names it (`optimizer.SGD.learning_rate=0.05`),
    so an argument can be set without rewriting the file.
    """
    value, next_part = (node[part] if isinstance(node, list) else node.get(part)), rest[0]
    if value is None:
        node[part] = {}  # a section the file leaves to its defaults
    elif isinstance(value, str) and _same_name(value, next_part):
        node[part] = {next_part: {}}
        return True
    elif _other_object(value, next_part, where):
        shown = value if isinstance(value, str) else next(iter(value))
        key, raw = format_key(where), text.partition("=")[2].strip()
        if _same_name(shown, next_part):
            raise UserError(f"--set {text}: {key} is `{shown}`; write it as the file does: "
                            f"{format_key((*where, shown, *rest[1:]))}={raw}")
        args = f"{{{rest[1]}: {raw}}}" if len(rest) == 2 and isinstance(rest[1], str) else "{...}"
        raise UserError(f"--set {text}: {key} is `{shown}`, not {next_part}; to use {next_part}, set it whole: "
                        f"--set '{key}={{{next_part}: {args}}}'")
    elif not isinstance(value, (dict, list)):
        raise UserError(f"--set {text}: {format_key(where)} holds a value, not a section")
    return False


def _leaf_paths(value: Any, path: tuple) -> list[tuple]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in [path + (k,), *_leaf_paths(v, path + (k,))]]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in [path + (i,), *_leaf_paths(v, path + (i,))]]
    return []
