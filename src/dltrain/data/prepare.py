"""From raw arrays to model-ready arrays: split, reshape, encode labels, and the scaling.

NumPy only. The features stay in their raw type (8-bit images stay uint8):
the scaling to float32 is computed here from the training set but applied per
batch by the pipeline. A float32 copy of the whole set, which the seed scripts
make and TensorFlow copies again, is never made: Fashion-MNIST's training
images take 47 MB instead of 188 MB twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dltrain.config import CNNModel, Config, MLPModel, SequentialModel
from dltrain.data.sources import Arrays
from dltrain.errors import UserError


@dataclass
class Prepared:
    """Arrays ready for Keras, and what the model builder needs to know of them."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    class_names: list[str]
    label_encoding: str
    offset: np.ndarray | float = 0.0
    divisor: np.ndarray | float = 1.0

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample."""
        return tuple(self.x_train.shape[1:])

    @property
    def scale(self) -> tuple[np.ndarray | float, np.ndarray | float]:
        """(offset, divisor): model input = (float32(x) - offset) / divisor."""
        return self.offset, self.divisor

    def scaled(self, x: np.ndarray) -> np.ndarray:
        """Features as the model sees them (what the pipeline computes per batch)."""
        return _to_float(x, self.offset, self.divisor)


def _validation_split(arrays: Arrays, fraction: float, seed: int):
    """Holds out a seeded random `fraction` of the training set."""
    n = len(arrays.y_train)
    n_val = int(round(n * fraction))
    if n_val == 0 or n_val == n:
        raise UserError(
            f"data.validation_split {fraction} of {n} training samples leaves an empty split; change the fraction"
        )
    order = np.random.default_rng(seed).permutation(n)
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    return arrays.x_train[train], arrays.y_train[train], arrays.x_train[val], arrays.y_train[val]


def _scale_factors(x_train: np.ndarray, how: str) -> tuple[np.ndarray | float, np.ndarray | float]:
    """(offset, divisor) computed on the training set only."""
    if how == "none":
        return np.float32(0.0), np.float32(1.0)
    if how == "unit":
        if x_train.dtype == np.uint8:
            return np.float32(0.0), np.float32(255.0)  # exactly what the seed scripts divide by
        peak = float(np.abs(x_train).max())
        return np.float32(0.0), np.float32(peak if peak > 0 else 1.0)
    tabular = x_train.ndim == 2
    axis = 0 if tabular else None  # per feature for tables, over all pixels for images
    mean = x_train.mean(axis=axis, dtype=np.float64)
    std = x_train.std(axis=axis, dtype=np.float64)
    std = np.where(std > 0, std, 1.0) if tabular else (std if std > 0 else 1.0)
    return np.asarray(mean, np.float32), np.asarray(std, np.float32)


def _to_float(x: np.ndarray, offset, divisor) -> np.ndarray:
    x = x.astype(np.float32, copy=True)  # the same float32 operations as the pipeline's
    if np.any(offset != 0):
        x -= offset
    if np.any(divisor != 1):
        x /= divisor
    return x


def _first_layer_needs(config: Config) -> str:
    """What the model's first layer wants: 'flat', 'channels2d', 'channels1d' or 'any'."""
    model = config.model
    if isinstance(model, MLPModel):
        return "flat"
    if isinstance(model, CNNModel):
        return "channels2d"
    assert isinstance(model, SequentialModel)
    first = model.layers[0].name
    if first == "Dense":
        return "flat"
    if first.endswith("2D"):
        return "channels2d"
    if first.endswith("1D"):
        return "channels1d"
    return "any"


def _reshape_rule(config: Config, sample_shape: tuple[int, ...]) -> str:
    how = config.data.reshape
    if how != "auto":
        return how
    needs = _first_layer_needs(config)
    if needs == "flat" and len(sample_shape) > 1:
        return "flatten"
    if needs == "channels2d" and len(sample_shape) == 2:
        return "channels"
    if needs == "channels1d" and len(sample_shape) == 1:
        return "channels"
    return "none"


def model_input_shape(config: Config, sample_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape the model receives for raw samples of ``sample_shape``."""
    return _reshape(np.empty((1, *sample_shape), np.float32), _reshape_rule(config, sample_shape)).shape[1:]


def _reshape(x: np.ndarray, rule: str) -> np.ndarray:
    if rule == "flatten":
        return x.reshape(len(x), -1)
    if rule == "channels":
        return x[..., np.newaxis]
    return x


def _encode(y: np.ndarray, encoding: str, num_classes: int) -> np.ndarray:
    if encoding == "sparse":
        return y.astype(np.int32, copy=False)
    if encoding == "binary":
        return y.astype(np.float32).reshape(-1, 1)
    return np.eye(num_classes, dtype=np.float32)[y]


def prepare(arrays: Arrays, config: Config) -> Prepared:
    """Splits, scales, reshapes and encodes a dataset as the config says.

    Statistics for scaling come from the training split only. Labels are
    encoded to fit the loss (see :meth:`Config.label_encoding`).
    """
    seed = config.seed if config.seed is not None else 0
    x_train, y_train = arrays.x_train, arrays.y_train
    x_val = y_val = None
    if config.data.validation_data == "test":
        x_val, y_val = arrays.x_test, arrays.y_test
    elif config.data.validation_split:
        x_train, y_train, x_val, y_val = _validation_split(arrays, config.data.validation_split, seed)

    offset, divisor = _scale_factors(x_train, config.data.scale)
    rule = _reshape_rule(config, x_train.shape[1:])
    x_test = _reshape(arrays.x_test, rule)
    x_train = _reshape(x_train, rule)
    if config.data.validation_data == "test":
        x_val = x_test  # the same array: no second copy
    elif x_val is not None:
        x_val = _reshape(x_val, rule)

    encoding = config.label_encoding(arrays.num_classes)
    encode = lambda y: _encode(y, encoding, arrays.num_classes)  # noqa: E731
    y_test = encode(arrays.y_test)
    return Prepared(
        x_train=x_train,
        y_train=encode(y_train),
        x_val=x_val,
        y_val=y_test if config.data.validation_data == "test" else (None if y_val is None else encode(y_val)),
        x_test=x_test,
        y_test=y_test,
        num_classes=arrays.num_classes,
        class_names=list(arrays.class_names or []),
        label_encoding=encoding,
        offset=offset,
        divisor=divisor,
    )
