"""``training.class_weight``: Keras's ``class_weight`` from the config, checked before a run exists."""

from __future__ import annotations

import numpy as np

from dltrain.config import Config
from dltrain.data.bundle import DataBundle


def balanced_weights(labels: np.ndarray, num_classes: int) -> dict[int, float]:
    """n_samples / (n_classes × count) per class, as scikit-learn's "balanced" (absent classes weigh 1)."""
    counts = np.bincount(np.asarray(labels, np.int64).reshape(-1), minlength=num_classes)
    n = counts.sum()
    return {k: float(n / (num_classes * c)) if c else 1.0 for k, c in enumerate(counts)}


def class_weights(config: Config, data: DataBundle) -> dict[int, float] | None:
    """The weight of each class index for Keras's ``fit(class_weight=...)``, or None.

    Raises:
        UserError: class weights for a regression, or a label the data does not have.
    """
    wanted = config.training.class_weight
    if wanted is None:
        return None
    if data.task == "regression":
        raise config.error("class weights need classes, and this is a regression; remove class_weight",
                           "training", "class_weight")
    if wanted == "balanced":
        return balanced_weights(data.train_labels, data.num_classes)
    position = {name: i for i, name in enumerate(data.class_names)}
    unknown = [label for label in wanted if label not in position]
    if unknown:
        raise config.error(f"no class {unknown[0]!r} in the data; its labels are: {', '.join(data.class_names[:20])}",
                           "training", "class_weight", unknown[0])
    weights = {i: 1.0 for i in range(data.num_classes)}
    weights.update({position[label]: float(weight) for label, weight in wanted.items()})
    return weights
