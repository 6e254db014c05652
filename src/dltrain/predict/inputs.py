"""Reading what ``dltrain predict`` is given into the raw inputs a saved model takes.

The saved models carry their preprocessing, so an input is read as raw as the
training data was: an ``.npz``'s ``x`` (or ``x_test``) array; a CSV's cells
(the label column may be absent: it is ignored when present); image files,
decoded as Keras's loader decodes them (``tf.io.decode_image``, never
resized); text files as strings. A folder stands for the image (or text)
files under it. What the model expects is read from the model itself — its
input shape and dtype, or its named columns — so every mismatch is one line
naming the input and what the model takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dltrain.config import Config, data_path
from dltrain.data.image_folder import _problem as image_problem
from dltrain.data.sources.table import read_rows
from dltrain.data.table import _column_values, _is_missing, _is_number
from dltrain.errors import UserError
from dltrain.tf_quiet import keras, tf

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
TEXT_SUFFIXES = (".txt",)
NPZ_KEYS = ("x", "x_test")
# Datasets of pictures with 0–255 pixels: image files are inputs of their runs (digits' 0–16 are not).
IMAGE_DATASETS = ("image_folder", "mnist", "fashion_mnist", "cifar10", "cifar100", "idx")


@dataclass
class Inputs:
    """Raw samples and their ids; ``x`` is an array, a dict of ``(n, 1)`` columns, or image file paths."""

    ids: list[str]
    x: object
    images: bool = False  # x holds image paths, decoded in the tf.data pipeline


@dataclass(frozen=True)
class Expects:
    """What a saved model takes: a table's named columns, strings, or arrays of one shape."""

    shape: tuple
    dtype: str
    columns: dict[str, str] | None = None  # column name → dtype, for a table's FeatureSpace model
    pictures: bool = False  # the run's data are images of 0–255 pixels

    @classmethod
    def of(cls, model: keras.Model, config: Config) -> Expects:
        """The raw input a loaded model takes (``config``: the run's, for its data kind)."""
        if isinstance(model.input, dict):
            return cls((), "table", {name: str(t.dtype) for name, t in model.input.items()})
        shape = tuple(model.input_shape[1:])
        return cls(shape, str(model.inputs[0].dtype),
                   pictures=config.data.dataset in IMAGE_DATASETS and len(shape) in (2, 3))

    @property
    def kind(self) -> str:
        """'table', 'text', 'image' (a 2-D grid, with or without channels) or 'array'."""
        if self.columns is not None:
            return "table"
        if self.dtype == "string":
            return "text"
        return "image" if self.pictures else "array"

    def describe(self) -> str:
        """What the model takes, in words for an error line."""
        if self.columns is not None:
            return f"a table with the columns {', '.join(self.columns)}"
        if self.dtype == "string":
            return "text (.txt files)"
        return f"samples of shape {self.shape}"


def expand(paths: list[Path], expects: Expects) -> list[Path]:
    """The files the inputs name: a folder stands for its image or text files (sorted, searched recursively).

    Raises:
        UserError: an input does not exist, or a folder holds no file the model can take.
    """
    suffixes = TEXT_SUFFIXES if expects.kind == "text" else IMAGE_SUFFIXES
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in suffixes and p.is_file())
            if not found:
                raise UserError(f"the folder holds no {'/'.join(suffixes)} files; the model takes {expects.describe()}",
                                file=str(path))
            files += found
        elif not path.is_file():
            raise UserError("input not found; give .npz, .csv, image or text files, or a folder of them",
                            file=str(path))
        else:
            files.append(path)
    return files


def read_inputs(files: list[Path], expects: Expects, config: Config) -> Inputs:
    """Reads every input file into one batch of raw samples, in order.

    Raises:
        UserError: a file of a kind the model does not take, or of the wrong shape, type or columns.
    """
    parts = [_read_one(path, expects, config) for path in files]
    if len({p.images for p in parts}) > 1:
        raise UserError("images and other inputs are mixed; predict on one kind at a time", file=str(files[0]))
    ids = [i for p in parts for i in p.ids]
    if isinstance(parts[0].x, dict):
        return Inputs(ids, {k: np.concatenate([p.x[k] for p in parts]) for k in parts[0].x})
    return Inputs(ids, np.concatenate([p.x for p in parts]), parts[0].images)


def _read_one(path: Path, expects: Expects, config: Config) -> Inputs:
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _read_npz(path, expects)
    if suffix == ".csv":
        return _read_table(path, expects, config)
    if suffix in IMAGE_SUFFIXES and expects.kind == "image":
        return _check_image(path, expects)
    if suffix in TEXT_SUFFIXES and expects.kind == "text":
        return _read_text(path)
    raise UserError(f"a {suffix or 'suffix-less'} file is not an input this model takes; it takes "
                    f"{expects.describe()}", file=str(path))


def _read_npz(path: Path, expects: Expects) -> Inputs:
    file = str(path)
    if expects.kind in ("table", "text"):
        raise UserError(f"an .npz is not an input this model takes; it takes {expects.describe()}", file=file)
    try:
        with np.load(path, allow_pickle=False) as archive:
            key = next((k for k in NPZ_KEYS if k in archive.files), None)
            if key is None:
                raise UserError(f"no array named x or x_test (arrays: {', '.join(archive.files[:10])}); save the "
                                "samples as x", file=file)
            x = archive[key]
    except UserError:
        raise
    except (OSError, ValueError, EOFError) as err:
        raise UserError(f"not a readable .npz file ({' '.join(str(err).split())[:120]})", file=file) from None
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise UserError(f"{key} holds {x.dtype} values; the model takes numbers", file=file)
    x = _fit_channels(x, expects)
    if tuple(x.shape[1:]) != expects.shape:
        raise UserError(f"{key} has samples of shape {tuple(x.shape[1:])}; the model takes {expects.describe()}",
                        file=file)
    return Inputs([f"{path.name}[{i}]" for i in range(len(x))], x.astype(np.float32))


def _fit_channels(x: np.ndarray, expects: Expects) -> np.ndarray:
    """Grayscale images with or without their channel axis, as the model takes them."""
    if x.ndim == len(expects.shape) + 2 and x.shape[-1] == 1 and tuple(x.shape[1:-1]) == expects.shape:
        return x[..., 0]
    if x.ndim == len(expects.shape) and expects.shape[-1:] == (1,) and tuple(x.shape[1:]) == expects.shape[:-1]:
        return x[..., None]
    return x


def _check_image(path: Path, expects: Expects) -> Inputs:
    """An image file, checked from its header only; it is decoded in the ``tf.data`` pipeline."""
    problem = image_problem(str(path), tuple(expects.shape[:2]))
    if problem:
        raise UserError(f"{problem.removeprefix(str(path) + ' ')}; the model takes images of "
                        f"{expects.shape[0]}×{expects.shape[1]} pixels (resize it)", file=str(path))
    return Inputs([str(path)], np.array([str(path)]), images=True)


def image_decoder(expects: Expects):
    """Path → float32 image of the model's shape, decoded as Keras's loader decodes (no resizing)."""
    channels = expects.shape[2] if len(expects.shape) == 3 else 1

    def decode(path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
        return tf.reshape(tf.cast(image, tf.float32), expects.shape)

    return decode


def _read_text(path: Path) -> Inputs:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"cannot read the text file ({type(err).__name__}); give UTF-8 .txt files",
                        file=str(path)) from None
    return Inputs([str(path)], np.array([text], object))


def _read_table(path: Path, expects: Expects, config: Config) -> Inputs:
    """A CSV's rows: named columns for a FeatureSpace model, else a float matrix; the label column is ignored."""
    file = str(path)
    if expects.kind in ("text", "image"):
        raise UserError(f"a CSV is not an input this model takes; it takes {expects.describe()}", file=file)
    rows = read_rows(path)
    if len(rows) < 2:
        raise UserError("the CSV needs a header row and at least one data row", file=file)
    (_, header), body = rows[0], rows[1:]
    for line, row in body:
        if len(row) != len(header):
            raise UserError(f"row has {len(row)} fields but the header has {len(header)}", file=file, line=line)
    columns = {name: [row[i] for _, row in body] for i, name in enumerate(header) if name != config.data.label_column}
    lines = [line for line, _ in body]
    ids = [f"{path.name}:{line}" for line in lines]
    if expects.columns is not None:
        return Inputs(ids, _table_columns(columns, lines, expects, config, file))
    return Inputs(ids, _matrix(columns, lines, expects, config, file))


def _table_columns(columns: dict[str, list[str]], lines: list[int], expects: Expects, config: Config,
                   file: str) -> dict[str, np.ndarray]:
    """The columns a FeatureSpace model takes, encoded as training encoded them."""
    missing = [name for name in expects.columns if name not in columns]
    if missing:
        raise UserError(f"no column {', '.join(repr(m) for m in missing)}; the model takes the columns "
                        f"{', '.join(expects.columns)}", file=file, line=1)
    out = {}
    for name, dtype in expects.columns.items():
        cells = columns[name]
        kind = "string" if dtype == "string" else ("integer" if dtype.startswith("int") else "float")
        if kind == "float" and any(_is_missing(c) for c in cells):
            at = next(i for i, c in enumerate(cells) if _is_missing(c))
            raise UserError(f"column '{name}' has no number; the model takes a number in every cell (training "
                            "filled missing ones with the column's mean): fill it", file=file, line=lines[at])
        out[name] = _column_values(config, name, kind, cells, lines, None, file)
    return out


def _training_header(config: Config) -> list[str] | None:
    """The feature names of the run's training CSV, when it is still there."""
    path = data_path(config, config.data.path) if config.data.dataset == "csv" else None
    try:
        header = read_rows(path)[0][1] if path is not None and path.is_file() else None
    except (UserError, IndexError):
        return None
    return [name for name in header if name != config.data.label_column] if header else None


def _matrix(columns: dict[str, list[str]], lines: list[int], expects: Expects, config: Config,
            file: str) -> np.ndarray:
    """A numeric table's feature columns as the float matrix the model takes."""
    names = _training_header(config)
    if names is not None and list(columns) != names:
        raise UserError(f"the columns are {', '.join(list(columns)[:20])}; the model takes "
                        f"{', '.join(names[:20])} (the label column may be left out)", file=file, line=1)
    if (len(columns),) != expects.shape:
        raise UserError(f"the table has {len(columns)} feature columns; the model takes {expects.shape[0]} "
                        "(the label column may be left out)", file=file, line=1)
    for name, cells in columns.items():
        bad = next((i for i, c in enumerate(cells) if not _is_number(c)), None)
        if bad is not None:
            raise UserError(f"column '{name}' holds {cells[bad][:40]!r}; the model takes numbers", file=file,
                            line=lines[bad])
    return np.array([[float(c) for c in cells] for cells in columns.values()], np.float32).T.reshape(
        len(lines), len(columns))
