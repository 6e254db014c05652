"""Per-class scores of a run's test predictions: scikit-learn's classification report, in NumPy.

The numbers and keys are ``sklearn.metrics.classification_report(...,
output_dict=True, zero_division=0)``'s (a test compares them). NumPy computes
them because importing scikit-learn (and SciPy with it) took 0.9 s of a
command's start-up here, and a run that reads no scikit-learn dataset needs
nothing else from it.
"""

from __future__ import annotations

import numpy as np

# The keys of a classification report that are averages, not classes.
AVERAGES = ("accuracy", "macro avg", "weighted avg")


def confusion_counts(y_true, y_pred, num_classes: int) -> np.ndarray:
    """counts[i, j]: the test samples of class i predicted as j (samples outside 0..num_classes-1 left out)."""
    true = np.asarray(y_true).reshape(-1).astype(np.int64)
    pred = np.asarray(y_pred).reshape(-1).astype(np.int64)
    kept = (true >= 0) & (true < num_classes) & (pred >= 0) & (pred < num_classes)
    flat = true[kept] * num_classes + pred[kept]
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """top / bottom, 0 where bottom is 0 (scikit-learn's ``zero_division=0``)."""
    top, bottom = np.asarray(top, float), np.asarray(bottom, float)
    return np.divide(top, bottom, out=np.zeros_like(top), where=bottom > 0)


def per_class_scores(y_true, y_pred, class_names: list[str]) -> dict:
    """Precision, recall, F1 and support per class, and their averages.

    Args:
        y_true: the true class indices.
        y_pred: the predicted class indices.
        class_names: one name per class index; every class gets a row, even
            one absent from the test set.

    Returns:
        ``{class name: {"precision", "recall", "f1-score", "support"}}``, plus
        ``accuracy``, ``macro avg`` and ``weighted avg``.
    """
    counts = confusion_counts(y_true, y_pred, len(class_names))
    hits, support, predicted = np.diag(counts).astype(float), counts.sum(axis=1), counts.sum(axis=0)
    columns = {"precision": _ratio(hits, predicted), "recall": _ratio(hits, support),
               "f1-score": _ratio(2 * hits, support + predicted)}  # 2tp / (2tp + fp + fn)
    total = float(support.sum())
    report: dict = {name: {**{k: float(v[i]) for k, v in columns.items()}, "support": float(support[i])}
                    for i, name in enumerate(class_names)}
    report["accuracy"] = float(_ratio(hits.sum(), total))
    report["macro avg"] = {**{k: float(v.mean()) if len(v) else 0.0 for k, v in columns.items()}, "support": total}
    report["weighted avg"] = {**{k: float(_ratio((v * support).sum(), total)) for k, v in columns.items()},
                              "support": total}
    return report


def class_rows(per_class: dict) -> dict[str, dict]:
    """The per-class entries of :func:`per_class_scores`, without the averages."""
    return {name: s for name, s in per_class.items() if name not in AVERAGES and isinstance(s, dict)}
