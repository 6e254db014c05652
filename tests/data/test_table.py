"""Tables of mixed columns: FeatureSpace adapted on the training split, the missing-cells policy, fit end to end."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from dltrain.config import Config
from dltrain.errors import UserError


def _write(path, rows, header=("size", "colour", "label")):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _config(path, **data):
    return Config.model_validate({"data": {"dataset": "csv", "path": str(path), "validation_split": 0, **data},
                                  "training": {"batch_size": 8}})


def _rows(n=60):
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        colour = ["red", "blue"][i % 2]
        out.append([f"{rng.normal():.2f}", colour, "a" if colour == "red" else "b"])
    return out


def test_string_columns_are_read_with_featurespace(tmp_path):
    from dltrain.data import load_bundle

    bundle = load_bundle(_config(_write(tmp_path / "t.csv", _rows())), seed=1)
    assert bundle.kind == "table"
    assert bundle.extras["features"] == {"size": "float_normalized", "colour": "string_categorical"}
    assert bundle.class_names == ["a", "b"]
    x, y = next(iter(bundle.train.dataset))
    assert x.shape[1] == bundle.input_shape[0] == 4 + 1  # colour's missing/OOV/red/blue slots, then size


def test_vocabulary_is_adapted_on_the_training_split_only(tmp_path):
    from dltrain.data.table import table_bundle
    from dltrain.tf_quiet import tf

    train = _write(tmp_path / "train.csv", _rows())
    test = _write(tmp_path / "test.csv", [["0.1", "green", "a"], ["0.2", "red", "a"]])
    bundle = table_bundle(_config(train, test_path=str(test)), seed=1)
    encoded = bundle.preprocessing({"size": tf.constant([[0.1], [0.2]]), "colour": tf.constant([["green"], ["red"]])})
    colour = encoded.numpy()[:, :4]  # FeatureSpace orders the columns by name
    assert colour[0].tolist() == [0, 1, 0, 0]  # green, seen only in the test table: the OOV slot
    assert colour[1].argmax() > 1


def test_missing_cells_follow_the_policy(tmp_path):
    from dltrain.data.table import table_bundle

    rows = _rows() + [["", "", "a"]]
    bundle = table_bundle(_config(_write(tmp_path / "t.csv", rows), test_split=0.5), seed=1)
    fill = bundle.extras["missing_fill"]["size"]
    present = [float(r[0]) for r in rows if r[0]]
    assert abs(fill - np.mean(present)) < 0.5  # the training split's mean (the split holds ~half the rows)


def test_unknown_feature_column_names_the_key(tmp_path):
    from dltrain.data.table import table_bundle

    with pytest.raises(UserError, match="no column 'weight'"):
        table_bundle(_config(_write(tmp_path / "t.csv", _rows()), features={"weight": "float"}), seed=1)


def test_declared_type_that_does_not_fit_names_the_line(tmp_path):
    from dltrain.data.table import table_bundle

    with pytest.raises(UserError, match="colour' is float_normalized but holds 'red'") as err:
        table_bundle(_config(_write(tmp_path / "t.csv", _rows()), features={"colour": "float_normalized"}), seed=1)
    assert re.search(r"t\.csv:\d+: ", str(err.value))  # the file and the line of the cell


def test_numeric_non_integer_label_is_regression(tmp_path):
    from dltrain.data.table import table_bundle

    rows = [[r[0], r[1], f"{i * 0.5 + 0.25}"] for i, r in enumerate(_rows())]
    bundle = table_bundle(_config(_write(tmp_path / "t.csv", rows)), seed=1)
    assert (bundle.task, bundle.label_encoding, bundle.class_names) == ("regression", "regression", [])
    assert bundle.train_labels.dtype == np.float32


@pytest.mark.slow
def test_fit_saves_a_model_that_predicts_raw_rows(tmp_path):
    from dltrain.tf_quiet import keras, tf
    from dltrain.training import fit

    rows = _rows(120)
    path = _write(tmp_path / "t.csv", rows)
    config_file = tmp_path / "c.yaml"
    config_file.write_text(f"data: {{dataset: csv, path: {path}, validation_split: 0}}\n"
                           "model: {type: sequential, layers: [{Dense: {units: 8, activation: relu}}, Dense]}\n"
                           "training: {epochs: 15, batch_size: 8}\n")
    from dltrain.config import load_config

    result = fit(load_config(config_file), runs_dir=tmp_path / "runs", verbose=0)
    model = keras.saving.load_model(result.run_dir / "model.keras", safe_mode=True)
    batch = {"size": tf.constant([[0.3], [0.0]]), "colour": tf.constant([["red"], [""]])}  # a missing colour
    assert model.predict(batch, verbose=0).shape == (2, 2)
    from dltrain.data import load_bundle

    config = load_config(config_file)
    raw_test = load_bundle(config, seed=config.seed).test  # raw dicts of columns, in the run's test order
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    accuracy = model.evaluate(raw_test, verbose=0, return_dict=True)["accuracy"]
    assert accuracy == pytest.approx(result.test_metrics["accuracy"], abs=1e-6)
