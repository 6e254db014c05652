"""dltrain tune's refusals: one line each, exit 2, before any trial (no TensorFlow needed)."""

from __future__ import annotations

import sys

import pytest

from dltrain.cli.app import run


def _one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.fixture
def searched(write_config):
    return write_config("data: {dataset: digits}\nsearch:\n  space:\n    model.dropout: {uniform: [0.0, 0.5]}\n")


def test_without_optuna_tune_says_how_to_install_it(searched, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "optuna", None)  # what a missing package looks like to import
    assert run(["tune", str(searched)]) == 2
    assert _one_error(capsys) == "error: dltrain tune needs Optuna: pip install 'dltrain[tune]' (optuna, optuna-integration)"


def test_a_config_without_search_is_refused(write_config, capsys, tmp_path):
    plain = write_config("data: {dataset: digits}\n")
    assert run(["tune", str(plain), "--runs-dir", str(tmp_path / "runs")]) == 2
    line = _one_error(capsys)
    assert line.startswith(f"error: {plain}: the config has no search section")
    assert not (tmp_path / "runs").exists()


def test_a_bad_search_key_is_refused_at_its_line(write_config, capsys):
    path = write_config("data: {dataset: digits}\nsearch:\n  space:\n    model.dropuot: {uniform: [0.0, 0.5]}\n")
    assert run(["tune", str(path)]) == 2
    assert f"error: {path}:4: search.space.model.dropuot: " in _one_error(capsys)


@pytest.mark.parametrize("args, words", [
    (["--timeout", "soon"], "--timeout: a time budget is"),
    (["--synthetic"], "--synthetic only goes with --smoke"),
    (["--trials", "0"], "--trials 0"),
])
def test_bad_options_are_one_line(searched, capsys, args, words, tmp_path):
    assert run(["tune", str(searched), "--runs-dir", str(tmp_path / "runs"), *args]) == 2
    assert words in _one_error(capsys)


def test_validate_checks_and_shows_the_search(searched, capsys):
    assert run(["validate", str(searched)]) == 0
    assert run(["validate", str(searched), "--show"]) == 0
    assert "search:" in capsys.readouterr().out
