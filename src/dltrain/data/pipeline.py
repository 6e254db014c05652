"""tf.data pipelines over in-memory arrays, without extra copies of them.

Batches are gathered from the arrays (or a dict of columns) by index, cast to float32 and run
through the model's preprocessing layers one batch at a time, so the arrays stay in their raw type (uint8 for images) and
shuffling permutes indices (8 bytes a sample), never the samples: ``Dataset.from_tensor_slices(x)
.shuffle(n)`` would hold a second full copy of the data in its buffer.

Each epoch's order is a pure function of (seed, epoch): a variable holds the
epoch, set by the trainer at each epoch's start, and every pass over the
dataset shuffles for it. Keras 3's own seeded shuffle repeats the same
permutation every epoch (checked on Keras 3.15.1: with keras.utils.set_random_seed,
``model.fit(x, y, shuffle=True)`` gave the same order three epochs running); this one does not, and a run
resumed at epoch k sees the same order as one never stopped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dltrain.data.preprocessing import for_tf_data
from dltrain.tf_quiet import tf

# Feeding: a batch is a cheap gather from arrays in memory, so two calls at a time keep up with training
# on any number of cores, and a buffer of one execution's batches (Keras runs steps_per_execution, by
# default 32, in one call) lets an execution start without waiting. tf.data's autotuner stays off: on a
# 2-core machine its retuning made single epochs up to 2.1x the median with the CPU seconds unchanged
# (the process waited). bench/RESULTS.md, before and after: the seed MLP's slowest epoch 1.60x -> 1.04x
# its median and its mean epoch 0.54x -> 0.53x the plain script's; the seed CNN's 1.15x -> 1.02x.
MAP_CALLS = 2
PREFETCH_BATCHES = 32


def steps_for(n: int, batch_size: int) -> int:
    """Batches in one pass over n samples (the last one may be short)."""
    return max(1, math.ceil(n / batch_size))


def _gather(x, y: tf.Tensor, preprocess=None, cast: bool = True):
    """Gathers a batch by index (of an array, or of each column of a dict), casts numbers to float32
    unless ``cast`` is False (strings, columns of mixed types), and runs the preprocessing on it."""

    preprocess = for_tf_data(preprocess)  # jax: Flatten/Reshape as TensorFlow reshapes inside tf.data

    def batch(idx):
        xb = tf.nest.map_structure(lambda column: tf.gather(column, idx), x)
        if cast:
            xb = tf.cast(xb, tf.float32)
        if preprocess is not None:
            xb = preprocess(xb)
        return xb, tf.gather(y, idx)

    return batch


@dataclass
class TrainingData:
    """One epoch of batches, ordered by (seed, the epoch in ``epoch``)."""

    dataset: tf.data.Dataset
    steps_per_epoch: int
    epoch: tf.Variable

    def set_epoch(self, epoch: int) -> None:
        """Chooses the order the next pass over ``dataset`` yields."""
        self.epoch.assign(epoch)


def training_dataset(
    x, y: np.ndarray, batch_size: int, seed: int, shuffle: bool = True, preprocess=None, cast: bool = True
) -> TrainingData:
    """Batches for one epoch; each new pass reads ``epoch`` and reshuffles for it.

    The dataset holds exactly one epoch and Keras iterates it afresh every
    epoch. A stream spanning all epochs, consumed with ``steps_per_epoch``,
    breaks with ``steps_per_execution``: measured on Keras 3.15, an execution
    of 32 steps over an epoch of 10 took 30 batches, eating into the next
    epochs. Here an execution stops where the epoch's data ends.
    """
    n = len(y)
    xt, yt = tf.nest.map_structure(tf.convert_to_tensor, x), tf.convert_to_tensor(y)
    seed_t = tf.constant(seed, tf.int64)
    epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="dltrain_epoch")

    def epoch_batches(_):
        idx = tf.range(n, dtype=tf.int64)
        if shuffle:
            idx = tf.random.experimental.stateless_shuffle(idx, seed=tf.stack([seed_t, epoch.read_value()]))
        return tf.data.Dataset.from_tensor_slices(idx).batch(batch_size)

    steps = steps_for(n, batch_size)
    # flat_map hides the length; Keras plans an epoch by it (without it, Keras
    # 3.15 ran an 11th optimizer step on a 10-batch epoch when steps_per_execution=1).
    ds = tf.data.Dataset.from_tensors(0).flat_map(epoch_batches).apply(tf.data.experimental.assert_cardinality(steps))
    return TrainingData(_feed(ds, _gather(xt, yt, preprocess, cast)), steps, epoch)


def evaluation_dataset(x, y: np.ndarray, batch_size: int, preprocess=None, cast: bool = True) -> tf.data.Dataset:
    """Batches in order, once, for validation and testing."""
    xt, yt = tf.nest.map_structure(tf.convert_to_tensor, x), tf.convert_to_tensor(y)
    ds = tf.data.Dataset.range(len(y)).batch(batch_size)
    return _feed(ds, _gather(xt, yt, preprocess, cast))


def _feed(batch_indices: tf.data.Dataset, gather) -> tf.data.Dataset:
    """The batches of ``gather`` over ``batch_indices``: MAP_CALLS at a time, PREFETCH_BATCHES ahead, no autotuner."""
    ds = batch_indices.map(gather, num_parallel_calls=MAP_CALLS, deterministic=True).prefetch(PREFETCH_BATCHES)
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.with_options(options)


def _share(batch_size: int, processes: int, index: int):
    """Keeps full batches only, and of each this process's contiguous share."""
    share = batch_size // processes

    def full(x, y):
        return tf.equal(tf.shape(tf.nest.flatten(y)[0])[0], batch_size)

    def mine(x, y):
        return tf.nest.map_structure(lambda t: t[index * share:(index + 1) * share], (x, y))

    return full, mine


def sharded(data: TrainingData, n: int, batch_size: int, processes: int = 1, index: int = 0) -> TrainingData:
    """The epoch's full batches only, and of each the share of process ``index`` of ``processes``.

    For keras.distribution.DataParallel: every device must get an equal slice
    of each batch, and every process must run the same number of steps (a
    process with one step more waits forever in its collective). So the last,
    short batch is dropped (its samples come back in other epochs' batches,
    as the order reshuffles), and each process feeds Keras its share of each
    global batch, which Keras puts together again
    (``jax.make_array_from_process_local_data``).
    """
    steps = n // batch_size
    full, mine = _share(batch_size, processes, index)
    ds = data.dataset.filter(full).map(mine).apply(tf.data.experimental.assert_cardinality(steps))
    return TrainingData(ds.prefetch(PREFETCH_BATCHES), steps, data.epoch)


def sharded_evaluation(ds: tf.data.Dataset, batch_size: int, processes: int = 1, index: int = 0) -> tf.data.Dataset:
    """Validation batches as :func:`sharded` gives training ones (full batches only, this process's share)."""
    full, mine = _share(batch_size, processes, index)
    return ds.filter(full).map(mine).prefetch(PREFETCH_BATCHES)
