"""Property-based: random mutations of valid configs never crash dltrain.

Whatever a mutation does to a shipped config — drop a key, misspell one, add
one, put any value anywhere — ``dltrain validate`` either accepts the result or
exits 2 with one ``error: FILE[:LINE]: ...`` line per problem. Never a traceback.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CONFIGS
from dltrain import cli

SHIPPED = {p.name: yaml.safe_load(p.read_text()) for p in sorted(CONFIGS.glob("*.yaml"))}
for data in SHIPPED.values():
    data.pop("base", None)  # mutations are written to another folder: bases would not resolve

values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(-10**6, 10**6),
        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)


def paths(node, prefix=()):
    """Every key path in a config, mappings and list items alike."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from paths(value, prefix + (i,))


def parent_and_key(data, path):
    node = data
    for part in path[:-1]:
        node = node[part]
    return node, path[-1]


@st.composite
def mutated_configs(draw):
    data = copy.deepcopy(SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))])
    for _ in range(draw(st.integers(1, 3))):
        candidates = [p for p in paths(data) if p]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent, key = parent_and_key(data, path)
        action = draw(st.sampled_from(["delete", "misspell", "replace", "add"]))
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(values)
        elif action == "misspell" and isinstance(parent, dict) and isinstance(key, str):
            parent[key + draw(st.sampled_from(["s", "_", "x"]))] = parent.pop(key)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(values)
    return data


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutated_configs())
def test_mutations_are_accepted_or_reported_never_crash(tmp_path, capsys, data):
    path = Path(tmp_path) / "mutant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    code = cli.run(["validate", str(path)])
    out, err = capsys.readouterr()
    assert code in (0, 2)
    if code == 0:
        assert out.strip() == f"ok {path}"
    else:
        lines = err.strip().splitlines()
        assert lines and all(line.startswith(f"error: {path}") for line in lines), err
        assert "Traceback" not in err


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_arbitrary_text_is_accepted_or_reported(tmp_path, capsys, text):
    path = Path(tmp_path) / "text.yaml"
    path.write_text(text, encoding="utf-8")
    code = cli.run(["validate", str(path)])
    _, err = capsys.readouterr()
    assert code in (0, 2)
    if code == 2:
        assert all(line.startswith(f"error: {path}") for line in err.strip().splitlines()), err


@pytest.mark.parametrize("override", ["training.epochs=[]", "model={}", "data=3", "metrics={a: b}", "x.y.z=1", "seed=.inf"])
def test_odd_overrides_are_reported(override, capsys):
    code = cli.run(["validate", str(CONFIGS / "mnist_mlp.yaml"), "--set", override])
    _, err = capsys.readouterr()
    assert code in (0, 2) and "Traceback" not in err
