"""SavedModel exports: reloaded with TensorFlow alone, augmentation inactive, parity recorded."""

from __future__ import annotations

import numpy as np
import pytest
from export_checks import recorded, sample_and_reference, train  # noqa: F401  (a fixture)

from dltrain.errors import UserError

pytestmark = pytest.mark.slow  # trains real runs


def _served(path, x):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))  # kept: its endpoint needs the object's variables alive
    return loaded.serve(tf.constant(x)).numpy()


def test_savedmodel_round_trips_with_its_parity_in_export_json(train):
    from dltrain.export import export

    result = export(train("mlp"), "savedmodel")
    x, expected = sample_and_reference(result.run_dir)
    difference = float(np.max(np.abs(_served(result.path, x) - expected)))
    entry = recorded(result)
    assert entry["format"] == "savedmodel" and entry["samples"] == len(x) == 64
    assert entry["max_abs_diff"] <= entry["tolerance"] == 1e-5
    assert difference == pytest.approx(entry["max_abs_diff"], abs=1e-7)


def test_augmentation_is_inactive_in_the_exported_savedmodel(train):
    from dltrain.export import export

    result = export(train("augmented"), "savedmodel")
    x, expected = sample_and_reference(result.run_dir)
    first, second = _served(result.path, x), _served(result.path, x)
    assert np.array_equal(first, second), "a plain model.export keeps RandomFlip/RandomRotation active"
    assert np.max(np.abs(first - expected)) <= 1e-5


def test_unknown_format_and_run_are_one_line_errors(train, tmp_path):
    from dltrain.export import export

    with pytest.raises(UserError, match=r"unknown export format 'tfjs'; expected one of: savedmodel, onnx"):
        export(train("mlp"), "tfjs")
    with pytest.raises(UserError, match="no run"):
        export("nope", "keras", runs_dir=tmp_path)
