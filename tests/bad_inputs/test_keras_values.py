"""Class 3: values the schema lets through but Keras refuses, through ``validate --build`` and ``fit``.

Each case is one line naming the config file, its line and key; ``fit`` leaves no run directory.
"""

from __future__ import annotations

import pytest

from corpus import NPZ, check_case, npz


def setup(d):
    npz(d / "data.npz")


MODEL = "model: {type: mlp, hidden_units: [8]}\n"
CASES = {
    "negative seed": (NPZ + MODEL + "seed: -1\n", ":3: seed: "),
    "layer of 10**9 units": (NPZ + "model: {type: mlp, hidden_units: [1000000000]}\n", ":2: model.hidden_units"),
    "misspelt callback argument": (
        NPZ + MODEL + "training:\n  callbacks:\n    - ReduceLROnPlateau: {factr: 0.5}\n",
        ":5: training.callbacks[0].ReduceLROnPlateau"),
    "optimizer argument not a number": (NPZ + MODEL + "optimizer: {Adam: {beta_1: hello}}\n",
                                        ":3: optimizer: Adam: beta_1 must be a number"),
    "learning rate a word": (NPZ + MODEL + "optimizer: {Adam: {learning_rate: fast}}\n",
                             ":3: optimizer.Adam.learning_rate: must be a number or a learning-rate schedule"),
    "noise_shape of the wrong rank": (
        NPZ + "model:\n  type: sequential\n  layers:\n    - Flatten: {}\n    - Dropout: {rate: 0.5, noise_shape: [1, 2, 3, 4]}\n"
        "    - Dense: {units: 3, activation: softmax}\n", ":4: model.layers: the model fails on a batch"),
    "validation split leaving no samples": (
        "data: {dataset: npz, path: data.npz, validation_split: 0.999}\n" + MODEL, ":1: data.validation_split"),
}


@pytest.mark.parametrize("command", ["validate", "fit"])
@pytest.mark.parametrize("case", CASES)
def test_keras_refuses_a_value(case, command, tmp_path, capsys):
    if command == "validate" and case == "validation split leaving no samples":
        pytest.skip("validate --build reads no data: the split is checked when fit loads it")
    text, expected = CASES[case]
    line = check_case(tmp_path, capsys, text, setup, expected, command)
    assert f"{tmp_path / 'config.yaml'}{expected}" in line, line
