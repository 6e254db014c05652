"""The layout shows the architecture: small modules, no import cycle, a README map that matches the tree."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "src" / "dltrain"
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 50
MODULES = sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


NAMES = {_name(p): p for p in MODULES}


def _imports(path: Path) -> set[str]:
    """The dltrain modules a module imports, at any depth of its code (a lazy import counts)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("dltrain")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("dltrain"):
            # `from dltrain.config import schema` imports the module schema, `... import Config` the package
            found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in NAMES else node.module
                      for a in node.names}
    return {name for name in found if name in NAMES} - {_name(path)}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_import_graph_has_no_cycle():
    cycle = _cycle({name: _imports(path) for name, path in NAMES.items()})
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_nothing_imports_the_cli():
    importers = [name for name, path in NAMES.items()
                 if not name.startswith("dltrain.cli") and any(i.startswith("dltrain.cli") for i in _imports(path))]
    assert importers == []


def test_modules_and_functions_are_small():
    long_modules = {name: n for name, path in NAMES.items() if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    long_functions = {
        f"{name}.{node.name}": node.end_lineno - node.lineno + 1
        for name, path in NAMES.items() for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    }
    assert long_modules == {} and long_functions == {}


def _layout_rows() -> dict[str, str]:
    """README's Layout table: {first cell: second cell}."""
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return {cells[1].strip(): cells[2].strip() for line in section.splitlines()
            if line.startswith("| `") and len(cells := line.split("|")) >= 4}


def _entries(cell: str) -> list[str]:
    """`dltrain/data/` and `dltrain/quiet.py`, `tf_quiet.py` → ['data', 'quiet.py', 'tf_quiet.py']."""
    return [name.removeprefix("dltrain/").rstrip("/") for name in re.findall(r"`([^`]+)`", cell)]


def test_the_readme_module_map_matches_the_tree():
    rows = _layout_rows()
    mapped = {entry: text for cell, text in rows.items() for entry in _entries(cell)}
    tree = {p.name for p in PACKAGE.iterdir() if (p.suffix == ".py" or (p / "__init__.py").is_file())
            and p.name not in ("__init__.py", "__main__.py")}
    assert sorted(set(mapped) - tree) == [], "the README maps what the tree does not have"
    assert sorted(tree - set(mapped)) == [], "the README's Layout leaves these out"
    unnamed = {f"{package}/{module.stem}" for package, text in mapped.items() if (PACKAGE / package).is_dir()
               for module in (PACKAGE / package).iterdir()
               if module.name not in ("__init__.py", "__main__.py") and not module.name.startswith("_")
               and (module.suffix == ".py" or module.is_dir()) and module.name != "__pycache__"
               and f"`{module.stem}`" not in text}
    assert sorted(unnamed) == [], "each package's row names each of its modules"


@pytest.mark.parametrize("text", ["| `dltrain/nothing/` | x |", "| `dltrain/config/` | `schema` |"])
def test_the_map_check_can_fail(monkeypatch, text, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n## Layout\n\n| a | b |\n|---|---|\n{text}\n\n## Next\n")
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    with pytest.raises(AssertionError):
        test_the_readme_module_map_matches_the_tree()
