"""The report's pictures read well: nothing clipped, numbers legible, the best and last epochs marked."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import REPO
from dltrain import runs
from dltrain.report.plots import MAX_ANNOTATED_CLASSES, confusion_figure, curves_figure
from dltrain.report.writer import _epoch_marks, write_run_report

HISTORY = {"epoch": [0.0, 1.0, 2.0, 3.0], "loss": [1.0, 0.6, 0.5, 0.55], "val_loss": [1.1, 0.7, 0.6, 0.65],
           "accuracy": [0.5, 0.7, 0.8, 0.8], "val_accuracy": [0.4, 0.6, 0.7, 0.7],
           "learning_rate": [0.01] * 4}


def predictions(n: int, samples: int = 600):
    rng = np.random.default_rng(0)
    y = rng.integers(0, n, samples)
    return y, np.where(rng.random(samples) < 0.8, y, rng.integers(0, n, samples))


def inside_figure(fig, artist) -> bool:
    box, frame = artist.get_window_extent(), fig.bbox
    return box.x0 >= frame.x0 - 1 and box.y0 >= frame.y0 - 1 and box.x1 <= frame.x1 + 1 and box.y1 <= frame.y1 + 1


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize("n", [3, MAX_ANNOTATED_CLASSES])
def test_confusion_titles_and_names_fit_and_every_cell_has_a_legible_number(n):
    names = [f"a long class name {i}" for i in range(n)]
    fig = confusion_figure(*predictions(n), names)
    fig.canvas.draw()
    counts, normalized = fig.axes
    for ax in (counts, normalized):
        assert inside_figure(fig, ax.title), ax.get_title()
        assert all(inside_figure(fig, label) for label in ax.get_xticklabels() + ax.get_yticklabels())
        cells = ax.texts
        assert len(cells) == n * n and min(t.get_fontsize() for t in cells) >= 8
    assert counts.get_title() == "counts" and normalized.get_title() == "normalized by true class"


def test_past_the_documented_size_the_matrix_is_a_normalized_heat_map_without_numbers(tmp_path):
    n = MAX_ANNOTATED_CLASSES + 1
    fig = confusion_figure(*predictions(n), [str(i) for i in range(n)])
    fig.canvas.draw()
    (matrix, colour_bar) = fig.axes
    assert len(matrix.texts) == 0 and matrix.get_title().startswith("normalized by true class")
    assert inside_figure(fig, matrix.title)
    assert np.allclose(matrix.images[0].get_array().sum(axis=1), 1.0)  # each true class's row sums to 1
    assert colour_bar.get_ylabel() == "fraction of the true class"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"more than {MAX_ANNOTATED_CLASSES} classes" in readme  # the threshold is documented


def test_curves_mark_the_best_and_the_early_stopping_epoch_and_the_lr_legend_has_no_run_id():
    fig = curves_figure({"20261125-184804-digits_mlp": HISTORY}, title="20261125-184804-digits_mlp",
                        best=(3, "val_accuracy"), stopped_at=4)
    accuracy, loss, learning_rate = fig.axes
    for ax in (accuracy, loss, learning_rate):
        marks = {tuple(line.get_xdata()) for line in ax.lines if line.get_linestyle() in (":", "-.")}
        assert marks == {(3, 3), (4, 4)}
    labels = accuracy.get_legend_handles_labels()[1]
    assert "best val_accuracy: epoch 3" in labels and "early stopping: epoch 4" in labels
    assert learning_rate.get_legend() is None
    assert all("20261125" not in t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts)


def test_compared_runs_keep_their_names_in_the_learning_rate_legend():
    fig = curves_figure({"run-a": HISTORY, "run-b": HISTORY})
    assert [t.get_text() for t in fig.axes[-1].get_legend().texts] == ["run-a", "run-b"]


def test_the_marks_come_from_the_run_directory(tmp_path):
    run_dir = tmp_path / "20261125-184804-digits_mlp"
    run_dir.mkdir()
    (run_dir / runs.RUN).write_text(json.dumps({"status": "completed", "stopped_early": True}))
    (run_dir / runs.METRICS).write_text(json.dumps({"best": {"monitor": "val_loss", "value": 0.6, "epoch": 3}}))
    assert _epoch_marks(run_dir, HISTORY) == {"best": (3, "val_loss"), "stopped_at": 4}
    (run_dir / runs.RUN).write_text(json.dumps({"status": "completed", "stopped_early": False}))
    assert _epoch_marks(run_dir, HISTORY) == {"best": (3, "val_loss"), "stopped_at": None}
    for epoch, row in enumerate(zip(*[HISTORY[k] for k in HISTORY if k != "epoch"])):
        runs.HistoryFile(run_dir / runs.HISTORY).append(epoch, dict(zip([k for k in HISTORY if k != "epoch"], row)))
    assert run_dir / runs.CURVES in write_run_report(run_dir)
