"""The check every export gets: its predictions on test samples against the Keras model's.

Exporters are known to produce models that silently disagree with the
original (ultralytics/ultralytics#1608, #19513), so nothing is exported
without being reloaded and compared on raw test inputs, the inputs the saved
model takes.
"""

from __future__ import annotations

from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

from dltrain.errors import UserError

SAMPLES = 64  # enough batches of the test set to hold this many samples, at most

# The largest absolute difference allowed per format. float32 throughout: the
# SavedModel and the .keras copy run the same TensorFlow kernels, ONNX Runtime
# and LiteRT's XNNPACK their own (measured: under 1e-7 on dltrain's models).
TOLERANCES = {"savedmodel": 1e-5, "keras": 1e-5, "onnx": 1e-4, "litert": 1e-4}


def test_sample(bundle, samples: int = SAMPLES) -> Any:
    """Raw test inputs (an array, or a dict of arrays for tables): the first batches of ``bundle.test``."""
    batches = []
    for x, _ in bundle.test:
        batches.append(keras.tree.map_structure(np.asarray, x))
        if sum(len(keras.tree.flatten(b)[0]) for b in batches) >= samples:
            break
    if not batches:
        raise UserError("the run's test set is empty: nothing to check the export against")
    joined = keras.tree.map_structure(lambda *parts: np.concatenate(parts), *batches)
    return keras.tree.map_structure(lambda a: a[:samples], joined)


def keras_predictions(model: keras.Model, x: Any) -> np.ndarray:
    """The Keras model's inference outputs (``training=False``) on raw inputs."""
    # tf.constant, not predict: Keras's predict refuses NumPy arrays of strings.
    return np.asarray(model(keras.tree.map_structure(tf.constant, x), training=False))


def largest_difference(expected: np.ndarray, actual: np.ndarray) -> float:
    """The largest absolute difference; infinite when the shapes differ or a value is not finite."""
    expected, actual = np.asarray(expected, np.float64), np.asarray(actual, np.float64)
    if expected.shape != actual.shape or not np.isfinite(actual).all():
        return float("inf")
    return float(np.max(np.abs(expected - actual))) if expected.size else 0.0


def compare(format: str, model: keras.Model, predict: Callable[[Any], np.ndarray], x: Any) -> float:
    """The export's largest absolute difference from the Keras model on ``x``.

    Raises:
        UserError: it is over the format's tolerance.
    """
    difference = largest_difference(keras_predictions(model, x), predict(x))
    if not difference <= TOLERANCES[format]:
        raise UserError(f"the {format} export disagrees with the Keras model: largest absolute difference "
                        f"{difference:.3g} > {TOLERANCES[format]:g} on {len(keras.tree.flatten(x)[0])} test samples; "
                        "it was removed")
    return difference
