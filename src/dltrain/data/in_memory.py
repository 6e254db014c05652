"""The in-memory data kind: built-in datasets, ``.npz``, IDX folders and numeric CSV tables as arrays."""

from __future__ import annotations

import numpy as np

from dltrain.config import Config
from dltrain.data.bundle import DataBundle
from dltrain.data.pipeline import evaluation_dataset, training_dataset
from dltrain.data.prepare import Prepared, prepare
from dltrain.data.preprocessing import preprocessing_model
from dltrain.data.sources import load_arrays, synthetic_arrays
from dltrain.tf_quiet import keras

SMOKE_BATCHES = 2  # training and validation batches a smoke run takes


def smoke_arrays(config: Config, smoke: bool, synthetic: bool):
    """The dataset; for a smoke run a slice of it (or generated data of its shape)."""
    batch = config.training.batch_size
    # Enough samples for the validation split to hold a couple of batches too.
    n_train, n_test = 4 * SMOKE_BATCHES * batch, SMOKE_BATCHES * batch
    if synthetic:
        return synthetic_arrays(config, n_train, n_test)
    arrays = load_arrays(config, download=not smoke)  # a smoke run never waits on a download
    return arrays.head(n_train, n_test) if smoke else arrays


def _integer_labels(y: np.ndarray, encoding: str) -> np.ndarray:
    """The training labels as class indices (float targets for a regression)."""
    if encoding == "onehot":
        return y.argmax(axis=-1)
    return np.asarray(y).reshape(-1)


def array_bundle(prepared: Prepared, config: Config, seed: int) -> DataBundle:
    """Arrays behind ``tf.data`` pipelines that gather batches by index (no copy of the data)."""
    preprocessing = preprocessing_model(prepared)
    batch = config.training.batch_size
    train = training_dataset(prepared.x_train, prepared.y_train, batch, seed, config.data.shuffle, preprocessing)
    validation = None
    if prepared.x_val is not None:
        validation = evaluation_dataset(prepared.x_val, prepared.y_val, batch, preprocessing)
    raw_shape = prepared.raw_shape
    return DataBundle(
        kind="arrays",
        task=prepared.task,
        class_names=list(prepared.class_names or [str(i) for i in range(prepared.num_classes)]),
        label_encoding=prepared.label_encoding,
        input_shape=prepared.input_shape,
        raw_inputs=lambda: keras.Input(shape=raw_shape, name="raw_input"),
        preprocessing=preprocessing,
        train=train,
        validation=validation,
        test=evaluation_dataset(prepared.x_test, prepared.y_test, batch),
        n_train=len(prepared.x_train),
        n_val=0 if prepared.x_val is None else len(prepared.x_val),
        n_test=len(prepared.x_test),
        train_labels=_integer_labels(prepared.y_train, prepared.label_encoding),
        y_test=prepared.y_test,
        target_scale=prepared.target_scale,
        extras={"prepared": prepared},
    )


def in_memory_bundle(config: Config, seed: int, smoke: bool = False, synthetic: bool = False) -> DataBundle:
    """Loads, splits and prepares an in-memory dataset."""
    return array_bundle(prepare(smoke_arrays(config, smoke, synthetic), config), config, seed)
