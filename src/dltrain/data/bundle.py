"""What training needs from the data, whatever its kind: a :class:`DataBundle`.

Each data kind (in-memory arrays, image folders, text folders, tables of
mixed columns) builds one. Training, evaluation and the saved models see only
this interface:

- ``train``: one epoch of *preprocessed* ``(x, y)`` batches, reshuffled per
  epoch (:meth:`TrainingData.set_epoch`); ``validation``: preprocessed
  batches in order. Preprocessing runs in the ``tf.data`` pipeline during
  training, as Keras's preprocessing guide recommends for speed;
- ``preprocessing``: the Keras model that turns a raw batch into what the
  model's first layer takes (adapted on the training split only), or None;
- ``raw_inputs()``: fresh ``keras.Input`` (or a dict of them, for tables)
  for raw samples; the saved models are ``raw inputs → preprocessing →
  the trained layers``, so they take raw data;
- ``test``: *raw* ``(x, y)`` batches, scored through the saved model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

TASKS = ("classification", "regression")


@dataclass
class DataBundle:
    """The splits of a dataset as ``tf.data`` pipelines, and what the model builder needs to know of them.

    Attributes:
        kind: the data kind ("arrays", "image_folder", "text_folder", "table").
        task: "classification" or "regression".
        class_names: the class names in output order ([] for regression).
        label_encoding: "sparse", "onehot", "binary" (one sigmoid unit) or
            "regression" (float targets).
        input_shape: one preprocessed sample's shape (what the first layer of
            the config's model receives).
        raw_inputs: builds fresh ``keras.Input`` objects for raw samples.
        preprocessing: raw batch → model input, or None.
        train: one epoch of preprocessed batches (a :class:`TrainingData`).
        validation: preprocessed batches, or None without validation data.
        test: raw batches of ``(x, y)`` for the saved model.
        n_train, n_val, n_test: samples in each split.
        train_labels: the training split's labels as the data has them
            (integer class indices, or float targets), for class weights.
        y_test: the test labels, encoded as the loss wants them, in ``test``'s order.
        target_scale: for regression with a scaled target, ``(mean, std)``:
            the saved model multiplies back, so it predicts in the data's units.
        origin: where the data came from, for messages.
    """

    kind: str
    task: str
    class_names: list[str]
    label_encoding: str
    input_shape: tuple
    raw_inputs: Callable[[], Any]
    preprocessing: Any
    train: Any
    validation: Any
    test: Any
    n_train: int
    n_val: int
    n_test: int
    train_labels: np.ndarray
    y_test: np.ndarray
    target_scale: tuple[float, float] | None = None
    origin: str = ""
    extras: dict = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        """Classes (0 for regression)."""
        return len(self.class_names)

    @property
    def has_validation(self) -> bool:
        """Whether validation metrics will be logged."""
        return self.validation is not None
