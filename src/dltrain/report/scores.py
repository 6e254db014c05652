"""Per-class scores of a run's test predictions (scikit-learn's classification report)."""

from __future__ import annotations

# The keys of a classification report that are averages, not classes.
AVERAGES = ("accuracy", "macro avg", "weighted avg")


def per_class_scores(y_true, y_pred, class_names: list[str]) -> dict:
    """Precision, recall, F1 and support per class, and their averages (scikit-learn).

    Args:
        y_true: the true class indices.
        y_pred: the predicted class indices.
        class_names: one name per class index; every class gets a row, even
            one absent from the test set.

    Returns:
        ``{class name: {"precision", "recall", "f1-score", "support"}}``, plus
        ``accuracy``, ``macro avg`` and ``weighted avg``.
    """
    from sklearn.metrics import classification_report

    return classification_report(y_true, y_pred, labels=list(range(len(class_names))), target_names=class_names,
                                 output_dict=True, zero_division=0)


def class_rows(per_class: dict) -> dict[str, dict]:
    """The per-class entries of :func:`per_class_scores`, without the averages."""
    return {name: s for name, s in per_class.items() if name not in AVERAGES and isinstance(s, dict)}
