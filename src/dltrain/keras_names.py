"""The names Keras's registries accept, read without importing Keras.

``dltrain validate`` must not import TensorFlow (it takes seconds), yet it
should catch ``Dense`` spelled ``Dens``. So we read, with :mod:`ast`, the very
tables Keras resolves names with, from the installed ``keras`` package's
source — the lists stay Keras's, never ones we keep by hand:

- losses, metrics, optimizers, activations, regularizers, initializers,
  constraints: the
  ``ALL_OBJECTS_DICT`` built in ``keras/src/<family>/__init__.py``, which
  ``keras.<family>.get`` and ``deserialize`` look names up in; for metrics
  also the names ``compile()`` itself accepts (``"acc"``, any case:
  ``get_metric`` in ``keras/src/trainers/compile_utils.py``).
- layers, callbacks, schedules: the classes ``keras.layers``,
  ``keras.callbacks`` and ``keras.optimizers.schedules`` export that derive
  from ``Layer``, ``Callback`` and ``LearningRateSchedule`` — what
  :mod:`dltrain.models` looks up by ``getattr`` and Keras deserialises.

The real resolution still happens through Keras when the model is built;
this index only gives earlier, friendlier errors. If Keras has moved these
files or changed how it builds the tables, reading raises
:class:`KerasLayoutError` and :func:`names` falls back to importing Keras
(slower, with a warning) — the check is never skipped.
"""

from __future__ import annotations

import ast
import difflib
import functools
import importlib
import importlib.util
import re
import warnings
from pathlib import Path

FAMILIES = ("layers", "losses", "metrics", "optimizers", "callbacks", "activations", "schedules",
            "regularizers", "initializers", "constraints")
# Families resolved through keras/src/<family>/__init__.py's ALL_OBJECTS_DICT.
_TABLE_FAMILIES = {"losses", "metrics", "optimizers", "activations", "regularizers", "initializers", "constraints"}
# Families resolved by class: (public API module, module and name of the base class).
_CLASS_FAMILIES = {
    "layers": ("keras.layers", "keras.src.layers.layer", "Layer"),
    "callbacks": ("keras.callbacks", "keras.src.callbacks.callback", "Callback"),
    "schedules": ("keras.optimizers.schedules", "keras.src.optimizers.schedules.learning_rate_schedule",
                  "LearningRateSchedule"),
}
# keras.optimizers.deserialize lower-cases a built-in optimizer's name before the lookup.
_CASE_INSENSITIVE = {"optimizers"}
_TABLE = "ALL_OBJECTS_DICT"


class KerasLayoutError(RuntimeError):
    """The installed Keras does not build its name tables the way this module reads them."""


@functools.cache
def names(family: str) -> frozenset[str]:
    """Returns the identifiers Keras accepts by name for a family.

    Args:
        family: one of :data:`FAMILIES`.

    Returns:
        The names; for optimizers, the class names (matched case-insensitively
        by :func:`is_known`, as Keras does).

    Raises:
        ValueError: ``family`` is not one of :data:`FAMILIES`.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown Keras family {family!r}; expected one of {', '.join(FAMILIES)}")
    try:
        return read_names(family)
    except KerasLayoutError as err:
        warnings.warn(f"{err}; importing Keras to read its names instead (slower)", RuntimeWarning, stacklevel=2)
        return live_names(family)


def read_names(family: str) -> frozenset[str]:
    """The names of :func:`names`, read from Keras's source files without importing it.

    Raises:
        KerasLayoutError: a file is missing or no longer has the expected shape.
    """
    if family in _CLASS_FAMILIES:
        api, base_module, base = _CLASS_FAMILIES[family]
        return frozenset(n for n, ref in _exports(api).items() if _derives_from(ref, (base_module, base)))
    objects, keys = _read_table(f"keras.src.{family}")
    found = objects if family in _CASE_INSENSITIVE else keys
    if family == "metrics":
        found |= _compile_metric_names()
    return frozenset(found)


def live_names(family: str) -> frozenset[str]:
    """The names of :func:`names`, taken from the imported Keras (imports TensorFlow)."""
    if family in _CLASS_FAMILIES:
        api, base_module, base = _CLASS_FAMILIES[family]
        base_class = getattr(importlib.import_module(base_module), base)
        exported = vars(importlib.import_module(api))
        return frozenset(n for n, obj in exported.items()
                         if not n.startswith("_") and isinstance(obj, type) and issubclass(obj, base_class))
    module = importlib.import_module(f"keras.src.{family}")
    if family in _CASE_INSENSITIVE:
        return frozenset(obj.__name__ for obj in module.ALL_OBJECTS)
    found = set(getattr(module, _TABLE))
    if family == "metrics":
        try:
            found |= _compile_metric_names()
        except KerasLayoutError:
            pass  # then only the table's names: 'acc' is refused, loudly, never accepted blindly
    return frozenset(found)


@functools.cache
def application_names() -> frozenset[str]:
    """The models ``keras.applications`` exports by name (``MobileNetV2``), read from its API module.

    A config may use them in ``model.layers`` (:mod:`dltrain.models.applications`).
    """
    try:
        return frozenset(name for name, (module, attr) in _exports("keras.applications").items()
                         if name[:1].isupper() and not _is_module(f"{module}.{attr}"))
    except KerasLayoutError:
        import keras  # the slow way, never none at all

        return frozenset(n for n in dir(keras.applications) if n[:1].isupper())


def is_known(family: str, name: str) -> bool:
    """True if Keras accepts ``name`` in ``family`` (for layers, also a ``keras.applications`` model)."""
    if family == "layers" and name in application_names():
        return True
    if family in _CLASS_FAMILIES:
        try:  # one class's ancestry: reading every layer's file would take a second
            return _is_family_class(family, name)
        except KerasLayoutError:
            pass  # names() says so and asks Keras itself
    known = names(family)
    if family in _CASE_INSENSITIVE:
        return name.lower() in {n.lower() for n in known}
    if family == "metrics" and name.lower() in _compile_metric_names_or_none():
        return True  # compile() compares these lower-cased
    return name in known


def suggest(family: str, name: str) -> str:
    """A did-you-mean phrase for an unknown name, or '' when nothing is close.

    Compares case-insensitively ('adamm' → 'Adam'); where Keras has both
    spellings ('accuracy', 'Accuracy'), the one cased like the input wins.
    """
    spellings: dict[str, list[str]] = {}
    for known in sorted(names(family)):
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
    return next((n for n in sorted(names(family)) if n[0].isupper() and n.lower() == key), None)


# --- reading Keras's source -------------------------------------------------


def forget_keras_source() -> None:
    """Drops every answer read from Keras's files, so the next question reads them again."""
    for cached in (_module, _imports, _is_family_class, names):
        cached.cache_clear()


@functools.cache
def _keras_root() -> Path:
    spec = importlib.util.find_spec("keras")
    if spec is None or spec.origin is None:
        raise KerasLayoutError("Keras is not installed")
    return Path(spec.origin).parent.parent  # the folder that holds `keras/`


@functools.cache
def _module(module: str) -> ast.Module:
    """The parsed source of a ``keras...`` module, from the installed package."""
    base = _keras_root() / module.replace(".", "/")
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            try:
                return ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError) as err:
                raise KerasLayoutError(f"cannot read {path}: {err}") from None
    raise KerasLayoutError(f"Keras has no module {module} (looked for {base}.py and {base}/__init__.py)")


def _is_module(module: str) -> bool:
    base = _keras_root() / module.replace(".", "/")
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


@functools.cache  # walked for every class a config names: 4 ms a walk, half of `dltrain validate`
def _imports(module: str) -> dict[str, tuple[str, str]]:
    """Local name → (module, name) for every ``from X import Y [as Z]`` in a module (not to be changed)."""
    return {
        alias.asname or alias.name: (node.module, alias.name)
        for node in ast.walk(_module(module))
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        for alias in node.names
    }


def _exports(module: str) -> dict[str, tuple[str, str]]:
    """The public names an API module (``keras/layers/__init__.py``) re-exports."""
    exported = {name: ref for name, ref in _imports(module).items() if not name.startswith("_")}
    if not exported:
        raise KerasLayoutError(f"{module} exports nothing that this reader recognises")
    return exported


def _class_def(ref: tuple[str, str]) -> tuple[str, ast.ClassDef] | None:
    """Where the class ``ref`` names is defined, following re-exports; None if not a class."""
    module, name = ref
    for _ in range(10):  # re-export chains are short; a cycle must not hang us
        if _is_module(f"{module}.{name}"):
            return None  # a sub-module, not a class
        tree = _module(module)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                return module, node
        if name not in _imports(module):
            return None  # a function or a variable
        module, name = _imports(module)[name]
    return None


def _base_refs(module: str, cls: ast.ClassDef) -> list[tuple[str, str]]:
    """The (module, name) of each base class written as ``Name`` or ``alias.Name``."""
    refs = []
    imported = _imports(module)
    for base in cls.bases:
        if isinstance(base, ast.Name):
            refs.append(imported.get(base.id, (module, base.id)))
        elif isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name) and base.value.id in imported:
            refs.append((".".join(imported[base.value.id]), base.attr))
    return refs


@functools.cache
def _is_family_class(family: str, name: str) -> bool:
    api, base_module, base = _CLASS_FAMILIES[family]
    ref = _exports(api).get(name)
    return ref is not None and _derives_from(ref, (base_module, base))


def _derives_from(ref: tuple[str, str], base: tuple[str, str], depth: int = 0) -> bool:
    found = _class_def(ref)
    if found is None or depth > 30:
        return False
    module, cls = found
    if (module, cls.name) == base:
        return True
    return any(_derives_from(b, base, depth + 1) for b in _base_refs(module, cls))


def _read_table(module: str) -> tuple[set[str], set[str]]:
    """(``__name__`` of each object in ALL_OBJECTS, keys of ALL_OBJECTS_DICT) of a family module.

    Evaluates exactly the statements Keras builds the table with —
    ``{cls.__name__: cls for cls in ALL_OBJECTS}`` (optionally ``.lower()``
    or ``to_snake_case(...)``), ``.update({...})`` and ``[key] = ...`` — and
    refuses any other statement that changes the table.
    """
    tree = _module(module)
    imported = _imports(module)
    objects: set[str] | None = None
    keys: set[str] | None = None
    for node in tree.body:
        if _assigns(node, "ALL_OBJECTS"):
            objects = _object_names(node.value, imported, module)
        elif _assigns(node, _TABLE):
            keys = _table_keys(node.value, objects, module)
        elif keys is not None and _mentions(node, _TABLE) and not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            keys |= _table_change(node, objects, module)
    if objects is None or keys is None:
        raise KerasLayoutError(f"{module} no longer defines ALL_OBJECTS and {_TABLE}")
    return objects, keys


def _assigns(node: ast.stmt, target: str) -> bool:
    return (isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name) and node.targets[0].id == target)


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _object_names(value: ast.expr, imported: dict[str, tuple[str, str]], module: str) -> set[str]:
    # An imported object keeps the name it was defined with: `import x as y` still has __name__ 'x'.
    if not isinstance(value, (ast.Set, ast.List, ast.Tuple)) or not all(isinstance(e, ast.Name) for e in value.elts):
        raise KerasLayoutError(f"{module}.ALL_OBJECTS is no longer a literal set of names")
    return {imported[e.id][1] if e.id in imported else e.id for e in value.elts}


def _table_keys(value: ast.expr, objects: set[str] | None, module: str) -> set[str]:
    """Keys of a dict literal or of ``{<key of obj.__name__>: obj for obj in ALL_OBJECTS}``."""
    if isinstance(value, ast.Dict):
        if not all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in value.keys):
            raise KerasLayoutError(f"{module}.{_TABLE} gets a key that is not a literal string")
        return {k.value for k in value.keys}
    if (isinstance(value, ast.DictComp) and objects is not None and len(value.generators) == 1
            and isinstance(value.generators[0].iter, ast.Name) and value.generators[0].iter.id == "ALL_OBJECTS"
            and not value.generators[0].ifs):
        key_of = _name_transform(value.key)
        if key_of is not None:
            return {key_of(name) for name in objects}
    raise KerasLayoutError(f"{module}.{_TABLE} is built in a way this reader does not know: {ast.unparse(value)}")


def _name_transform(key: ast.expr):
    """The function of ``obj.__name__`` a comprehension key computes, or None."""
    if isinstance(key, ast.Attribute) and key.attr == "__name__":
        return lambda name: name
    if (isinstance(key, ast.Call) and isinstance(key.func, ast.Attribute) and key.func.attr == "lower"
            and not key.args and _name_transform(key.func.value) is not None):
        return str.lower
    if (isinstance(key, ast.Call) and isinstance(key.func, ast.Name) and key.func.id == "to_snake_case"
            and len(key.args) == 1 and _name_transform(key.args[0]) is not None):
        return _to_snake_case
    return None


def _table_change(node: ast.stmt, objects: set[str] | None, module: str) -> set[str]:
    """Keys a statement adds to the table: ``.update(...)`` or ``[key] = ...``."""
    if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "update"
            and len(node.value.args) == 1 and not node.value.keywords):
        return _table_keys(node.value.args[0], objects, module)
    if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript)
            and isinstance(node.targets[0].slice, ast.Constant) and isinstance(node.targets[0].slice.value, str)):
        return {node.targets[0].slice.value}
    raise KerasLayoutError(f"{module} changes {_TABLE} in a way this reader does not know: {ast.unparse(node)}")


def _to_snake_case(name: str) -> str:
    # Keras's own rule (keras/src/utils/naming.py, to_snake_case): it makes the
    # table's keys, so it must be reproduced exactly.
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _compile_metric_names() -> set[str]:
    """The strings ``compile()`` accepts as metrics before asking the registry ('acc').

    Read from ``get_metric`` in ``keras/src/trainers/compile_utils.py``:
    ``if str(identifier).lower() not in ["accuracy", "acc"]``.
    """
    module = "keras.src.trainers.compile_utils"
    for node in _module(module).body:
        if isinstance(node, ast.FunctionDef) and node.name == "get_metric":
            for compare in ast.walk(node):
                if (isinstance(compare, ast.Compare) and isinstance(compare.ops[0], (ast.In, ast.NotIn))
                        and isinstance(compare.comparators[0], (ast.List, ast.Tuple, ast.Set))):
                    return {e.value for e in compare.comparators[0].elts if isinstance(e, ast.Constant)}
    raise KerasLayoutError(f"{module}.get_metric no longer compares the metric's name with a literal list")


@functools.cache
def _compile_metric_names_or_none() -> frozenset[str]:
    try:
        return frozenset(_compile_metric_names())
    except KerasLayoutError:
        return frozenset()
