"""Which model scores the test set: a checkpoint is scored by the final model's steps, holding its weights."""

from __future__ import annotations

import numpy as np

from dltrain.tf_quiet import keras, tf
from dltrain.training.scoring import Scoring, weights_of


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
