"""``history.csv``: one writer, one reader.

One row per completed epoch, the columns being exactly the values Keras
logged (Keras's CSVLogger invents ``val_*`` columns filled with 'NA' when there
is no validation data), plus ``epoch_seconds``. Each row is flushed to disk
when its epoch ends; a kill can leave a partial last line, which the reader
skips and a resume cuts off.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

from dltrain.runs.files import write_text
from dltrain.runs.layout import HISTORY


def _cell(value) -> str:
    return "" if value is None else repr(float(value))


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


class HistoryFile:
    """The history of one run directory's epochs."""

    def __init__(self, path: Path):
        self.path = path
        self.columns: list[str] | None = None
        header = self._header()
        if header:
            self.columns = header[1:]

    def _header(self) -> list[str] | None:
        if not self.path.is_file():
            return None
        with open(self.path, newline="", encoding="utf-8", errors="replace") as f:
            return next(csv.reader(f), None)

    def append(self, epoch: int, values: dict[str, float]) -> None:
        """Appends one epoch's row (0-based ``epoch``), flushed and synced to disk."""
        new_file = self.columns is None or not self.path.is_file()
        if self.columns is None:
            self.columns = list(values)
        with open(self.path, "a", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            if new_file:
                writer.writerow(["epoch", *self.columns])
            writer.writerow([epoch, *(_cell(values.get(k)) for k in self.columns)])
            f.flush()
            os.fsync(f.fileno())

    def rows(self, before_epoch: int | None = None) -> list[dict[str, str]]:
        """The complete rows, optionally only those of epochs before ``before_epoch``."""
        if not self.path.is_file():
            return []
        with open(self.path, newline="", encoding="utf-8", errors="replace") as f:
            rows = [r for r in csv.DictReader(f) if None not in r.values() and (r.get("epoch") or "").isdigit()]
        return [r for r in rows if before_epoch is None or int(r["epoch"]) < before_epoch]

    def keep_epochs_before(self, epochs_done: int) -> None:
        """Keeps only the rows of epochs already done, so each epoch appears once after a resume."""
        rows = self.rows(epochs_done)
        if not rows:
            self.path.unlink(missing_ok=True)
            self.columns = None
            return
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_text(self.path, out.getvalue())
        self.columns = list(rows[0])[1:]

    def columns_as_floats(self) -> dict[str, list[float]]:
        """The history as columns of floats (empty cells become NaN); ``epoch`` is 0-based."""
        rows = self.rows()
        if not rows:
            return {}
        return {key: [_float(r[key]) for r in rows] for key in rows[0]}

    def epochs(self) -> int:
        """How many epochs the file records."""
        return len(self.rows())


def read_history(run_dir: Path) -> dict[str, list[float]]:
    """A run's history as columns of floats: ``epoch`` (0-based), losses, metrics, learning rate."""
    return HistoryFile(Path(run_dir) / HISTORY).columns_as_floats()
