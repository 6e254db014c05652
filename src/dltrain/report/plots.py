"""The pictures of a run: learning curves and the confusion matrix (matplotlib, PNG files)."""

from __future__ import annotations

from pathlib import Path

# Columns of history.csv that are not a loss or a metric to plot against its validation twin.
_NOT_METRICS = {"epoch", "learning_rate", "epoch_seconds"}
# Beyond this many classes the confusion matrix's cells are too small to print numbers in.
_MAX_ANNOTATED_CLASSES = 20


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on servers and CI
    import matplotlib.pyplot as plt

    return plt


def _metric_names(history: dict[str, list[float]]) -> list[str]:
    return [k for k in history if not k.startswith("val_") and k not in _NOT_METRICS]


def _epochs(history: dict[str, list[float]]) -> list[int]:
    # history.csv counts epochs from 0; people count them from 1.
    return [int(e) + 1 for e in history.get("epoch", range(len(history.get("loss", []))))]


def _plot_panel(ax, name: str, histories: dict[str, dict[str, list[float]]], colors: list[str]) -> None:
    for i, (label, history) in enumerate(histories.items()):
        epochs = _epochs(history)
        color = colors[i % len(colors)]
        prefix = f"{label} " if len(histories) > 1 else ""
        if name in history:
            train_label = label if name == "learning_rate" else f"{prefix}train"
            ax.plot(epochs, history[name], color=color, marker="o", ms=3, label=train_label)
        if f"val_{name}" in history:
            ax.plot(epochs, history[f"val_{name}"], color=color, ls="--", marker="o", ms=3,
                    label=f"{prefix}validation")
    ax.set_title(name.replace("_", " "))
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    if name == "learning_rate":
        ax.set_yscale("log")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)


def plot_curves(histories: dict[str, dict[str, list[float]]], path: Path, title: str = "") -> None:
    """Learning curves: one panel per loss/metric (train solid, validation dashed), and the learning rate.

    Args:
        histories: label → history columns (as :func:`dltrain.runs.read_history`
            returns them); several labels overlay runs (``runs compare``).
        path: the PNG to write.
        title: written above the panels.
    """
    plt = _pyplot()
    names: list[str] = []
    for history in histories.values():
        names += [n for n in _metric_names(history) if n not in names]
    panels = names + ["learning_rate"]
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, name in zip(axes.flat, panels):
        _plot_panel(ax, name, histories, colors)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_confusion(y_true, y_pred, class_names: list[str], path: Path) -> None:
    """The confusion matrix, counts and row-normalized side by side, with class names.

    Args:
        y_true: the true class indices.
        y_pred: the predicted class indices.
        class_names: one name per class index.
        path: the PNG to write.
    """
    import numpy as np
    from sklearn.metrics import confusion_matrix

    plt = _pyplot()
    labels = list(range(len(class_names)))
    counts = confusion_matrix(y_true, y_pred, labels=labels)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalized = np.nan_to_num(counts / counts.sum(axis=1, keepdims=True))
    size = max(5.0, 0.45 * len(labels) + 2.5)
    fig, axes = plt.subplots(1, 2, figsize=(2 * size, size))
    for ax, matrix, title, fmt in ((axes[0], counts, "counts", "d"),
                                   (axes[1], normalized, "normalized by true class", ".2f")):
        ax.imshow(matrix, cmap="Blues")
        ax.set_title(title)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_xticks(labels, class_names, rotation=90 if len(labels) > 4 else 0, fontsize=8)
        ax.set_yticks(labels, class_names, fontsize=8)
        if len(labels) <= _MAX_ANNOTATED_CLASSES:
            _annotate(ax, matrix, fmt)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _annotate(ax, matrix, fmt: str) -> None:
    import numpy as np

    peak = matrix.max() or 1
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, format(value, fmt), ha="center", va="center", fontsize=7,
                color="white" if value > peak / 2 else "black")
