"""From raw arrays to what training needs: splits, encoded labels, and the preprocessing.

NumPy only. The features stay raw, in their own type (8-bit images stay
uint8, in their own shape): the scaling statistics and the reshape the model
needs are computed here from the training split, and become Keras
preprocessing layers (:mod:`dltrain.data.preprocessing`) that the pipeline
applies per batch and the saved models carry. A float32 copy of the whole
set, which the seed scripts make and TensorFlow copies again, is never made:
Fashion-MNIST's training images take 47 MB instead of 188 MB twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dltrain.config import CNNModel, Config, MLPModel, SequentialModel
from dltrain.config.model_sections import FunctionalModel
from dltrain.data.sources import Arrays


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
    scaling: str = "none"
    offset: np.ndarray | float = 0.0
    divisor: np.ndarray | float = 1.0
    reshape_rule: str = "none"
    task: str = "classification"
    target_scale: tuple[float, float] | None = None

    @property
    def raw_shape(self) -> tuple[int, ...]:
        """Shape of one raw sample, as the data holds it and the saved model takes it."""
        return tuple(self.x_train.shape[1:])

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample as the model's first layer receives it (after the preprocessing)."""
        return _reshape(np.empty((1, *self.raw_shape), np.float32), self.reshape_rule).shape[1:]

    def scaled(self, x: np.ndarray) -> np.ndarray:
        """NumPy's version of the preprocessing the model carries (for tests and checks)."""
        x = x.astype(np.float32, copy=True)
        if self.scaling == "unit":
            x *= np.float32(1.0) / np.float32(self.divisor)
        elif self.scaling == "standard":
            x = (x - self.offset) / np.maximum(np.sqrt(np.square(self.divisor, dtype=np.float32)), 1e-7)
        return _reshape(x, self.reshape_rule)


def _validation_split(arrays: Arrays, y: np.ndarray, config: Config, seed: int):
    """Holds out a seeded random `fraction` of the training set (``y``: its labels or targets)."""
    n, fraction = len(y), config.data.validation_split
    n_val = int(round(n * fraction))
    if n_val == 0 or n_val == n:
        raise config.error(f"{fraction} of {n} training samples leaves an empty split; change the fraction",
                           "data", "validation_split")
    order = np.random.default_rng(seed).permutation(n)
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    return arrays.x_train[train], y[train], arrays.x_train[val], y[val]


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


# Keras preprocessing layers that keep the sample's rank (the Random* augmentation layers too).
SHAPE_NEUTRAL_LAYERS = {"Rescaling", "Normalization", "Resizing", "CenterCrop", "Dropout", "GaussianNoise",
                        "GaussianDropout", "AlphaDropout", "Activation", "BatchNormalization", "LayerNormalization"}


def _first_layer_needs(config: Config) -> str:
    """What the model's first layer wants: 'flat', 'channels2d', 'channels1d' or 'any'."""
    model = config.model
    if isinstance(model, MLPModel):
        return "flat"
    if isinstance(model, CNNModel):
        return "channels2d"
    assert isinstance(model, (SequentialModel, FunctionalModel))
    # Augmentation and preprocessing layers pass any shape through: what matters is the first
    # layer after them (RandomFlip before a Conv2D needs images with channels, like the Conv2D).
    shaped = [layer.name for layer in model.layers if layer.name not in SHAPE_NEUTRAL_LAYERS
              and not layer.name.startswith("Random")]
    first = shaped[0] if shaped else model.layers[0].name
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


def _encode(y: np.ndarray, encoding: str, num_classes: int, target_scale=None) -> np.ndarray:
    if encoding == "regression":
        y = y.astype(np.float32).reshape(-1, 1)
        return y if target_scale is None else (y - np.float32(target_scale[0])) / np.float32(target_scale[1])
    if encoding == "sparse":
        return y.astype(np.int32, copy=False)
    if encoding == "binary":
        return y.astype(np.float32).reshape(-1, 1)
    return np.eye(num_classes, dtype=np.float32)[y]


def encode_labels(y: np.ndarray, config: Config, num_classes: int) -> np.ndarray:
    """Integer labels encoded as the config's loss wants them (see :meth:`Config.label_encoding`)."""
    return _encode(y, config.label_encoding(num_classes), num_classes)


def resolve_task(arrays: Arrays, config: Config) -> str:
    """The task the config and the labels ask for; labels with fractions cannot be classes.

    Raises:
        UserError: a classification of labels with fractions, or a regression of labels that are names.
    """
    task = config.resolve_task(arrays.continuous)
    if task == "classification" and arrays.fractional:
        raise config.error("the labels have fractions, so they are not classes; set task: regression to "
                           "predict them as numbers", "task")
    if task == "regression" and arrays.targets_train is None:
        raise config.error("the labels are names, not numbers: a regression needs numeric targets; set "
                           "task: classification", "task")
    return task


def _target_scale(y_train: np.ndarray, config: Config) -> tuple[float, float] | None:
    if config.data.target_scale != "standard":
        return None
    std = float(y_train.std())
    return float(y_train.mean()), (std if std > 0 else 1.0)


def _labels(arrays: Arrays, config: Config, task: str) -> tuple[np.ndarray, np.ndarray, str, int]:
    """(training labels, test labels, encoding, classes): class indices, or float targets for a regression."""
    if task == "regression":
        return arrays.targets_train, arrays.targets_test, "regression", 0
    return arrays.y_train, arrays.y_test, config.label_encoding(arrays.num_classes), arrays.num_classes


def prepare(arrays: Arrays, config: Config) -> Prepared:
    """Splits a dataset, encodes its labels and computes the preprocessing the config asks for.

    Statistics for scaling come from the training split only. Labels are
    encoded to fit the loss (see :meth:`Config.label_encoding`); a
    regression's targets are float columns, scaled if ``data.target_scale`` says so.
    """
    seed = config.seed if config.seed is not None else 0
    task = resolve_task(arrays, config)
    y_train, y_test_raw, encoding, num_classes = _labels(arrays, config, task)
    x_train = arrays.x_train
    x_val = y_val = None
    if config.data.validation_data == "test":
        x_val, y_val = arrays.x_test, y_test_raw
    elif config.data.validation_split:
        x_train, y_train, x_val, y_val = _validation_split(arrays, y_train, config, seed)

    offset, divisor = _scale_factors(x_train, config.data.scale)
    x_test = arrays.x_test
    if config.data.validation_data == "test":
        x_val = x_test  # the same array: no second copy
    target_scale = _target_scale(y_train, config) if task == "regression" else None
    encode = lambda y, scaled=True: _encode(y, encoding, num_classes, target_scale if scaled else None)  # noqa: E731
    return Prepared(
        x_train=x_train,
        y_train=encode(y_train),
        x_val=x_val,
        y_val=None if y_val is None else encode(y_val),
        x_test=x_test,
        y_test=encode(y_test_raw, scaled=False),  # scored by the saved model, which predicts in the data's units
        num_classes=num_classes,
        class_names=list(arrays.class_names or []) if task == "classification" else [],
        label_encoding=encoding,
        scaling=config.data.scale,
        offset=offset,
        divisor=divisor,
        reshape_rule=_reshape_rule(config, x_train.shape[1:]),
        task=task,
        target_scale=target_scale,
    )
