"""Damaged model files and run state: one line naming the file, exit code 2.

These train a tiny model first (a few seconds), so they are marked slow.
"""

from __future__ import annotations

import pytest

from corpus import NPZ, npz, truncate
from dltrain import cli

pytestmark = pytest.mark.slow


def setup_good_npz(d):
    npz(d / "data.npz")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from dltrain.config import load_config
    from dltrain.training import fit

    d = tmp_path_factory.mktemp("trained")
    setup_good_npz(d)
    (d / "config.yaml").write_text(NPZ + "training: {epochs: 2}\n")
    return d, fit(load_config(d / "config.yaml"), runs_dir=d / "runs", verbose=0)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_corrupted_model_file(trained, damage, capsys, tmp_path):
    d, result = trained
    broken = tmp_path / "model.keras"
    raw = (result.run_dir / "model.keras").read_bytes()
    broken.write_bytes({"truncated": raw[: len(raw) // 3], "garbage": b"PK\x03\x04" + b"\x00" * 64, "empty": b""}[damage])
    assert cli.run(["evaluate", str(broken), "--config", str(d / "config.yaml")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "model.keras: cannot load the model" in line and "corrupted" in line


def test_h5_model_is_refused(trained, tmp_path, capsys):
    d, _ = trained
    (tmp_path / "model.h5").write_bytes(b"\x89HDF\r\n")
    assert cli.run(["evaluate", str(tmp_path / "model.h5"), "--config", str(d / "config.yaml")]) == 2
    assert "only .keras model files are loaded" in capsys.readouterr().err


def test_corrupted_resume_state(trained, capsys):
    import json

    d, result = trained
    state = json.loads((result.run_dir / "state" / "latest.json").read_text())
    truncate(result.run_dir / "state" / state["folder"] / "model.npz", 0.4)
    assert cli.run(["fit", "--resume", str(result.run_dir), "--set", "training.epochs=4", "--force"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "model.npz: the saved model state cannot be read" in line
