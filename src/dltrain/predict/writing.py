"""The predictions CSV: one row per input — its id, the predicted class or value, and the probabilities."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import numpy as np

from dltrain import runs


def probabilities(outputs: np.ndarray, classes: list[str]) -> np.ndarray:
    """Each class's probability per row: a one-unit sigmoid becomes two columns (``1 - p``, ``p``)."""
    outputs = np.asarray(outputs, np.float64).reshape(len(outputs), -1)
    if outputs.shape[1] == 1 and len(classes) == 2:
        return np.concatenate([1.0 - outputs, outputs], axis=1)
    return outputs


def header(classes: list[str], top_k: int | None) -> list[str]:
    """The CSV's columns: ``input, predicted``, then ``probability_<class>`` each, or the top k classes."""
    if not classes:
        return ["input", "predicted"]
    if top_k:
        return ["input", "predicted"] + [f"{what}_{i}" for i in range(1, top_k + 1) for what in ("top", "probability")]
    return ["input", "predicted"] + [f"probability_{name}" for name in classes]


def rows(ids: list[str], outputs: np.ndarray, classes: list[str], top_k: int | None) -> list[list]:
    """The CSV's rows (values, not text), in the order of ``ids``."""
    if not classes:  # a regression: one value per input
        values = np.asarray(outputs, np.float64).reshape(len(ids), -1)[:, 0]
        return [[i, float(v)] for i, v in zip(ids, values)]
    probs = probabilities(outputs, classes)
    out = []
    for sample, p in zip(ids, probs):
        row = [sample, classes[int(np.argmax(p))]]
        if top_k:
            for k in np.argsort(-p, kind="stable")[:top_k]:
                row += [classes[int(k)], round(float(p[k]), 6)]
        else:
            row += [round(float(v), 6) for v in p]
        out.append(row)
    return out


def default_path(run_dir: Path) -> Path:
    """``predictions-<YYYYmmdd-HHMMSS>.csv`` in the run directory (``-2``… when one exists): never overwritten."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    n = 1
    while (path := run_dir / (f"predictions-{stamp}" + (f"-{n}" if n > 1 else "") + ".csv")).exists():
        n += 1
    return path


def write_csv(path: Path, columns: list[str], table: list[list]) -> None:
    """Writes the table as CSV, atomically."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(table)
    runs.write_text(path, text.getvalue())
