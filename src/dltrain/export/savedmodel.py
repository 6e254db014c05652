"""TensorFlow SavedModel, written through ``keras.export.ExportArchive`` with ``training=False``.

A plain ``model.export(format="tf_saved_model")`` (Keras 3.15.1) keeps
augmentation layers active in the served function, so two calls on one input
give different outputs; an endpoint that calls the model with
``training=False`` serves inference only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

ENDPOINT = "serve"


def input_signature(model: keras.Model) -> Any:
    """The model's raw inputs as ``tf.TensorSpec``s, any batch size (a dict for table models)."""
    return keras.tree.map_structure(
        lambda t: tf.TensorSpec((None, *t.shape[1:]), tf.as_dtype(t.dtype), name=t.name), model.input)


def write(model: keras.Model, path: Path) -> None:
    """Writes the model's inference function as a SavedModel folder with one endpoint, ``serve``."""
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(ENDPOINT, lambda inputs: model(inputs, training=False),
                         input_signature=[input_signature(model)])
    archive.write_out(str(path), verbose=False)


def load(path: Path) -> Callable[[Any], np.ndarray]:
    """Reloads the SavedModel with TensorFlow alone; returns its ``serve`` endpoint on NumPy inputs."""
    served = tf.saved_model.load(str(path))
    return lambda x: np.asarray(getattr(served, ENDPOINT)(keras.tree.map_structure(tf.constant, x)))
