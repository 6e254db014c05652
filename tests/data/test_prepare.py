"""Preparation: validation split, scaling, reshaping, label encoding."""

from __future__ import annotations

import numpy as np
import pytest

from dltrain.config import config_from_data
from dltrain.data import load_arrays, prepare
from dltrain.data.sources import Arrays
from dltrain.errors import UserError


def images(n=50, classes=3):
    rng = np.random.default_rng(0)
    return Arrays(
        rng.integers(0, 200, (n, 6, 6)).astype(np.uint8),
        np.arange(n) % classes,
        rng.integers(0, 255, (20, 6, 6)).astype(np.uint8),
        np.arange(20) % classes,
    )


def run(data=None, model=None, loss=None, arrays=None):
    raw = {"data": data or {}}
    if model:
        raw["model"] = model
    if loss:
        raw["loss"] = loss
    return prepare(arrays or images(), config_from_data(raw))


def test_unit_scaling_divides_uint8_by_255():
    p = run({"validation_split": 0})
    raw = images()
    np.testing.assert_allclose(p.scaled(p.x_train), raw.x_train.reshape(50, -1).astype(np.float32) / 255, rtol=1e-6)
    assert p.x_train.dtype == np.uint8 and p.x_train.shape == (50, 6, 6)  # stays raw: preprocessed batch by batch
    assert p.raw_shape == (6, 6) and p.input_shape == (36,)


def test_standard_scaling_uses_training_statistics_only():
    p = run({"validation_split": 0, "scale": "standard"})
    x_train, x_test = p.scaled(p.x_train), p.scaled(p.x_test)
    assert abs(x_train.mean()) < 1e-5 and abs(x_train.std() - 1) < 1e-3
    assert abs(x_test.mean()) > 1e-3  # the test set is scaled with train's numbers, not its own


def test_standard_scaling_per_feature_for_tables():
    rng = np.random.default_rng(1)
    arrays = Arrays(rng.normal(5, [1, 10], (40, 2)), np.arange(40) % 2, rng.normal(size=(5, 2)), np.arange(5) % 2)
    p = run({"validation_split": 0, "scale": "standard"}, arrays=arrays)
    np.testing.assert_allclose(p.scaled(p.x_train).std(axis=0), [1, 1], rtol=1e-4)


def test_validation_split_is_seeded_and_disjoint():
    a, b = run({"validation_split": 0.2}), run({"validation_split": 0.2})
    assert len(a.x_train) == 40 and len(a.x_val) == 10
    np.testing.assert_array_equal(a.x_val, b.x_val)
    rows = {r.tobytes() for r in a.x_train} & {r.tobytes() for r in a.x_val}
    assert not rows


def test_validation_on_test_set_shares_the_array():
    p = run({"validation_data": "test"})
    assert p.x_val is p.x_test and p.y_val is p.y_test


def test_empty_validation_split_is_a_user_error():
    with pytest.raises(UserError, match="leaves an empty split"):
        run({"validation_split": 0.001})


@pytest.mark.parametrize(
    ("model", "reshape", "shape"),
    [
        ({"type": "mlp"}, "auto", (36,)),
        ({"type": "cnn"}, "auto", (6, 6, 1)),
        ({"layers": ["Flatten", {"Dense": {}}]}, "auto", (6, 6)),
        ({"layers": [{"Conv2D": {"filters": 2, "kernel_size": 3}}, "Flatten", {"Dense": {}}]}, "auto", (6, 6, 1)),
        ({"layers": [{"LSTM": {"units": 4}}, {"Dense": {}}]}, "auto", (6, 6)),
        ({"layers": [{"Dense": {"units": 4}}]}, "auto", (36,)),
        ({"type": "mlp"}, "none", (6, 6)),
        ({"type": "mlp"}, "channels", (6, 6, 1)),
    ],
)
def test_reshape_follows_the_first_layer(model, reshape, shape):
    p = run({"validation_split": 0, "reshape": reshape}, model=model)
    assert p.input_shape == shape


@pytest.mark.parametrize(
    ("loss", "shape", "dtype"),
    [
        ("sparse_categorical_crossentropy", (50,), np.int32),
        ("categorical_crossentropy", (50, 3), np.float32),
        ("mse", (50, 3), np.float32),
    ],
)
def test_labels_encoded_for_the_loss(loss, shape, dtype):
    p = run({"validation_split": 0}, loss=loss)
    assert p.y_train.shape == shape and p.y_train.dtype == dtype
    if len(shape) == 2:
        np.testing.assert_array_equal(p.y_train.argmax(1), np.arange(50) % 3)


def test_binary_labels_are_one_column():
    p = run({"validation_split": 0}, loss="binary_crossentropy", arrays=images(classes=2))
    assert p.y_train.shape == (50, 1) and set(np.unique(p.y_train)) == {0.0, 1.0}


def test_digits_end_to_end_shapes():
    config = config_from_data({"data": {"dataset": "digits"}})
    p = prepare(load_arrays(config), config)
    assert p.input_shape == (64,) and 0 <= p.scaled(p.x_train).min() and p.scaled(p.x_train).max() == 1.0
    assert len(p.x_train) + len(p.x_val) == 1347


def test_augmentation_before_a_conv_needs_no_reshape_option():
    model = {"type": "sequential", "layers": [{"RandomFlip": {"mode": "horizontal"}}, {"RandomRotation": {"factor": 0.1}},
                                              {"Conv2D": {"filters": 4, "kernel_size": 3}}, "Flatten", {"Dense": {}}]}
    p = run({"validation_split": 0}, model=model)
    assert p.reshape_rule == "channels" and p.input_shape == (6, 6, 1)
