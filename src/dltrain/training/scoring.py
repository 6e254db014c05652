"""Which model scores the test set, and on which batches.

Normally the saved model (raw inputs → preprocessing → trained layers) scores
the raw test batches, so the run's metrics are what ``model.keras`` gives.
A model whose inputs are strings (text folders, tables with string columns)
cannot do that on jax: JAX arrays have no string type, and Keras runs
``TextVectorization``/``StringLookup`` only inside ``tf.data`` off TensorFlow
(Keras's preprocessing guide; checked on Keras 3.15.1 with jax 0.10: "Invalid
dtype: object" from ``evaluate``). There the test batches go through the same
preprocessing in ``tf.data`` and the trained layers score them; the saved
``model.keras`` still carries the preprocessing and takes raw strings when
loaded on TensorFlow (``dltrain evaluate`` and ``predict`` do).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from dltrain.data.bundle import DataBundle
from dltrain.data.preprocessing import for_tf_data, serving_model
from dltrain.tf_quiet import keras, tf


@dataclass
class Scoring:
    """The model that scores the test set, the batches it takes, and the layers a best.keras reload fills."""

    model: keras.Model
    test: tf.data.Dataset
    layers: list | None = None  # set when ``model`` is not the saved model


def takes_strings(model: keras.Model) -> bool:
    """Whether any input of the model is a string tensor."""
    return any("string" in str(getattr(t, "dtype", "")) for t in keras.tree.flatten(model.inputs))


def scoring(trained: keras.Model, serving: keras.Model, data: DataBundle, compile_like) -> Scoring:
    """The saved model on raw batches, or (jax, string inputs) the trained layers on preprocessed ones.

    Args:
        trained: the model that trained (takes preprocessed batches).
        serving: the saved model (takes raw batches).
        data: the run's data.
        compile_like: compiles a model for evaluation (as the saved model is).
    """
    if keras.backend.backend() == "tensorflow" or not takes_strings(serving):
        return Scoring(serving, data.test)
    model = serving_model(trained, None, keras.Input(shape=data.input_shape), data.target_scale)
    if model is not trained:
        compile_like(model)
    preprocess = for_tf_data(data.preprocessing)
    test = data.test.map(lambda x, y: (preprocess(x), y), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return Scoring(model, test, layers=list(trained.layers))


def _weight_pairs(scorer: Scoring, saved: keras.Model) -> list[tuple[keras.Layer, keras.Layer]]:
    """(the scorer's layer, the layer of ``saved`` whose weights it takes)."""
    layers = scorer.layers if scorer.layers is not None else [scorer.model]
    return [(layer, saved if layer is scorer.model else saved.get_layer(layer.name)) for layer in layers]


def holds_weights_of(scorer: Scoring, saved: keras.Model) -> bool:
    """Whether the scorer's model already holds exactly ``saved``'s weights.

    Then their test metrics are equal, and scoring ``saved`` again would only
    repeat the evaluation: true whenever the best checkpoint is the last
    epoch's, or EarlyStopping restored the best weights.
    """
    import numpy as np

    for layer, source in _weight_pairs(scorer, saved):
        ours, theirs = layer.get_weights(), source.get_weights()
        if len(ours) != len(theirs) or not all(np.array_equal(a, b) for a, b in zip(ours, theirs)):
            return False
    return True


@contextmanager
def weights_of(scorer: Scoring, saved: keras.Model):
    """The scorer's model holding ``saved``'s weights meanwhile (a checkpoint of the same model).

    Scoring ``saved`` itself would trace (TensorFlow) or compile (JAX) its
    test and predict steps once more; the scorer's steps, already built for
    the final model, take the other weights as they are.
    """
    pairs = _weight_pairs(scorer, saved)
    kept = [layer.get_weights() for layer, _ in pairs]
    try:
        for layer, source in pairs:
            layer.set_weights(source.get_weights())
        yield scorer.model
    finally:
        for (layer, _), weights in zip(pairs, kept):
            layer.set_weights(weights)
