"""The names Keras's registries accept, read without importing Keras.

``dltrain validate`` must not import TensorFlow (it takes seconds), yet it
should catch ``Dense`` spelled ``Dens``. So we read the names Keras itself
exports from the source files of the installed ``keras`` package with
:mod:`ast` — the list stays Keras's, never one we keep by hand. The real
resolution still happens through Keras (``keras.layers``, ``keras.losses.get``,
...) when the model is built; this index only gives earlier, friendlier errors.
If the files cannot be read (an unusual Keras layout), the check is skipped.
"""

from __future__ import annotations

import ast
import difflib
import functools
import importlib.util
from pathlib import Path

# Families whose `get()` lower-cases the identifier before looking it up.
_CASE_INSENSITIVE = {"optimizers"}


@functools.cache
def _keras_root() -> Path | None:
    spec = importlib.util.find_spec("keras")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None


def _exported_names(tree: ast.Module) -> set[str]:
    """Names a Keras ``api/<family>/__init__.py`` re-exports."""
    return {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if not (alias.asname or alias.name)[0] == "_"
    }


def _string_keys(tree: ast.Module) -> set[str]:
    """String dict keys in a module: the short aliases ('mse', 'bce') Keras adds."""
    return {
        key.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        for key in node.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


def _string_lists(tree: ast.Module) -> set[str]:
    """Strings in list literals: `compile()`'s special metric names ('acc', 'ce')."""
    return {
        elt.value
        for node in ast.walk(tree)
        if isinstance(node, ast.List)
        for elt in node.elts
        if isinstance(elt, ast.Constant) and isinstance(elt.value, str)
    }


_NOT_OBJECTS = {"deserialize", "serialize", "get", "legacy", "schedules"}


@functools.cache
def names(family: str) -> frozenset[str] | None:
    """Returns the identifiers Keras accepts for a family, or None if unknown.

    Args:
        family: one of ``layers``, ``losses``, ``metrics``, ``optimizers``,
            ``callbacks``, ``activations``, ``schedules``, ``regularizers``,
            ``initializers``.
    """
    root = _keras_root()
    if root is None:
        return None
    api = "optimizers/schedules" if family == "schedules" else family
    tree = _parse(root / api / "__init__.py")
    if tree is None:
        return None
    found = _exported_names(tree) - _NOT_OBJECTS
    src = _parse(root / "src" / family / "__init__.py")
    if src is not None and family in {"losses", "metrics", "activations"}:
        found |= _string_keys(src)
    if family == "metrics":
        compile_utils = _parse(root / "src" / "trainers" / "compile_utils.py")
        if compile_utils is not None:
            found |= _string_lists(compile_utils)
    return frozenset(found)


def is_known(family: str, name: str) -> bool:
    """True if Keras accepts ``name`` in ``family`` (True when unsure)."""
    known = names(family)
    if known is None:
        return True
    if family in _CASE_INSENSITIVE:
        return name.lower() in {n.lower() for n in known}
    return name in known


def suggest(family: str, name: str) -> str:
    """A did-you-mean phrase for an unknown name, or '' when nothing is close.

    Compares case-insensitively ('adamm' → 'Adam'); where Keras has both
    spellings ('accuracy', 'Accuracy'), the one cased like the input wins.
    """
    spellings: dict[str, list[str]] = {}
    for known in sorted(names(family) or ()):
        spellings.setdefault(known.lower(), []).append(known)
    close = difflib.get_close_matches(name.lower(), list(spellings), n=3, cutoff=0.6)
    if not close:
        return ""
    lower_first = name[:1].islower()
    picks = [min(spellings[c], key=lambda n: n[:1].islower() != lower_first) for c in close]
    return "did you mean " + " or ".join(f"'{p}'" for p in picks) + "?"


def class_for(family: str, function_name: str) -> str | None:
    """The class a function name corresponds to ('mean_squared_error' → 'MeanSquaredError')."""
    key = function_name.replace("_", "").lower()
    return next((n for n in sorted(names(family) or ()) if n[0].isupper() and n.lower() == key), None)
