"""The pictures of a run: learning curves and the confusion matrix (matplotlib, PNG files)."""

from __future__ import annotations

import math
from pathlib import Path

# Columns of history.csv that are not a loss or a metric to plot against its validation twin.
_NOT_METRICS = {"epoch", "learning_rate", "epoch_seconds"}
# Up to this many classes the confusion matrix shows counts and normalized rates with the numbers
# in the cells; beyond it, one normalized heat map without numbers (the README documents it).
MAX_ANNOTATED_CLASSES = 20
_DPI = 100


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on servers and CI
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path, dpi: int = _DPI) -> None:
    """Writes a figure and closes it.

    The figure is laid out when made (fixed margins, or ``layout="constrained"``
    where the labels are class names); ``bbox_inches="tight"`` would draw it twice.
    """
    plt = _pyplot()
    try:
        fig.savefig(path, dpi=dpi)
    finally:
        plt.close(fig)


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
            # One run's learning rate needs no legend (the panel's title says it); several are told apart by run.
            train_label = (label if len(histories) > 1 else None) if name == "learning_rate" else f"{prefix}train"
            ax.plot(epochs, history[name], color=color, marker="o", ms=3, label=train_label)
        if f"val_{name}" in history:
            ax.plot(epochs, history[f"val_{name}"], color=color, ls="--", marker="o", ms=3,
                    label=f"{prefix}validation")
    ax.set_title(name.replace("_", " "), y=1.0)  # a fixed place: placing it by the tick labels measured them all
    ax.set_xlabel("epoch")
    ax.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole numbers
    ax.grid(alpha=0.3)
    if name == "learning_rate":
        _plain_log_scale(ax)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)


def _plain_log_scale(ax) -> None:
    """A log y scale labelled in plain text ("1e-03"), not mathtext.

    The log scale's default labels are mathtext, whose parser takes about
    0.3 s to build on its first use in a process: a third of drawing a
    run's curves.
    """
    from matplotlib import ticker

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ticker.LogFormatter())
    ax.yaxis.set_minor_formatter(ticker.LogFormatter(labelOnlyBase=False))


def _mark_epochs(axes, best: tuple[int, str] | None, stopped_at: int | None) -> None:
    """The best epoch (what best.keras holds) and the epoch EarlyStopping ended the run at, on every panel."""
    for i, ax in enumerate(axes):
        first = i == 0  # said once, in the first panel's legend; the same lines cross every panel
        if best is not None:
            ax.axvline(best[0], color="tab:green", ls=":", lw=1.5,
                       label=f"best {best[1]}: epoch {best[0]}" if first else None)
        if stopped_at is not None:
            ax.axvline(stopped_at, color="tab:red", ls="-.", lw=1.2,
                       label=f"early stopping: epoch {stopped_at}" if first else None)
        if first and ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)


def plot_curves(histories: dict[str, dict[str, list[float]]], path: Path, title: str = "",
                best: tuple[int, str] | None = None, stopped_at: int | None = None) -> None:
    """Learning curves: one panel per loss/metric (train solid, validation dashed), and the learning rate.

    Args:
        histories: label → history columns (as :func:`dltrain.runs.read_history`
            returns them); several labels overlay runs (``runs compare``).
        path: the PNG to write.
        title: written above the panels.
        best: (epoch counted from 1, monitored metric) of the best checkpoint, marked on each panel.
        stopped_at: the epoch EarlyStopping ended the run at, marked on each panel.
    """
    save_figure(curves_figure(histories, title, best, stopped_at), path)


def curves_figure(histories: dict[str, dict[str, list[float]]], title: str = "",
                  best: tuple[int, str] | None = None, stopped_at: int | None = None):
    """The matplotlib figure :func:`plot_curves` writes (same arguments, no path)."""
    plt = _pyplot()
    names: list[str] = []
    for history in histories.values():
        names += [n for n in _metric_names(history) if n not in names]
    panels = names + ["learning_rate"]
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    width, height = 5 * cols, 3.6 * rows
    fig, axes = plt.subplots(rows, cols, figsize=(width, height), squeeze=False)
    # Fixed margins in inches: the labels here are numbers and short names, and a layout engine
    # measuring every text (constrained layout) doubled the time to draw the figure.
    fig.subplots_adjust(left=0.8 / width, right=1 - 0.2 / width, bottom=0.55 / height, top=1 - 0.65 / height,
                        wspace=0.25, hspace=0.45)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, name in zip(axes.flat, panels):
        _plot_panel(ax, name, histories, colors)
    _mark_epochs(list(axes.flat)[:len(panels)], best, stopped_at)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    return fig


def plot_confusion(y_true, y_pred, class_names: list[str], path: Path) -> None:
    """The confusion matrix with the class names.

    Up to :data:`MAX_ANNOTATED_CLASSES` classes: counts and row-normalized
    rates side by side, each cell's number printed at a size its cell holds.
    Beyond: one row-normalized heat map with a colour bar and no numbers,
    which would not fit in the cells.

    Args:
        y_true: the true class indices.
        y_pred: the predicted class indices.
        class_names: one name per class index.
        path: the PNG to write.
    """
    save_figure(confusion_figure(y_true, y_pred, class_names), path)


def confusion_figure(y_true, y_pred, class_names: list[str]):
    """The matplotlib figure :func:`plot_confusion` writes (same arguments, no path)."""
    import numpy as np

    from dltrain.report.scores import confusion_counts

    plt = _pyplot()
    labels = list(range(len(class_names)))
    counts = confusion_counts(y_true, y_pred, len(labels))
    with np.errstate(invalid="ignore", divide="ignore"):
        normalized = np.nan_to_num(counts / counts.sum(axis=1, keepdims=True))
    if len(labels) <= MAX_ANNOTATED_CLASSES:
        return _annotated_pair(plt, counts, normalized, class_names)
    return _heat_map(plt, normalized, class_names)


def _panel_inches(n: int) -> float:
    return max(4.5, 0.6 * n + 1.5)


def _cell_font(n: int, panel_inches: float) -> float:
    """Points for a cell's number: "0.00" fits the cell's width, never below 8 pt."""
    cell_points = 72 * (panel_inches - 1.0) / n
    return float(min(14, max(8, cell_points / 2.8)))


def _annotated_pair(plt, counts, normalized, class_names: list[str]):
    n = len(class_names)
    size = _panel_inches(n)
    fig, axes = plt.subplots(1, 2, figsize=(2 * size + 1, size + 0.8), layout="constrained")
    for ax, matrix, title, fmt in ((axes[0], counts, "counts", "d"),
                                   (axes[1], normalized, "normalized by true class", ".2f")):
        ax.imshow(matrix, cmap="Blues")
        _label_axes(ax, title, class_names, font=9)
        _annotate(ax, matrix, fmt, _cell_font(n, size))
    return fig


def _heat_map(plt, normalized, class_names: list[str]):
    n = len(class_names)
    size = min(16.0, max(7.0, 0.12 * n + 4))
    fig, ax = plt.subplots(figsize=(size + 1.5, size), layout="constrained")
    image = ax.imshow(normalized, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, shrink=0.8, label="fraction of the true class")
    fitting = 72 * (size - 1.5) / n * 0.8  # points a label may take beside its row
    step = max(1, math.ceil(5 / fitting))  # past ~200 classes, every step-th name at a legible 5 pt
    _label_axes(ax, f"normalized by true class ({n} classes)", class_names,
                font=min(8.0, max(5.0, fitting)), step=step)
    return fig


def _label_axes(ax, title: str, class_names: list[str], font: float, step: int = 1) -> None:
    ticks = list(range(0, len(class_names), step))
    names = [class_names[i] for i in ticks]
    ax.set_title(title, fontsize=11, pad=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_xticks(ticks, names, rotation=90 if len(class_names) > 4 else 0, fontsize=font)
    ax.set_yticks(ticks, names, fontsize=font)


def _annotate(ax, matrix, fmt: str, font: float) -> None:
    import numpy as np

    peak = matrix.max() or 1
    for (i, j), value in np.ndenumerate(matrix):
        # Zeros in light grey: the mistakes that did happen stand out.
        color = "white" if value > peak / 2 else ("#b0b0b0" if value == 0 else "black")
        # Out of the layout: a cell's number stays inside its cell, and measuring them all for the
        # constrained layout took half the time of drawing the figure.
        ax.text(j, i, format(value, fmt), ha="center", va="center", fontsize=font, color=color, in_layout=False)
