"""Keras's CIFAR folders: pickled batches of uint8 images and integer labels.

A pickle can construct anything, so batches are unpickled from memory by an
unpickler that builds NumPy arrays of numbers only, each within
:data:`MAX_ARRAY_BYTES`; then the batch must hold exactly the expected arrays.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from dltrain.data.sources.arrays import Arrays
from dltrain.data.sources.limits import MAX_ARRAY_BYTES
from dltrain.errors import UserError

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
PIXELS = 32 * 32 * 3


def _reconstruct(subtype, shape, dtype):
    """NumPy's own ``_reconstruct``, refusing shapes over the limit before they are allocated."""
    from numpy._core.multiarray import _reconstruct as numpy_reconstruct

    if subtype is not np.ndarray or int(np.prod(shape, dtype=object)) > MAX_ARRAY_BYTES:
        raise pickle.UnpicklingError(f"refusing an array of shape {shape}")
    return numpy_reconstruct(subtype, shape, dtype)


def _dtype(*args):
    dtype = np.dtype(*args)
    if dtype.hasobject or dtype.kind not in "biuf":
        raise pickle.UnpicklingError(f"refusing an array of {dtype}")
    return dtype


class _ArraysOnly(pickle.Unpickler):
    """Unpickles CIFAR's batches but refuses anything beyond numeric NumPy arrays."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"): _reconstruct,
               ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
               ("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): _dtype}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return self.ALLOWED[(module, name)]


def _unpickle(path: Path) -> object:
    if path.stat().st_size > MAX_ARRAY_BYTES:
        raise UserError(f"the batch has {path.stat().st_size:,} bytes; the limit is {MAX_ARRAY_BYTES:,}",
                        file=str(path))
    # From memory: a pickle that announces more bytes than the file holds then fails at once.
    return _ArraysOnly(io.BytesIO(path.read_bytes()), encoding="bytes").load()


def _batch_arrays(batch: object, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels of an unpickled batch, or a ValueError saying what is wrong."""
    if not isinstance(batch, dict) or b"data" not in batch or label_key.encode() not in batch:
        raise ValueError(f"expected a dict with b'data' and b'{label_key}'")
    data, labels = batch[b"data"], np.asarray(batch[label_key.encode()])
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != PIXELS:
        got = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise ValueError(f"b'data' must be a uint8 array of shape (n, {PIXELS}), got {got}")
    if labels.dtype.kind not in "iu" or labels.shape != (len(data),):
        raise ValueError(f"b'{label_key}' must be {len(data)} integers, got {labels.dtype} {labels.shape}")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels.astype(np.int32)


def _cifar_batch(path: Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        return _batch_arrays(_unpickle(path), label_key)
    except UserError:
        raise
    except FileNotFoundError:
        raise UserError("missing CIFAR batch file; the folder is incomplete", file=str(path)) from None
    except MemoryError:
        raise UserError("not enough memory to read the batch", file=str(path)) from None
    except Exception as err:  # noqa: BLE001  (an unpickler raises whatever the bytes lead it to)
        raise UserError(f"cannot read CIFAR batch ({type(err).__name__}: {str(err)[:120]}); the file is corrupted",
                        file=str(path)) from None


def read_cifar10(directory: Path) -> Arrays:
    """Reads Keras's ``cifar-10-batches-py`` folder.

    Raises:
        UserError: a batch is missing, or holds anything but the expected arrays.
    """
    parts = [_cifar_batch(directory / f"data_batch_{i}", "labels") for i in range(1, 6)]
    x_test, y_test = _cifar_batch(directory / "test_batch", "labels")
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    return Arrays(x_train, y_train, x_test, y_test, class_names=CIFAR10_CLASSES, origin=str(directory))


def read_cifar100(directory: Path) -> Arrays:
    """Reads Keras's ``cifar-100-python`` folder (fine labels).

    Raises:
        UserError: a file is missing, or holds anything but the expected arrays.
    """
    x_train, y_train = _cifar_batch(directory / "train", "fine_labels")
    x_test, y_test = _cifar_batch(directory / "test", "fine_labels")
    return Arrays(x_train, y_train, x_test, y_test, origin=str(directory))
