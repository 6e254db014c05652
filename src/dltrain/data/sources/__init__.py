"""Dataset sources: each returns raw arrays (:class:`Arrays`), no TensorFlow.

One module per format (``npz``, ``idx``, ``table`` for CSV, ``cifar``), the
built-in datasets (``builtin``), the checks any content passes (``arrays``)
and the size limits (``limits``). This module picks the reader a config asks for.
"""

from __future__ import annotations

import numpy as np

from dltrain.config import Config, data_path
from dltrain.data.sources.arrays import Arrays, class_indices
from dltrain.data.sources.builtin import (
    BUILTIN_SPECS, CIFAR10_CLASSES, FASHION_MNIST_CLASSES, FASHION_MNIST_FILES, SYSTEM_DIRS, TEST_SPLIT_SEED, Spec,
    held_out_split, candidate_places, load_builtin, load_digits, load_sklearn_table, synthetic_arrays,
)
from dltrain.data.sources.cifar import read_cifar10, read_cifar100
from dltrain.data.sources.idx import read_idx, read_idx_dir
from dltrain.data.sources.limits import MAX_ARRAY_BYTES, MAX_CLASSES, MAX_CSV_BYTES, MAX_CSV_FIELD
from dltrain.data.sources.npz import read_npz
from dltrain.data.sources.table import read_csv
from dltrain.errors import UserError

__all__ = [
    "BUILTIN_SPECS", "CIFAR10_CLASSES", "FASHION_MNIST_CLASSES", "FASHION_MNIST_FILES", "MAX_ARRAY_BYTES",
    "MAX_CLASSES", "MAX_CSV_BYTES", "MAX_CSV_FIELD", "SYSTEM_DIRS", "TEST_SPLIT_SEED", "Arrays", "Spec",
    "candidate_places", "load_arrays", "load_builtin", "load_csv", "load_digits", "load_sklearn_table", "load_test_arrays", "read_cifar10",
    "read_cifar100", "read_csv", "read_idx", "read_idx_dir", "read_npz", "sample_spec", "synthetic_arrays",
]


def load_csv(config: Config) -> Arrays:
    """A CSV table; a separate test table, or a fixed split of `test_split`."""
    path = data_path(config, config.data.path)
    x, y = read_csv(path, config.data.label_column)
    if config.data.test_path:
        x_test, y_test = read_csv(data_path(config, config.data.test_path), config.data.label_column)
        if x_test.shape[1] != x.shape[1]:
            raise UserError(
                f"test table has {x_test.shape[1]} features but the training table has {x.shape[1]}",
                file=str(data_path(config, config.data.test_path)),
            )
        x_train, y_train = x, y
    else:
        if len(y) < 4:
            raise UserError("too few rows to hold out a test set; add rows or set data.test_path", file=str(path))
        x_train, x_test, y_train, y_test = held_out_split(x, y, config.data.test_split)
    return Arrays(x_train, y_train, x_test, y_test, origin=str(path))


def load_arrays(config: Config, download: bool = True) -> Arrays:
    """Loads the config's dataset as raw arrays.

    Args:
        config: the validated config.
        download: allow Keras's download as the last resort for built-ins.

    Raises:
        UserError: the data cannot be found or read, or is inconsistent.
    """
    dataset = config.data.dataset
    if dataset == "digits":
        return load_digits(config)
    if dataset in ("iris", "wine", "breast_cancer", "diabetes"):
        return load_sklearn_table(config)
    if dataset == "npz":
        return read_npz(data_path(config, config.data.path))
    if dataset == "idx":
        return read_idx_dir(data_path(config, config.data.path))
    if dataset == "csv":
        return load_csv(config)
    return load_builtin(config, download=download)


def sample_spec(config: Config) -> tuple[tuple[int, ...], int, bool]:
    """(shape of one raw sample, number of classes, whether the labels look continuous).

    Built-in datasets are known without loading them (a regression's has 0
    classes); local files are read: their shape is only known from the file.
    """
    spec = BUILTIN_SPECS.get(config.data.dataset)
    if spec is not None:
        return spec.sample_shape, spec.num_classes, spec.num_classes == 0
    arrays = load_arrays(config, download=False)
    return tuple(arrays.x_train.shape[1:]), arrays.num_classes, arrays.continuous


def _relabel(y: np.ndarray, names: list[str], wanted: list[str], origin: str) -> np.ndarray:
    """Labels encoded by ``names`` re-encoded by the run's ``wanted`` class names."""
    if list(names) == list(wanted):
        return y
    position = {name: i for i, name in enumerate(wanted)}
    unknown = sorted({names[i] for i in np.unique(y)} - set(position))
    if unknown:
        raise UserError(f"the test labels {unknown[:5]} are not among the model's classes ({', '.join(wanted[:10])}); "
                        "the data is not the data the model was trained for", file=origin or None)
    return np.array([position[names[i]] for i in range(len(names))], np.int32)[y]


def load_test_arrays(config: Config, class_names: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The test split alone (raw features, integer labels in the run's class order).

    A CSV with ``data.test_path`` is read without its training table, so a
    trained model can be evaluated where the training data is gone.
    """
    if config.data.dataset == "csv" and config.data.test_path:
        path = data_path(config, config.data.test_path)
        x, y = read_csv(path, config.data.label_column)
        (_, y_int, names) = class_indices(y[:1], y, str(path))
        origin = str(path)
    else:
        arrays = load_arrays(config)
        x, y_int, names, origin = arrays.x_test, arrays.y_test, arrays.class_names, arrays.origin
    return x, (_relabel(y_int, names, class_names, origin) if class_names else y_int)
