"""Which model scores the test set: a checkpoint is scored by the final model's steps, holding its weights."""

from __future__ import annotations

import numpy as np

from dltrain.tf_quiet import keras, tf
from dltrain.training.scoring import Scoring, holds_weights_of, weights_of


def _model(seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    model.compile(loss="mse")
    return model


def test_a_checkpoint_is_scored_with_its_weights_and_the_final_weights_come_back():
    final, checkpoint = _model(0), _model(1)
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    test = tf.data.Dataset.from_tensor_slices((x, np.zeros((8, 2), "float32"))).batch(4)
    before = final.predict(x, verbose=0)
    scorer = Scoring(final, test)
    with weights_of(scorer, checkpoint) as model:
        assert model is final  # the steps traced for the final model are reused
        np.testing.assert_allclose(model.predict(x, verbose=0), checkpoint.predict(x, verbose=0), rtol=1e-6)
        assert model.evaluate(test, verbose=0) == checkpoint.evaluate(test, verbose=0)
    np.testing.assert_array_equal(final.predict(x, verbose=0), before)


def test_a_checkpoint_with_the_final_weights_is_recognised_to_the_last_bit():
    final, checkpoint = _model(0), _model(0)
    scorer = Scoring(final, None)
    assert holds_weights_of(scorer, checkpoint)
    kernel, bias = checkpoint.layers[1].get_weights()
    kernel[1, 1] = np.nextafter(kernel[1, 1], np.inf)  # one weight, one unit in the last place
    checkpoint.layers[1].set_weights([kernel, bias])
    assert not holds_weights_of(scorer, checkpoint)
    assert not holds_weights_of(scorer, _model(1))
