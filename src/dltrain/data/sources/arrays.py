"""The dataset every reader returns (:class:`Arrays`), and the checks any content must pass.

Whatever a file holds, it becomes either arrays a model can train on or one
:class:`UserError` naming the file: numeric features of one shape in both
splits, at least one value per sample, one integer class label per sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dltrain.data.sources.limits import MAX_CLASSES
from dltrain.errors import UserError

# More distinct float label values than this, and `task: auto` takes the labels for a regression's targets.
CONTINUOUS_VALUES = 50
FEATURE_KINDS = "biuf"  # bool, signed, unsigned, float: what a model can take
LABEL_KINDS = "biufUS"  # numbers, or strings naming the classes


@dataclass
class Arrays:
    """A dataset as NumPy arrays, labels as integers 0..num_classes-1.

    Numeric labels are also kept as float targets (``targets_train``,
    ``targets_test``) for regression. Labels with fractions can only be
    regression targets: they get no class names, and ``fractional`` is True.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str] | None = None
    origin: str = ""
    num_classes: int = field(init=False)
    targets_train: np.ndarray | None = field(init=False, default=None)
    targets_test: np.ndarray | None = field(init=False, default=None)
    fractional: bool = field(init=False, default=False)
    continuous: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        where = self.origin or None
        for split in ("train", "test"):
            x, y = check_features(getattr(self, f"x_{split}"), f"x_{split}", where), getattr(self, f"y_{split}")
            y = labels_as_vector(y, f"y_{split}", where)
            if len(x) != len(y):
                raise UserError(f"x_{split} has {len(x)} samples but y_{split} has {len(y)}; the data file is inconsistent",
                                file=where)
            if len(x) == 0:
                raise UserError(f"the {split} set is empty; check the data file", file=where)
            setattr(self, f"y_{split}", y)
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            raise UserError(f"x_train's samples have shape {self.x_train.shape[1:]} but x_test's {self.x_test.shape[1:]}; "
                            "both splits need the same features", file=where)
        self._keep_targets(where)
        if self.fractional:
            self.class_names, self.num_classes = [], 0
        else:
            self._class_labels(where)
        for split in ("train", "test"):
            x = getattr(self, f"x_{split}")
            if x.dtype.kind == "f" and not np.isfinite(x).all():
                raise UserError(f"x_{split} contains NaN or infinite values; clean the data first", file=where)

    def _keep_targets(self, where: str | None) -> None:
        """Numeric labels as float targets too; labels with fractions are targets only."""
        if self.y_train.dtype.kind not in "biuf" or self.y_test.dtype.kind not in "biuf":
            return
        self.targets_train = self.y_train.astype(np.float32)
        self.targets_test = self.y_test.astype(np.float32)
        if not (np.isfinite(self.targets_train).all() and np.isfinite(self.targets_test).all()):
            raise UserError("labels contain NaN or infinite values", file=where)
        self.fractional = bool(np.any(self.targets_train != np.round(self.targets_train))
                               or np.any(self.targets_test != np.round(self.targets_test)))
        # Float labels of many values read as measurements, not classes (scikit-learn's diabetes
        # target is whole numbers stored as floats); `task:` overrides the guess.
        self.continuous = self.fractional or (
            self.y_train.dtype.kind == "f" and len(np.unique(self.targets_train)) > CONTINUOUS_VALUES)

    def _class_labels(self, where: str | None) -> None:
        self.y_train, self.y_test, names = class_indices(self.y_train, self.y_test, self.origin)
        if self.class_names is None:
            self.class_names = names
        self.num_classes = max(len(self.class_names), int(self.y_train.max()) + 1, int(self.y_test.max()) + 1)
        if self.num_classes < 2:
            raise UserError(f"the labels hold one class only ({self.class_names[0]!r}); a classifier needs two or more",
                            file=where)

    def head(self, n_train: int, n_test: int) -> Arrays:
        """The first samples of each split, keeping the full dataset's classes."""
        if self.fractional:
            return Arrays(self.x_train[:n_train], self.targets_train[:n_train], self.x_test[:n_test],
                          self.targets_test[:n_test], origin=self.origin)
        head = Arrays(self.x_train[:n_train], self.y_train[:n_train], self.x_test[:n_test], self.y_test[:n_test],
                      class_names=self.class_names, origin=self.origin)
        if self.targets_train is not None:  # integer-valued targets stay targets for a regression
            head.targets_train, head.targets_test = self.targets_train[:n_train], self.targets_test[:n_test]
        return head


def check_features(x, name: str, where: str | None) -> np.ndarray:
    """A feature array: numeric, one row per sample, at least one value in each.

    Raises:
        UserError: strings, complex numbers or objects, a 0-d or 1-d array, or a zero-width sample.
    """
    x = np.asarray(x) if not isinstance(x, np.ndarray) else x
    if x.dtype.kind not in FEATURE_KINDS:
        raise UserError(f"{name} holds {x.dtype} values; features must be real numbers (int, uint, float)", file=where)
    if x.ndim < 2:
        raise UserError(f"{name} has shape {x.shape}; features need one row per sample and at least one column, "
                        "e.g. (samples, features) or (samples, height, width)", file=where)
    if 0 in x.shape[1:]:
        raise UserError(f"{name} has shape {x.shape}: each sample holds no values; add features", file=where)
    return x


def labels_as_vector(y, name: str, where: str | None) -> np.ndarray:
    """Labels as one value per sample; one-hot rows become their class index.

    Raises:
        UserError: a 0-d array, labels of a kind that names no class, or rows that are not one-hot.
    """
    y = np.asarray(y) if not isinstance(y, np.ndarray) else y
    if y.dtype.kind not in LABEL_KINDS:
        raise UserError(f"{name} holds {y.dtype} values; labels must be integers or class names", file=where)
    if y.ndim == 0 or (y.ndim > 1 and y.shape[1:] != (1,) and y.ndim != 2):
        raise UserError(f"{name} has shape {y.shape}; labels need one value per sample, or one one-hot row", file=where)
    if y.ndim == 2 and y.shape[1] > 1:
        if y.dtype.kind not in "biuf" or not (np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all()):
            raise UserError(f"{name} has shape {y.shape} but its rows are not one-hot; give one class label per sample",
                            file=where)
        return y.argmax(axis=1)
    return y.reshape(-1)


def class_indices(y_train: np.ndarray, y_test: np.ndarray, origin: str):
    """Labels as int32 0..K-1; string or sparse labels are mapped, names kept."""
    where = origin or None
    y_train, y_test = np.asarray(y_train).reshape(-1), np.asarray(y_test).reshape(-1)
    if y_train.dtype.kind in "biu" and y_test.dtype.kind in "biu" and min(y_train.min(), y_test.min()) >= 0:
        k = int(max(y_train.max(), y_test.max())) + 1
        if k > MAX_CLASSES:
            raise UserError(f"a label is {k - 1}, so the model would need {k} outputs; labels must run 0..K-1 with "
                            f"K at most {MAX_CLASSES}: renumber the classes", file=where)
        return y_train.astype(np.int32, copy=False), y_test.astype(np.int32, copy=False), [str(i) for i in range(k)]
    if y_train.dtype.kind != y_test.dtype.kind and {y_train.dtype.kind, y_test.dtype.kind} & set("US"):
        raise UserError("train labels and test labels are of different kinds (names and numbers); use one kind",
                        file=where)
    if y_train.dtype.kind == "f" and not (np.isfinite(y_train).all() and np.isfinite(y_test).all()):
        raise UserError("labels contain NaN or infinite values", file=where)
    if y_train.dtype.kind == "f" and not (np.all(y_train == np.round(y_train)) and np.all(y_test == np.round(y_test))):
        raise UserError("labels are not class labels (they have fractions); dltrain trains classifiers", file=where)
    classes = np.unique(np.concatenate([y_train, y_test]))
    if len(classes) > MAX_CLASSES:
        raise UserError(f"the labels name {len(classes)} classes; at most {MAX_CLASSES} are supported", file=where)
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    encode = np.vectorize(lookup.__getitem__, otypes=[np.int32])
    return encode(y_train), encode(y_test), [_label_name(c) for c in classes.tolist()]


def _label_name(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
