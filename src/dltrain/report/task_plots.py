"""Pictures for a task beyond classes: a regression's predictions and residuals, a binary model's curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dltrain.report.plots import _pyplot, save_figure


def _pair(plt):
    """Two panels side by side, with fixed margins in inches.

    Their labels are fixed words and numbers, so no layout engine is needed
    to measure them (measuring took a quarter of drawing the figure).
    """
    width, height = 11.0, 4.6
    fig, axes = plt.subplots(1, 2, figsize=(width, height))
    fig.subplots_adjust(left=0.75 / width, right=1 - 0.2 / width, bottom=0.6 / height, top=1 - 0.4 / height,
                        wspace=0.22)
    return fig, axes


def plot_regression(y_true: np.ndarray, y_pred: np.ndarray, path: Path) -> None:
    """Predicted against true values (the diagonal is perfect), and the residuals against the predictions."""
    plt = _pyplot()
    y_true, y_pred = np.asarray(y_true, float).reshape(-1), np.asarray(y_pred, float).reshape(-1)
    fig, (left, right) = _pair(plt)
    low, high = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    left.scatter(y_true, y_pred, s=10, alpha=0.6)
    left.plot([low, high], [low, high], color="gray", ls="--", lw=1, label="perfect")
    left.set(xlabel="true value", ylabel="predicted value", title="predicted vs true (test set)")
    left.legend(loc="upper left")
    residuals = y_pred - y_true
    right.scatter(y_pred, residuals, s=10, alpha=0.6)
    right.axhline(0.0, color="gray", ls="--", lw=1)
    right.set(xlabel="predicted value", ylabel="residual (predicted - true)", title="residuals (test set)")
    save_figure(fig, path, dpi=110)


def plot_binary_curves(y_true: np.ndarray, scores: np.ndarray, positive: str, path: Path) -> dict[str, float]:
    """ROC and precision-recall curves of the positive class's scores; returns their areas."""
    from sklearn import metrics

    plt = _pyplot()
    y_true, scores = np.asarray(y_true).reshape(-1), np.asarray(scores, float).reshape(-1)
    fpr, tpr, _ = metrics.roc_curve(y_true, scores)
    precision, recall, _ = metrics.precision_recall_curve(y_true, scores)
    areas = {"roc_auc": float(metrics.auc(fpr, tpr)), "average_precision": float(metrics.average_precision_score(y_true, scores))}
    fig, (roc, pr) = _pair(plt)
    roc.plot(fpr, tpr, label=f"AUC {areas['roc_auc']:.3f}")
    roc.plot([0, 1], [0, 1], color="gray", ls="--", lw=1, label="chance")
    roc.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC curve (positive: {positive})")
    roc.legend(loc="lower right")
    pr.plot(recall, precision, label=f"average precision {areas['average_precision']:.3f}")
    pr.axhline(float(y_true.mean()), color="gray", ls="--", lw=1, label="chance")
    pr.set(xlabel="recall", ylabel="precision", title=f"precision-recall curve (positive: {positive})")
    pr.legend(loc="lower left")
    save_figure(fig, path, dpi=110)
    return areas
