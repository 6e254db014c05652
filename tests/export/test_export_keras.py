"""The .keras export, the CLI command, and the refusals that need no export at all."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from export_checks import sample_and_reference, train  # noqa: F401  (a fixture)

from dltrain import cli, runs
from dltrain.export import support


@pytest.mark.slow
def test_keras_copy_round_trips_through_the_cli(train, capsys):
    run_dir = train("mlp")
    assert cli.run(["export", str(run_dir), "--format", "keras", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["path"] == str(run_dir / runs.EXPORTS / "model.keras")
    x, expected = sample_and_reference(run_dir)
    copy = keras.saving.load_model(out["path"], safe_mode=True)
    assert np.max(np.abs(np.asarray(copy(x, training=False)) - expected)) <= out["max_abs_diff"] + 1e-7
    entry = json.loads((run_dir / runs.EXPORT).read_text())["exports/model.keras"]
    assert entry["max_abs_diff"] == out["max_abs_diff"] <= entry["tolerance"] == 1e-5


@pytest.mark.slow
def test_a_refusal_is_one_line_and_exit_code_2(train, capsys):
    assert cli.run(["export", str(train("mlp")), "--format", "tfjs"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: unknown export format 'tfjs'; expected one of: savedmodel, onnx, litert, keras"]


def _model(inputs, *layers):
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x)


def test_text_and_table_models_are_refused_for_onnx_and_litert():
    text = _model(keras.Input((1,), dtype="string"), keras.layers.StringLookup(vocabulary=["a"]))
    columns = {"a": keras.Input((1,)), "b": keras.Input((1,))}
    table = keras.Model(columns, keras.layers.Concatenate()([columns["a"], columns["b"]]))
    for fmt in ("onnx", "litert"):
        assert "takes strings" in support.refusal(text, fmt)
        assert "dict of columns" in support.refusal(table, fmt)
    assert support.refusal(text, "savedmodel") is None and support.refusal(text, "keras") is None


def test_augmentation_is_refused_for_onnx_only_and_recurrence_for_litert_only():
    augmented = _model(keras.Input((8, 8, 1)), keras.layers.RandomFlip(), keras.layers.Flatten())
    recurrent = _model(keras.Input((8, 8)), keras.layers.Bidirectional(keras.layers.GRU(2)))
    assert "RandomFlip" in support.refusal(augmented, "onnx")
    assert support.refusal(augmented, "litert") is None
    assert "GRU" in support.refusal(recurrent, "litert")
    assert support.refusal(recurrent, "onnx") is None
