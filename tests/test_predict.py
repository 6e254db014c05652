"""``dltrain predict``: a run's saved model on new inputs, written as a CSV (one trained run per kind, shared)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from dltrain import runs
from dltrain.cli.app import run as cli
from dltrain.config import config_from_data
from dltrain.errors import UserError

pytestmark = pytest.mark.slow  # every test here predicts with a model trained once per module


def _fit(data: dict, runs_dir: Path, **sections) -> Path:
    from dltrain import training

    config = config_from_data({"name": "p", "seed": 1, "data": data, "training": {"epochs": 3, "batch_size": 32},
                               **sections})
    return training.fit(config, runs_dir=runs_dir, verbose=0).run_dir


def _read(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _test_accuracy(run_dir: Path) -> float:
    return runs.read_json(run_dir / runs.METRICS)["test"]["accuracy"]


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    from dltrain.config import load_config
    from dltrain.data.sources import load_arrays

    root = tmp_path_factory.mktemp("digits")
    run_dir = _fit({"dataset": "digits"}, root / "runs")
    arrays = load_arrays(load_config(run_dir / runs.CONFIG))
    np.savez(root / "test.npz", x_test=arrays.x_test)
    return run_dir, root / "test.npz", arrays.y_test


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory):
    from sklearn.datasets import load_diabetes

    root = tmp_path_factory.mktemp("diabetes")
    bunch = load_diabetes()
    names = list(bunch.feature_names)
    with open(root / "train.csv", "w", newline="") as f:
        csv.writer(f).writerows([names + ["target"]] + [list(x) + [t] for x, t in zip(bunch.data, bunch.target)])
    with open(root / "new.csv", "w", newline="") as f:  # no target column
        csv.writer(f).writerows([names] + [list(x) for x in bunch.data[:7]])
    run_dir = _fit({"dataset": "csv", "path": str(root / "train.csv"), "label_column": "target",
                    "scale": "standard"}, root / "runs", task="regression")
    return run_dir, root


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    from data.test_image_folder import write_folder

    root = tmp_path_factory.mktemp("images")
    write_folder(root / "train", per_class=12, seed=0)
    write_folder(root / "test", per_class=6, seed=1)
    run_dir = _fit({"dataset": "image_folder", "path": str(root / "train"), "test_path": str(root / "test"),
                    "image_size": [16, 16], "color_mode": "grayscale", "validation_split": 0.0}, root / "runs",
                   model={"type": "sequential", "layers": [{"Conv2D": {"filters": 4, "kernel_size": 3}}, "Flatten",
                                                           "Dense"]})
    return run_dir, root


def test_digits_npz_reproduces_the_test_accuracy(digits, tmp_path, capsys):
    run_dir, npz, y_test = digits
    assert cli(["predict", str(run_dir), str(npz), "-o", str(tmp_path / "p.csv")]) == 0
    rows = _read(tmp_path / "p.csv")
    assert list(rows[0]) == ["input", "predicted"] + [f"probability_{c}" for c in range(10)]
    assert rows[0]["input"] == "test.npz[0]" and len(rows) == len(y_test)
    accuracy = np.mean([int(r["predicted"]) == y for r, y in zip(rows, y_test)])
    assert accuracy == pytest.approx(_test_accuracy(run_dir), abs=1e-6)
    assert sum(float(rows[0][f"probability_{c}"]) for c in range(10)) == pytest.approx(1.0, abs=1e-4)
    assert f"wrote {len(y_test)} predictions to {tmp_path / 'p.csv'}" in capsys.readouterr().out


def test_default_output_is_a_new_csv_in_the_run_directory(digits):
    run_dir, npz, _ = digits
    first = __import__("dltrain.predict", fromlist=["predict"]).predict(run_dir, [npz])
    second = __import__("dltrain.predict", fromlist=["predict"]).predict(run_dir, [npz])
    assert first.output.parent == run_dir and first.output.name.startswith("predictions-")
    assert first.output != second.output and first.output.is_file()


def test_top_k_best_model_and_json(digits, tmp_path, capsys):
    run_dir, npz, _ = digits
    code = cli(["predict", str(run_dir), str(npz), "--top-k", "2", "--model", "best", "-o", str(tmp_path / "k.csv"),
                "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["model"].endswith("best.keras") and doc["inputs"] == 450 and len(doc["first_rows"]) == 5
    rows = _read(tmp_path / "k.csv")
    assert list(rows[0]) == ["input", "predicted", "top_1", "probability_1", "top_2", "probability_2"]
    assert all(r["top_1"] == r["predicted"] and float(r["probability_1"]) >= float(r["probability_2"]) for r in rows)


def test_wrong_shape_is_one_line_naming_the_input(digits, tmp_path, capsys):
    run_dir, _, _ = digits
    np.savez(tmp_path / "flat.npz", x=np.zeros((3, 64), np.float32))
    assert cli(["predict", str(run_dir), str(tmp_path / "flat.npz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {tmp_path / 'flat.npz'}: x has samples of shape (64,); the model takes samples of shape "
                   "(8, 8)"]


@pytest.mark.parametrize("bad", [{"top_k": 11}, {"model": "last"}])
def test_bad_options_are_user_errors(digits, bad):
    from dltrain.predict import predict

    run_dir, npz, _ = digits
    with pytest.raises(UserError, match="top-k is 11|--model is 'last'"):
        predict(run_dir, [npz], **bad)


def test_regression_table_without_its_target(diabetes, capsys):
    run_dir, root = diabetes
    assert cli(["predict", str(run_dir), str(root / "new.csv"), "-o", str(root / "out.csv")]) == 0
    rows = _read(root / "out.csv")
    assert list(rows[0]) == ["input", "predicted"] and len(rows) == 7
    assert rows[0]["input"] == "new.csv:2"
    values = [float(r["predicted"]) for r in rows]
    assert len(set(values)) == 7 and 0 < np.mean(values) < 400  # diabetes targets are 25..346


def test_table_with_the_wrong_columns(diabetes, tmp_path, capsys):
    run_dir, root = diabetes
    (tmp_path / "few.csv").write_text("age,sex\n1,2\n")
    assert cli(["predict", str(run_dir), str(tmp_path / "few.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {tmp_path / 'few.csv'}:1: the columns are age, sex; the "
                                               "model takes age, sex, bmi")


def test_image_folder_reproduces_the_test_accuracy(images, tmp_path):
    run_dir, root = images
    assert cli(["predict", str(run_dir), str(root / "test"), "-o", str(tmp_path / "p.csv")]) == 0
    rows = _read(tmp_path / "p.csv")
    assert len(rows) == 18
    accuracy = np.mean([Path(r["input"]).parent.name == r["predicted"] for r in rows])
    assert accuracy == pytest.approx(_test_accuracy(run_dir), abs=1e-6)


def test_mis_sized_and_unreadable_images(images, tmp_path, capsys):
    from PIL import Image

    run_dir, _ = images
    Image.new("L", (20, 16)).save(tmp_path / "wide.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    assert cli(["predict", str(run_dir), str(tmp_path / "wide.png")]) == 2
    assert cli(["predict", str(run_dir), str(tmp_path / "broken.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == (f"error: {tmp_path / 'wide.png'}: is 16×20 pixels, not data.image_size 16×16; the model takes "
                      "images of 16×16 pixels (resize it)")
    assert len(err) == 2 and err[1].startswith(f"error: {tmp_path / 'broken.png'}: cannot be read as an image")
