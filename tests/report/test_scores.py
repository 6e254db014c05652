"""Per-class scores and confusion counts in NumPy: exactly scikit-learn's classification report and matrix."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dltrain.report.scores import confusion_counts, per_class_scores

sk = pytest.importorskip("sklearn.metrics")

CASES = [  # (classes, samples, how often the prediction is right): absent classes, never-predicted ones, one class
    (3, 50, 0.7), (10, 450, 0.9), (5, 7, 0.0), (4, 200, 1.0), (2, 1, 1.0), (20, 30, 0.2), (1, 5, 1.0),
]


def _predictions(classes: int, samples: int, right: float, seed: int):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, max(1, classes - 1), samples)  # the last class never occurs in the test set
    y_pred = np.where(rng.random(samples) < right, y_true, rng.integers(0, classes, samples))
    return y_true, y_pred


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("classes,samples,right", CASES)
def test_the_report_is_scikit_learns(classes, samples, right, seed):
    y_true, y_pred = _predictions(classes, samples, right, seed)
    names = [f"class {i}" for i in range(classes)]
    ours = per_class_scores(y_true, y_pred, names)
    theirs = sk.classification_report(y_true, y_pred, labels=list(range(classes)), target_names=names,
                                      output_dict=True, zero_division=0)
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        if isinstance(value, dict):
            assert ours[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key
        else:
            assert ours[key] == pytest.approx(value, rel=1e-12), key
    assert json.loads(json.dumps(ours)) == ours  # plain floats: what per_class.json holds


@pytest.mark.parametrize("classes,samples,right", CASES)
def test_the_confusion_counts_are_scikit_learns(classes, samples, right):
    y_true, y_pred = _predictions(classes, samples, right, 0)
    expected = sk.confusion_matrix(y_true, y_pred, labels=list(range(classes)))
    np.testing.assert_array_equal(confusion_counts(y_true, y_pred, classes), expected)
