"""Predicting a run's test set: one batch per step when the set fits in one execution, all samples either way."""

from __future__ import annotations

import numpy as np

from dltrain.tf_quiet import keras, tf
from dltrain.training.evaluate import predict_batches


def _model(steps_per_execution: int) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    model.compile(loss="mse", steps_per_execution=steps_per_execution)
    return model


def _batches(n: int, batch: int = 4) -> tf.data.Dataset:
    x = np.arange(n * 3, dtype="float32").reshape(n, 3) / n
    return tf.data.Dataset.from_tensor_slices((x, np.zeros((n, 2), "float32"))).batch(batch)


def test_a_set_of_one_execution_is_predicted_one_batch_per_step_and_the_setting_comes_back():
    model = _model(8)
    small = _batches(10)  # 3 batches: within one execution
    seen = []
    model.make_predict_function = (lambda make: lambda force=False: (seen.append(model.steps_per_execution),
                                                                     make(force))[1])(model.make_predict_function)
    out = predict_batches(model, small)
    assert seen == [1] and model.steps_per_execution == 8 and model.predict_function is None
    np.testing.assert_allclose(out, model(np.concatenate([x for x, _ in small])).numpy(), rtol=1e-6)


def test_the_next_predict_takes_every_batch_of_a_longer_set():
    """A function built for single steps, left cached, would take an execution's list of batches and use one."""
    model = _model(8)
    predict_batches(model, _batches(10))
    assert model.predict(_batches(100), verbose=0).shape == (100, 2)  # 25 batches: several executions
    assert predict_batches(model, _batches(100)).shape == (100, 2)


def test_a_short_test_set_is_evaluated_one_batch_per_step():
    from dltrain.training.evaluate import test_metrics

    model = _model(8)
    seen = []
    model.make_test_function = (lambda make: lambda force=False: (seen.append(model.steps_per_execution),
                                                                  make(force))[1])(model.make_test_function)
    small = _batches(10)
    metrics = test_metrics(model, small)
    assert seen == [1] and model.steps_per_execution == 8 and model.test_function is None
    x = np.concatenate([x for x, _ in small])
    assert abs(metrics["loss"] - float(np.mean(model(x).numpy() ** 2))) < 1e-5  # every sample, labels 0
    assert set(test_metrics(model, _batches(100))) == {"loss"}  # several executions: the function N batches long


def test_a_built_test_step_is_reused():
    """After validation during training, scoring the test set traces nothing more."""
    from dltrain.training.evaluate import test_metrics

    model = _model(8)
    model.evaluate(_batches(100), verbose=0)  # as fit's validation builds it
    built = model.test_function
    test_metrics(model, _batches(10))
    assert model.test_function is built and model.steps_per_execution == 8
