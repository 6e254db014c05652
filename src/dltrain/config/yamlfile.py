"""Reading YAML safely: plain data only, in bounded memory and time.

PyYAML's safe loader builds no Python objects; on top of it this loader
refuses duplicate keys and null keys, alias cycles, and anything past the
limits in :mod:`dltrain.config.limits`, and turns every failure — including
a tag whose value does not parse (``!!int abc``) — into one :class:`UserError`
with the file and line.
"""

from __future__ import annotations

import re

from typing import Any

import yaml

from dltrain.config.limits import MAX_INT_DIGITS, MAX_YAML_ALIASES, MAX_YAML_DEPTH, MAX_YAML_NODES
from dltrain.errors import UserError

MERGE_TAG = "tag:yaml.org,2002:merge"


class _Refused(yaml.MarkedYAMLError):
    """A document that parses but that dltrain will not read: the problem says why and what to do."""


class _LineLoader(yaml.SafeLoader):
    """PyYAML's safe loader (no Python tags), refusing duplicate or null keys and YAML bombs.

    Plain PyYAML keeps the last of two equal keys without a word, so a
    second `training:` block would silently replace the first.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = self._nodes = self._aliases = 0
        self._sizes: dict[int, int] = {}  # id(node) → its size with aliases expanded
        self._open: set[str] = set()  # anchors whose node is being composed

    def _refuse(self, problem: str, mark) -> None:
        raise _Refused(problem=problem, problem_mark=mark)

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            return self._compose_alias(event, parent, index)
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            self._refuse(f"nested more than {MAX_YAML_DEPTH} levels deep; a config is a few levels", event.start_mark)
        anchor, before = getattr(event, "anchor", None), self._nodes
        if anchor:
            self._open.add(anchor)
        node = super().compose_node(parent, index)
        self._open.discard(anchor)
        self._depth -= 1
        self._count(1, event.start_mark)
        self._sizes[id(node)] = self._nodes - before
        return node

    def _compose_alias(self, event, parent, index):
        if event.anchor in self._open:
            self._refuse(f"alias *{event.anchor} is inside its own anchor &{event.anchor} (a cycle); "
                         "repeat the values instead", event.start_mark)
        self._aliases += 1
        if self._aliases > MAX_YAML_ALIASES:
            self._refuse(f"more than {MAX_YAML_ALIASES} aliases (*name); write the values out", event.start_mark)
        node = super().compose_node(parent, index)
        self._count(self._sizes.get(id(node), 1), event.start_mark)
        return node

    def _count(self, size: int, mark) -> None:
        self._nodes += size
        if self._nodes > MAX_YAML_NODES:
            self._refuse(f"expands to more than {MAX_YAML_NODES:,} values (aliases repeat whole subtrees); "
                         "a config is a few dozen keys", mark)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, AttributeError, OverflowError) as err:
            # PyYAML lets a tagged value that does not parse (`!!int abc`) raise Python's own error.
            self._refuse(f"{node.tag.replace('tag:yaml.org,2002:', '!!')} {node.value!r} does not parse ({err}); "
                         "remove the tag or fix the value", node.start_mark)

    def construct_yaml_int(self, node):
        text = str(node.value).lower().lstrip("+-")
        digits = sum(ch.isalnum() for ch in (text[2:] if text.startswith(("0x", "0b", "0o")) else text))
        if digits > MAX_INT_DIGITS:
            self._refuse(f"an integer of {digits} digits; at most {MAX_INT_DIGITS} are read", node.start_mark)
        return super().construct_yaml_int(node)

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue  # `<<: *defaults` is YAML's merge, not a key
            key = self.construct_object(key_node, deep=deep)
            if key is None or isinstance(key, bool):
                what = "null (~ or nothing)" if key is None else f"{key} (YAML reads yes/no/on/off as booleans)"
                self._refuse(f"a key is {what}; write the key's name, quoted if need be", key_node.start_mark)
            if isinstance(key, (str, int, float)) and key in seen:
                self._refuse(f"duplicate key '{key}' (first on line {seen[key]}); keep one of them", key_node.start_mark)
            if isinstance(key, (str, int, float)):
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


_LineLoader.add_constructor("tag:yaml.org,2002:int", _LineLoader.construct_yaml_int)

# YAML 1.1 (PyYAML) reads `1e-3` as a string: its floats need a dot (`1.0e-3`). People write
# learning rates as 1e-3, so scientific notation without a dot is a float here too, as in YAML 1.2.
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _line_index(root: yaml.Node | None) -> dict[tuple, int]:
    """Maps each key path in a composed YAML document to the 1-based line it is on."""
    lines: dict[tuple, int] = {}

    def walk(node: yaml.Node, path: tuple) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    lines[path + (key.value,)] = key.start_mark.line + 1
                    walk(value, path + (key.value,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))

    if root is not None:
        walk(root, ())
    return lines


def _load(text: str) -> tuple[Any, yaml.Node | None]:
    """(data, composed root) of a single-document YAML text, with the loader's limits."""
    loader = _LineLoader(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    finally:
        loader.dispose()


def parse_yaml(text: str, file: str) -> tuple[Any, dict[tuple, int]]:
    """Parses YAML safely (no Python tags) and returns (data, key-path → line).

    Raises:
        UserError: the text is not valid YAML, or passes a limit of :mod:`dltrain.config.limits`.
    """
    try:
        data, root = _load(text)
        return data, _line_index(root)
    except _Refused as err:
        raise UserError(f"YAML error: {err.problem}", file=file, line=err.problem_mark.line + 1) from None
    except yaml.constructor.ConstructorError as err:
        mark = err.problem_mark
        if "constructor for the tag" not in (err.problem or ""):  # e.g. a merge (<<) of a scalar
            raise UserError(f"YAML error: {err.problem}", file=file, line=mark.line + 1 if mark else None) from None
        raise UserError(f"YAML tag not allowed: {err.problem}; configs are plain data (no !!python or custom tags), "
                        "remove the tag", file=file, line=mark.line + 1 if mark else None) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        what = f"{err.context}, {err.problem}" if err.context and err.problem else err.problem or "invalid YAML"
        raise UserError(f"YAML syntax error: {what}; check the indentation and quoting on that line", file=file,
                        line=line) from None
    except yaml.YAMLError as err:
        raise UserError(f"YAML error: {err}", file=file) from None
    except RecursionError:  # a limit above should come first; this is the last line of defence
        raise UserError("YAML error: nested too deeply; a config is a few levels", file=file) from None


def parse_value(text: str) -> Any:
    """One ``--set`` value as YAML, with the same limits as a file.

    Raises:
        UserError: the value is not valid YAML or passes a limit.
    """
    return parse_yaml(text, "--set")[0]
