"""Which model scores the test set, and on which batches.

The trained layers score the test batches after the same preprocessing that
fed them in training (in ``tf.data``, as the validation batches were): the
steps Keras traced (TensorFlow) or compiled (JAX) for validation are reused,
where scoring the saved model on raw batches traced its test step once more:
0.3-0.6 s of every run, 1-2 s of a jax run. The saved ``model.keras`` is the
same layers behind the same preprocessing layers, so it gives the same
outputs on raw inputs (``tests/training/test_fit.py`` loads it with Keras
alone and predicts raw rows to the reported accuracy).

Strings are one more reason on jax: JAX arrays have no string type, and
Keras runs ``TextVectorization``/``StringLookup`` only inside ``tf.data`` off
TensorFlow (Keras's preprocessing guide; checked on Keras 3.15.1 with jax
0.10: "Invalid dtype: object" from ``evaluate``).

The saved model scores the raw batches only where the trained model cannot:
a model trained by several processes (its variables span every process's
devices; see :func:`dltrain.training.finish.finish_run`).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from dltrain.data.bundle import DataBundle
from dltrain.data.preprocessing import for_tf_data, serving_model
from dltrain.tf_quiet import keras, tf


@dataclass
class Scoring:
    """The model that scores the test set, the batches it takes, and the model a best.keras reload fills.

    ``saved_like`` is the saved model (raw inputs → preprocessing → the
    trained layers), built like best.keras, so their weight lists match one
    for one; it shares its layers with ``model``, which so takes them too.
    """

    model: keras.Model
    test: tf.data.Dataset
    saved_like: keras.Model | None = None  # default: ``model`` itself

    @property
    def holder(self) -> keras.Model:
        """The model whose ``set_weights`` takes a checkpoint's weights."""
        return self.model if self.saved_like is None else self.saved_like


def scoring(trained: keras.Model, serving: keras.Model, data: DataBundle, compile_like,
            saved_only: bool = False) -> Scoring:
    """The trained layers on preprocessed test batches, or the saved model on raw ones.

    Args:
        trained: the model that trained (takes preprocessed batches).
        serving: the saved model (takes raw batches).
        data: the run's data.
        compile_like: compiles a model for evaluation (as the saved model is).
        saved_only: score ``serving`` on the raw batches (a model trained by
            several processes).
    """
    if saved_only or serving is trained:
        return Scoring(serving, data.test)
    model = serving_model(trained, None, keras.Input(shape=data.input_shape), data.target_scale)
    if model is not trained:
        compile_like(model)
    preprocess = for_tf_data(data.preprocessing)
    test = data.test.map(lambda x, y: (preprocess(x), y), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return Scoring(model, test, saved_like=serving)


def holds_weights_of(scorer: Scoring, saved: keras.Model) -> bool:
    """Whether the scorer's model already holds exactly ``saved``'s weights.

    Then their test metrics are equal, and scoring ``saved`` again would only
    repeat the evaluation: true whenever the best checkpoint is the last
    epoch's, or EarlyStopping restored the best weights.
    """
    ours, theirs = scorer.holder.get_weights(), saved.get_weights()
    return len(ours) == len(theirs) and all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(ours, theirs))


@contextmanager
def weights_of(scorer: Scoring, saved: keras.Model):
    """The scorer's model holding ``saved``'s weights meanwhile (a checkpoint of the same model).

    Scoring ``saved`` itself would trace (TensorFlow) or compile (JAX) its
    test and predict steps once more; the scorer's steps, already built for
    the final model, take the other weights as they are.
    """
    kept = scorer.holder.get_weights()
    try:
        # One for one, in order: best.keras was saved from a model built like the holder (layer names
        # may differ, as when a resumed process built the model afresh).
        scorer.holder.set_weights(saved.get_weights())
        yield scorer.model
    finally:
        scorer.holder.set_weights(kept)
