"""Class 6: a model evaluated against data it was not built for is one line naming the config, not a ValueError.

Slow: one tiny model (8x8 images, 3 classes) is trained per module.
"""

from __future__ import annotations

import pytest

from conftest import tiny_images
from corpus import error_line
from dltrain import cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    import numpy as np

    from dltrain.config import load_config
    from dltrain.training import fit

    d = tmp_path_factory.mktemp("digits")
    x, y = tiny_images(96, seed=1)
    np.savez(d / "tiny.npz", x_train=x, y_train=y, x_test=x[:32], y_test=y[:32])
    (d / "config.yaml").write_text(f"data: {{dataset: npz, path: {d / 'tiny.npz'}}}\n"
                                   "model: {type: mlp, hidden_units: [8]}\ntraining: {epochs: 1, batch_size: 32}\n")
    return fit(load_config(d / "config.yaml"), runs_dir=d / "runs", verbose=0).run_dir


def other_npz(d, size=8, classes=3, labels=None):
    import numpy as np

    x, y = tiny_images(64, seed=5, size=size, classes=classes)
    if labels is not None:
        y = np.full_like(y, labels)
    np.savez(d / "other.npz", x_train=x, y_train=y, x_test=x[:16], y_test=y[:16])
    (d / "other.yaml").write_text(f"data: {{dataset: npz, path: {d / 'other.npz'}}}\n")


def csv_table(d, features=5):
    rows = ["," .join([f"f{i}" for i in range(features)] + ["label"])]
    rows += [",".join([f"{(i * j) % 7 / 7:.3f}" for j in range(features)] + [str(i % 3)]) for i in range(40)]
    (d / "t.csv").write_text("\n".join(rows) + "\n")
    (d / "other.yaml").write_text(f"data: {{dataset: csv, path: {d / 't.csv'}, label_column: label}}\n")


CASES = {
    "a CSV of 5 features": (lambda d: csv_table(d, 5), "other.yaml", "(5,) but the model takes (8, 8)"),
    "a CSV of 64 features": (lambda d: csv_table(d, 64), "other.yaml", "(64,) but the model takes (8, 8)"),
    "images of 16x16": (lambda d: other_npz(d, size=16), "other.yaml", "(16, 16) but the model takes (8, 8)"),
    "images of 4x4": (lambda d: other_npz(d, size=4), "other.yaml", "(4, 4) but the model takes (8, 8)"),
    "labels outside the classes": (lambda d: other_npz(d, labels=7), "other.npz", "['7'] are not among the model's"),
    "more classes than the model": (lambda d: other_npz(d, classes=4), "other.npz", "['3'] are not among the model's"),
}


@pytest.mark.parametrize("target", ["run", "model.keras"])
@pytest.mark.parametrize("case", CASES)
def test_evaluate_with_data_the_model_was_not_built_for(run_dir, tmp_path, capsys, case, target):
    setup, file, expected = CASES[case]
    setup(tmp_path)
    before = sorted(p.name for p in run_dir.iterdir())
    what = str(run_dir) if target == "run" else str(run_dir / "model.keras")
    code = cli.run(["evaluate", what, "--config", str(tmp_path / "other.yaml")])
    line = error_line(capsys.readouterr().err)
    assert code == 2, line
    assert f"{tmp_path / file}: " in line and expected in line, line
    assert sorted(p.name for p in run_dir.iterdir()) == before  # no evaluate.json written


@pytest.mark.parametrize("name", ["model.h5", "model.hdf5", "saved.pb", "model.tflite", "weights.bin"])
def test_other_model_formats_are_refused_by_name(run_dir, tmp_path, capsys, name):
    (tmp_path / name).write_bytes(b"\x89HDF\r\n\x1a\n")
    code = cli.run(["evaluate", str(tmp_path / name), "--config", str(run_dir / "config.yaml")])
    line = error_line(capsys.readouterr().err)
    assert code == 2 and name in line and "only .keras model files are loaded" in line, line
