"""CSV tables: numeric feature columns and one named label column.

Read as UTF-8 (a byte-order mark is allowed); each bad cell is reported with
its line. A file over :data:`MAX_CSV_BYTES` or a cell over
:data:`MAX_CSV_FIELD` characters is refused before it is parsed.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from dltrain.data.sources.limits import MAX_CSV_BYTES, MAX_CSV_FIELD
from dltrain.errors import UserError

FLOAT32_MAX = float(np.finfo(np.float32).max)


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line, fields) of every non-blank row, the header first."""
    file = str(path)
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            raise UserError(f"the CSV has {path.stat().st_size:,} bytes; the limit is {MAX_CSV_BYTES:,}: "
                            "save large data as an .npz (dataset: npz)", file=file)
        with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: Excel's byte-order mark is not a column name
            reader = csv.reader(f)
            return [(reader.line_num, row) for row in reader if row]
    except FileNotFoundError:
        raise UserError("file not found; check data.path", file=file) from None
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            err = f"a cell is longer than {MAX_CSV_FIELD:,} characters"
        raise UserError(f"not a readable CSV ({err})", file=file, line=reader.line_num) from None
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"cannot read the CSV ({err})", file=file) from None


def _features(rows: list[tuple[int, list[str]]], label_at: int, width: int, file: str) -> np.ndarray:
    features = []
    for line, row in rows:
        if len(row) != width:
            raise UserError(f"row has {len(row)} fields but the header has {width}", file=file, line=line)
        try:
            features.append([float(v) for i, v in enumerate(row) if i != label_at])
        except ValueError:
            bad = next(v for i, v in enumerate(row) if i != label_at and not _is_number(v))
            raise UserError(f"non-numeric feature value {bad[:40]!r}; features must be numbers", file=file,
                            line=line) from None
    values = np.asarray(features, dtype=np.float64)
    bad = ~np.isfinite(values) | (np.abs(values) > FLOAT32_MAX)
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise UserError(f"feature value {float(values[row, col])!r} is not a finite float32 number (|x| < 3.4e38); "
                        "clean the data first", file=file, line=rows[row][0])
    return values.astype(np.float32)


def read_csv(path: Path, label_column: str) -> tuple[np.ndarray, np.ndarray]:
    """Reads a table of numeric features with a named label column.

    Returns:
        (features as float32, labels as float64 when all are numbers, else strings).

    Raises:
        UserError: the file is missing, too large, not a CSV, has no such column or no
            feature column, or a row is ragged, non-numeric or outside float32.
    """
    file = str(path)
    header, body = header_and_body(read_rows(path), label_column, file)
    label_at = header.index(label_column)
    x = _features(body, label_at, len(header), file)
    labels = [row[label_at] for _, row in body]
    y = np.array(labels)
    if all(_is_number(v) for v in labels):
        y = y.astype(np.float64)
    return x, y


def header_and_body(rows: list, label_column: str, file: str) -> tuple[list[str], list]:
    """The header and the data rows of a table that has its label column and at least one feature.

    Raises:
        UserError: no data row, no such label column, or no feature column.
    """
    if len(rows) < 2:
        raise UserError("the CSV needs a header row and at least one data row", file=file)
    (_, header), body = rows[0], rows[1:]
    if label_column not in header:
        raise UserError(f"no column '{label_column}' (columns: {', '.join(header[:20])}); set data.label_column",
                        file=file, line=1)
    if len(header) < 2:
        raise UserError(f"the header has the label column '{label_column}' only; add feature columns", file=file, line=1)
    return header, body


def read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line, cells) of every non-blank row, the header first, with this module's size and encoding checks."""
    csv.field_size_limit(MAX_CSV_FIELD)
    return _rows(path)


def all_numeric(path: Path, label_column: str) -> bool:
    """Whether every feature cell is a number: such tables take :func:`read_csv`'s fast path.

    Others (strings, empty cells) are read by :mod:`dltrain.data.table` through Keras's FeatureSpace.
    """
    rows = read_rows(path)
    header = rows[0][1] if rows else []
    label_at = header.index(label_column) if label_column in header else -1
    return all(_is_number(v) for _, row in rows[1:] for i, v in enumerate(row) if i != label_at)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False
