"""The tf.data pipeline: every sample once per epoch, reshuffled per (seed, epoch)."""

from __future__ import annotations

import numpy as np
import pytest

from dltrain.data.pipeline import evaluation_dataset, steps_for, training_dataset
from dltrain.tf_quiet import keras


def order(data, epoch):
    data.set_epoch(epoch)
    return sum((x.numpy().ravel().tolist() for x, _ in data.dataset), [])


def arrays(n=10):
    return np.arange(n, dtype=np.float32).reshape(n, 1), np.arange(n, dtype=np.int32)


def test_each_epoch_is_a_new_permutation_of_all_samples():
    data = training_dataset(*arrays(), batch_size=4, seed=1)
    assert data.steps_per_epoch == 3
    orders = [order(data, e) for e in range(3)]
    for o in orders:
        assert sorted(o) == list(range(10))
    assert orders[0] != orders[1] != orders[2]  # Keras's seeded fit repeats one order; we must not


def test_order_depends_only_on_seed_and_epoch():
    a, b, c = (training_dataset(*arrays(), 4, seed=s) for s in (5, 5, 6))
    assert [order(a, e) for e in (0, 1, 2)] == [order(b, e) for e in (0, 1, 2)]
    assert order(a, 2) == order(b, 2)  # any epoch, in any sequence: a resume at epoch 2 sees this
    assert order(a, 0) != order(c, 0)


def test_labels_stay_with_their_samples():
    data = training_dataset(*arrays(20), 8, seed=0)
    for xb, yb in data.dataset:
        np.testing.assert_array_equal(xb.numpy().ravel(), yb.numpy())


def test_no_shuffle_keeps_order():
    data = training_dataset(*arrays(), 4, seed=0, shuffle=False)
    assert order(data, 0) == order(data, 1) == list(range(10))


@pytest.mark.parametrize("steps_per_execution", [1, 4, 32])
def test_every_epoch_takes_exactly_its_batches(steps_per_execution):
    """Keras with steps_per_execution must not eat into the next epoch's batches."""
    from dltrain.training.callbacks import EpochOrder

    data = training_dataset(*arrays(40), 4, seed=0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", steps_per_execution=steps_per_execution)
    seen = []

    class Count(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(int(model.optimizer.iterations.numpy()))

    model.fit(data.dataset, epochs=3, verbose=0, callbacks=[EpochOrder(data), Count()])
    assert seen == [10, 20, 30]


def test_evaluation_dataset_in_order_once():
    x, y = arrays(7)
    batches = [b.numpy().ravel().tolist() for b, _ in evaluation_dataset(x, y, 3)]
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]
    assert steps_for(7, 3) == 3 and steps_for(0, 3) == 1


def test_batches_are_preprocessed_exactly_as_numpy_computes():
    from dltrain.config import config_from_data
    from dltrain.data import prepare
    from dltrain.data.preprocessing import preprocessing_model
    from dltrain.data.sources import Arrays

    rng = np.random.default_rng(0)
    raw = Arrays(rng.integers(0, 256, (30, 4, 4), dtype=np.uint8), np.arange(30) % 3,
                 rng.integers(0, 256, (9, 4, 4), dtype=np.uint8), np.arange(9) % 3)
    for scale in ("unit", "standard", "none"):
        p = prepare(raw, config_from_data({"data": {"scale": scale, "validation_split": 0}}))
        preprocess = preprocessing_model(p)
        batches = np.concatenate([xb.numpy() for xb, _ in evaluation_dataset(p.x_test, p.y_test, 4, preprocess)])
        assert batches.shape == (9, 16)  # flattened for the default MLP
        np.testing.assert_allclose(batches, p.scaled(p.x_test), rtol=1e-6, atol=1e-6)
        assert batches.dtype == np.float32


def test_the_feed_runs_without_tf_datas_autotuner():
    """Its retuning on 2 cores made single epochs up to 2.1x the median (see MAP_CALLS in data/pipeline.py)."""
    from dltrain.data.pipeline import PREFETCH_BATCHES

    x, y = np.arange(40, dtype=np.float32).reshape(20, 2), np.arange(20)
    for ds in (training_dataset(x, y, batch_size=4, seed=0).dataset, evaluation_dataset(x, y, batch_size=4)):
        assert ds.options().autotune.enabled is False
        assert PREFETCH_BATCHES >= 32  # one execution of Keras's default steps_per_execution is ready ahead
        assert [len(b[1]) for b in ds] == [4] * 5  # and it still yields every batch
