"""tf.data pipelines over in-memory arrays, without extra copies of them.

Batches are gathered from the arrays by index, so shuffling permutes indices
(8 bytes a sample), never the samples: ``Dataset.from_tensor_slices(x)
.shuffle(n)`` would hold a second full copy of the data in its buffer.

Each epoch's order is a pure function of (seed, epoch): the pipeline spans all
epochs and is consumed with ``steps_per_epoch``. Keras 3's own seeded shuffle
repeats the same permutation every epoch (see KERAS_NOTES.md); this one does
not, and a run resumed at epoch k sees the same order as one never stopped.
"""

from __future__ import annotations

import math

import numpy as np

from dltrain.tf_quiet import tf


def steps_for(n: int, batch_size: int) -> int:
    """Batches in one pass over n samples (the last one may be short)."""
    return max(1, math.ceil(n / batch_size))


def _gather(x: tf.Tensor, y: tf.Tensor):
    return lambda idx: (tf.gather(x, idx), tf.gather(y, idx))


def training_dataset(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    epochs: int,
    seed: int,
    shuffle: bool = True,
    initial_epoch: int = 0,
) -> tuple[tf.data.Dataset, int]:
    """Batches for epochs ``initial_epoch..epochs-1``, reshuffled per epoch.

    Returns:
        The dataset and the steps per epoch to pass to ``fit``.
    """
    n = len(x)
    xt, yt = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    seed = tf.constant(seed, tf.int64)

    def epoch_indices(epoch):
        idx = tf.range(n, dtype=tf.int64)
        if shuffle:
            idx = tf.random.experimental.stateless_shuffle(idx, seed=tf.stack([seed, epoch]))
        return tf.data.Dataset.from_tensor_slices(idx).batch(batch_size)

    ds = tf.data.Dataset.range(initial_epoch, epochs).flat_map(epoch_indices)
    ds = ds.map(_gather(xt, yt), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE), steps_for(n, batch_size)


def evaluation_dataset(x: np.ndarray, y: np.ndarray, batch_size: int) -> tf.data.Dataset:
    """Batches in order, once, for validation and testing."""
    xt, yt = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    ds = tf.data.Dataset.range(len(x)).batch(batch_size)
    return ds.map(_gather(xt, yt), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)
