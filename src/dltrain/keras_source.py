"""Keras's installed source, read with :mod:`ast` instead of imported.

:mod:`dltrain.keras_names` asks these functions which names Keras's registries
hold; reading takes milliseconds where importing Keras (and TensorFlow) takes
seconds. Every reader refuses a file whose shape it does not know, with
:class:`KerasLayoutError`, rather than guessing.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from pathlib import Path

TABLE = "ALL_OBJECTS_DICT"  # the table keras/src/<family>/__init__.py builds and looks names up in


class KerasLayoutError(RuntimeError):
    """The installed Keras does not build its name tables the way this module reads them."""


def forget() -> None:
    """Drops every parsed file, so the next question reads Keras's files again."""
    for cached in (parsed_module, imports):
        cached.cache_clear()


@functools.cache
def keras_root() -> Path:
    spec = importlib.util.find_spec("keras")
    if spec is None or spec.origin is None:
        raise KerasLayoutError("Keras is not installed")
    return Path(spec.origin).parent.parent  # the folder that holds `keras/`


@functools.cache
def parsed_module(module: str) -> ast.Module:
    """The parsed source of a ``keras...`` module, from the installed package."""
    base = keras_root() / module.replace(".", "/")
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            try:
                return ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError) as err:
                raise KerasLayoutError(f"cannot read {path}: {err}") from None
    raise KerasLayoutError(f"Keras has no module {module} (looked for {base}.py and {base}/__init__.py)")


def is_module(module: str) -> bool:
    base = keras_root() / module.replace(".", "/")
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


@functools.cache  # walked for every class a config names: 4 ms a walk, half of `dltrain validate`
def imports(module: str) -> dict[str, tuple[str, str]]:
    """Local name → (module, name) for every ``from X import Y [as Z]`` in a module (not to be changed)."""
    return {
        alias.asname or alias.name: (node.module, alias.name)
        for node in ast.walk(parsed_module(module))
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        for alias in node.names
    }


def exports(module: str) -> dict[str, tuple[str, str]]:
    """The public names an API module (``keras/layers/__init__.py``) re-exports."""
    exported = {name: ref for name, ref in imports(module).items() if not name.startswith("_")}
    if not exported:
        raise KerasLayoutError(f"{module} exports nothing that this reader recognises")
    return exported


def _class_def(ref: tuple[str, str]) -> tuple[str, ast.ClassDef] | None:
    """Where the class ``ref`` names is defined, following re-exports; None if not a class."""
    module, name = ref
    for _ in range(10):  # re-export chains are short; a cycle must not hang us
        if is_module(f"{module}.{name}"):
            return None  # a sub-module, not a class
        tree = parsed_module(module)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                return module, node
        if name not in imports(module):
            return None  # a function or a variable
        module, name = imports(module)[name]
    return None


def _base_refs(module: str, cls: ast.ClassDef) -> list[tuple[str, str]]:
    """The (module, name) of each base class written as ``Name`` or ``alias.Name``."""
    refs = []
    imported = imports(module)
    for base in cls.bases:
        if isinstance(base, ast.Name):
            refs.append(imported.get(base.id, (module, base.id)))
        elif isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name) and base.value.id in imported:
            refs.append((".".join(imported[base.value.id]), base.attr))
    return refs


def derives_from(ref: tuple[str, str], base: tuple[str, str], depth: int = 0) -> bool:
    found = _class_def(ref)
    if found is None or depth > 30:
        return False
    module, cls = found
    if (module, cls.name) == base:
        return True
    return any(derives_from(b, base, depth + 1) for b in _base_refs(module, cls))


def read_table(module: str) -> tuple[set[str], set[str]]:
    """(``__name__`` of each object in ALL_OBJECTS, keys of ALL_OBJECTS_DICT) of a family module.

    Evaluates exactly the statements Keras builds the table with —
    ``{cls.__name__: cls for cls in ALL_OBJECTS}`` (optionally ``.lower()``
    or ``to_snake_case(...)``), ``.update({...})`` and ``[key] = ...`` — and
    refuses any other statement that changes the table.
    """
    tree = parsed_module(module)
    imported = imports(module)
    objects: set[str] | None = None
    keys: set[str] | None = None
    for node in tree.body:
        if _assigns(node, "ALL_OBJECTS"):
            objects = _object_names(node.value, imported, module)
        elif _assigns(node, TABLE):
            keys = _table_keys(node.value, objects, module)
        elif keys is not None and _mentions(node, TABLE) and not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            keys |= _table_change(node, objects, module)
    if objects is None or keys is None:
        raise KerasLayoutError(f"{module} no longer defines ALL_OBJECTS and {TABLE}")
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
            raise KerasLayoutError(f"{module}.{TABLE} gets a key that is not a literal string")
        return {k.value for k in value.keys}
    if (isinstance(value, ast.DictComp) and objects is not None and len(value.generators) == 1
            and isinstance(value.generators[0].iter, ast.Name) and value.generators[0].iter.id == "ALL_OBJECTS"
            and not value.generators[0].ifs):
        key_of = _name_transform(value.key)
        if key_of is not None:
            return {key_of(name) for name in objects}
    raise KerasLayoutError(f"{module}.{TABLE} is built in a way this reader does not know: {ast.unparse(value)}")


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
    raise KerasLayoutError(f"{module} changes {TABLE} in a way this reader does not know: {ast.unparse(node)}")


def _to_snake_case(name: str) -> str:
    # Keras's own rule (keras/src/utils/naming.py, to_snake_case): it makes the
    # table's keys, so it must be reproduced exactly.
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def compile_metric_names() -> set[str]:
    """The strings ``compile()`` accepts as metrics before asking the registry ('acc').

    Read from ``get_metric`` in ``keras/src/trainers/compile_utils.py``:
    ``if str(identifier).lower() not in ["accuracy", "acc"]``.
    """
    module = "keras.src.trainers.compile_utils"
    for node in parsed_module(module).body:
        if isinstance(node, ast.FunctionDef) and node.name == "get_metric":
            for compare in ast.walk(node):
                if (isinstance(compare, ast.Compare) and isinstance(compare.ops[0], (ast.In, ast.NotIn))
                        and isinstance(compare.comparators[0], (ast.List, ast.Tuple, ast.Set))):
                    return {e.value for e in compare.comparators[0].elts if isinstance(e, ast.Constant)}
    raise KerasLayoutError(f"{module}.get_metric no longer compares the metric's name with a literal list")
