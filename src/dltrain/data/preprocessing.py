"""The preprocessing a model carries: Keras layers computed on the training split.

Training feeds raw batches (cast to float32) through these layers in the
``tf.data`` pipeline, as Keras's preprocessing guide recommends for speed;
the saved models (``model.keras``, ``best.keras``) put the same layer objects
in front of the trained model, so ``keras.saving.load_model(path).predict(raw)``
gives the run's answers with no dltrain installed. The layers have no
trainable weights: the model keeps the seeds' parameter counts.

=============== =====================================================================
``scale: unit``     ``Rescaling(1/peak)`` (1/255 for 8-bit images)
``scale: standard`` ``Normalization(mean, variance)``: per feature for tables, over all pixels for images
``reshape``         ``Flatten`` (images into an MLP) or ``Reshape`` adding a channel axis
=============== =====================================================================
"""

from __future__ import annotations

import numpy as np

from dltrain.data.prepare import Prepared
from dltrain.tf_quiet import keras, tf

PREPROCESSING = "preprocessing"


def preprocessing_layers(prepared: Prepared) -> list[keras.layers.Layer]:
    """The Keras layers that turn a raw float32 batch into what the model's first layer takes."""
    layers: list[keras.layers.Layer] = []
    if prepared.scaling == "unit" and float(prepared.divisor) != 1.0:
        layers.append(keras.layers.Rescaling(1.0 / float(prepared.divisor), name="rescaling"))
    elif prepared.scaling == "standard":
        mean = np.asarray(prepared.offset, np.float32)
        variance = np.square(np.asarray(prepared.divisor, np.float32))
        axis = -1 if mean.ndim else None  # per feature for tables, one statistic for images
        layers.append(keras.layers.Normalization(axis=axis, mean=mean.tolist(), variance=variance.tolist(),
                                                 name="normalization"))
    if prepared.reshape_rule == "flatten":
        layers.append(keras.layers.Flatten(name="flatten_input"))
    elif prepared.reshape_rule == "channels":
        layers.append(keras.layers.Reshape((*prepared.raw_shape, 1), name="add_channel"))
    return layers


def preprocessing_model(prepared: Prepared) -> keras.Sequential | None:
    """The preprocessing layers as one small model, or None when the raw data goes in as is."""
    layers = preprocessing_layers(prepared)
    if not layers:
        return None
    return keras.Sequential([keras.Input(shape=prepared.raw_shape), *layers], name=PREPROCESSING)


def _call_layers(model: keras.Model, x):
    """The model's layers called again on ``x`` (the same layer objects: shared weights).

    ``Model.call`` runs the layer graph on new tensors layer by layer, where
    calling the model itself would nest it whole.
    """
    if isinstance(model, keras.Sequential):
        for layer in model.layers:
            x = layer(x)
        return x
    return model.call(x)


def serving_model(model: keras.Model, preprocessing: keras.Model | None, raw_inputs,
                  target_scale: tuple[float, float] | None = None) -> keras.Model:
    """The trained model's layers behind its preprocessing: takes raw samples, shares the trained weights.

    Args:
        model: the trained model (its first layer takes preprocessed samples).
        preprocessing: raw batch → model input, or None (the model takes raw samples itself).
        raw_inputs: fresh ``keras.Input`` (or a dict of them) for raw samples.
        target_scale: a regression's ``(mean, std)`` when it trained on scaled
            targets: a ``Rescaling`` after the output puts predictions back in the data's units.

    The layers are called again rather than the model nested whole: a nested
    compiled model would carry the optimizer's state one level down, and
    Keras then warns on loading that the optimizer's variables are missing.
    """
    if preprocessing is None and target_scale is None:
        return model
    outputs = _call_layers(model, raw_inputs if preprocessing is None else preprocessing(raw_inputs))
    if target_scale is not None:
        mean, std = target_scale
        outputs = keras.layers.Rescaling(scale=std, offset=mean, name="target_units")(outputs)
    return keras.Model(raw_inputs, outputs, name=model.name)


def _tf_reshape(layer: keras.layers.Layer):
    """Flatten or Reshape as TensorFlow ops: the same result, runnable inside ``tf.data`` on any backend."""
    if isinstance(layer, keras.layers.Flatten):
        return lambda x: tf.reshape(x, [tf.shape(x)[0], -1])
    target = [int(d) for d in layer.target_shape]
    return lambda x: tf.reshape(x, [tf.shape(x)[0], *target])


def _tf_data_step(layer):
    """One layer as the pipeline runs it off TensorFlow: reshapes as TensorFlow ops, nested models step by step."""
    if isinstance(layer, (keras.layers.Flatten, keras.layers.Reshape)):
        return _tf_reshape(layer)
    if isinstance(layer, keras.Model):
        return for_tf_data(layer)
    return layer


def for_tf_data(preprocessing):
    """The preprocessing as the ``tf.data`` pipeline runs it, on the backend Keras runs on.

    On TensorFlow it is the model itself (unchanged speed). On another backend,
    Keras's preprocessing layers that are data layers (``Rescaling``,
    ``Normalization``, ``CategoryEncoding`` ...) switch to TensorFlow inside a
    ``tf.data`` graph by themselves (``DataLayer.__call__`` in
    ``keras/src/layers/preprocessing/data_layer.py``, Keras 3.15), and the
    lookup and ``TextVectorization`` layers compute with TensorFlow anyway;
    ``Flatten`` and ``Reshape`` do not, and a functional model converts its
    inputs to the backend's arrays first (``Functional._standardize_inputs``):
    both fail there on jax ("Cannot convert a symbolic tf.Tensor to a numpy
    array"). So the layers run one by one, in graph order
    (``Function._run_through_graph``, which ``Functional.call`` uses too), the
    two reshapes as TensorFlow ops. The saved models keep the Keras layers, so
    ``model.keras`` still takes raw inputs on either backend.
    """
    if preprocessing is None or keras.backend.backend() == "tensorflow":
        return preprocessing
    if isinstance(preprocessing, keras.Sequential):
        steps = [_tf_data_step(layer) for layer in preprocessing.layers]

        def run(x):
            for step in steps:
                x = step(x)
            return x

        return run
    if isinstance(preprocessing, keras.Model):
        return lambda x: preprocessing._run_through_graph(x, operation_fn=_tf_data_step)
    return _tf_data_step(preprocessing)
