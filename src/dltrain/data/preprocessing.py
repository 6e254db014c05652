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
from dltrain.tf_quiet import keras

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
