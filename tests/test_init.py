"""``dltrain init``: starter configs that validate, train, and never overwrite by accident."""

from __future__ import annotations

import pytest

from dltrain.cli.app import run as cli
from dltrain.config import load_config
from dltrain.errors import UserError
from dltrain.init import PRESETS, init


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_passes_validate(preset, tmp_path, capsys):
    path = tmp_path / f"{preset}.yaml"
    assert cli(["init", str(path), "--preset", preset]) == 0
    assert cli(["validate", str(path)]) == 0
    assert f"ok {path}" in capsys.readouterr().out
    assert "# " in path.read_text()  # commented


def test_dataset_sets_data_dataset(tmp_path):
    init(tmp_path / "c.yaml", preset="mlp", dataset="wine")
    assert load_config(tmp_path / "c.yaml").data.dataset == "wine"


def test_refuses_to_overwrite_without_force(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("name: mine\n")
    assert cli(["init", str(path)]) == 2
    assert "the file exists; choose another path or pass --force" in capsys.readouterr().err
    assert path.read_text() == "name: mine\n"
    assert cli(["init", str(path), "--force"]) == 0 and "dataset: digits" in path.read_text()


def test_unknown_preset_and_dataset(tmp_path):
    with pytest.raises(UserError, match="--preset is 'rnn'; expected one of: mlp, cnn"):
        init(tmp_path / "c.yaml", preset="rnn")
    with pytest.raises(UserError, match="--dataset is 'mnst'"):
        init(tmp_path / "c.yaml", dataset="mnst")


def test_an_empty_config_is_refused(tmp_path, capsys):
    (tmp_path / "empty.yaml").write_text("# nothing yet\n")
    assert cli(["validate", str(tmp_path / "empty.yaml")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {tmp_path / 'empty.yaml'}:1: the config is empty; "
                                               "`dltrain init` writes a starter")


@pytest.mark.slow
def test_fit_trains_the_digits_starter(tmp_path, capsys):
    path = tmp_path / "starter.yaml"
    init(path)
    assert cli(["fit", str(path), "--runs-dir", str(tmp_path / "runs"), "--set", "training.epochs=2", "--json"]) == 0
    assert '"status": "completed"' in capsys.readouterr().out
