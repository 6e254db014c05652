"""adapt_layers: preprocessing layers in model.layers adapted on the training inputs, in order."""

from __future__ import annotations

import numpy as np

from dltrain.models.adapt import adapt_layers, holds_string_layers, needs_adapting
from dltrain.tf_quiet import keras, tf


def test_each_layer_is_adapted_on_what_reaches_it():
    x = np.random.default_rng(0).normal(5, 2, (200, 3)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, kernel_initializer="ones", use_bias=False),
                              keras.layers.Normalization(), keras.layers.Dense(2)])
    assert adapt_layers(model, tf.data.Dataset.from_tensor_slices(x).batch(32)) == [model.layers[1].name]
    # The Dense before it sums the three columns: the mean Normalization learns is the sums' mean.
    np.testing.assert_allclose(model.layers[1].mean.numpy().ravel(), [x.sum(1).mean()] * 3, rtol=1e-4)


def test_text_vectorization_inside_a_model_is_adapted():
    texts = np.array(["red apple", "green apple"], object)
    model = keras.Sequential([keras.Input((), dtype="string"),
                              keras.layers.TextVectorization(output_sequence_length=2)])
    adapt_layers(model, tf.data.Dataset.from_tensor_slices(texts).batch(2))
    assert model.layers[0].get_vocabulary()[2] == "apple"


def test_layers_given_their_state_are_left_alone():
    assert not needs_adapting(keras.layers.Normalization(mean=0.0, variance=1.0))
    assert not needs_adapting(keras.layers.StringLookup(vocabulary=["a"]))
    assert needs_adapting(keras.layers.IntegerLookup())
    assert not needs_adapting(keras.layers.Dense(2))


def test_string_layers_are_found_and_keep_xla_off():
    from dltrain.config import Config
    from dltrain.models.compile import use_xla

    model = keras.Sequential([keras.Input((), dtype="string"), keras.layers.StringLookup(vocabulary=["a"])])
    assert holds_string_layers(model)
    assert not use_xla(Config(), model)
