"""Tables of mixed columns: Keras's ``FeatureSpace`` turns a dict of raw columns into one vector.

A CSV whose feature cells are not all numbers, or a config with
``data.features``, is read here (all-numeric tables keep the array fast path
of :mod:`dltrain.data.sources.table`). Each column gets a
``keras.utils.FeatureSpace`` type: the one ``data.features`` names, or one
inferred from the training rows (numbers ``float_normalized``, strings
``string_categorical``, strings of more than three words on average
``text``, a ``TextVectorization`` with TF-IDF output, as FeatureSpace's
docstring shows for custom features). The FeatureSpace is adapted on the
training split only, as in Keras's example
``structured_data_classification_with_feature_space``; its inputs and encoded
output become the ``preprocessing`` model, applied in the ``tf.data``
pipeline during training and carried by the saved model, which takes a dict
of raw columns, each shaped ``(batch, 1)``.

Missing cells (empty, NA, N/A, NaN, null, None, any case):

- a number is replaced by the column's training mean when the table is read
  (Keras has no layer that imputes, so the saved model takes numbers: pass
  the mean, ``bundle.extras["missing_fill"]``, for a missing one);
- an integer category becomes -1 (its own category when training has one);
- a string becomes the empty string. ``string_categorical`` columns use a
  ``StringLookup`` with ``mask_token=""``, so a missing string has its own
  slot: an adapted vocabulary holding ``""`` loses it when the model is saved
  and loaded (checked on Keras 3.15.1), the mask token does not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dltrain.config import Config, data_path
from dltrain.data.bundle import DataBundle
from dltrain.data.pipeline import TrainingData, evaluation_dataset, training_dataset
from dltrain.data.prepare import encode_labels
from dltrain.data.sources import held_out_split
from dltrain.data.sources.arrays import class_indices
from dltrain.data.sources.table import all_numeric, header_and_body, read_rows
from dltrain.errors import UserError
from dltrain.tf_quiet import keras, tf

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none"})
TEXT_MAX_TOKENS = 20_000  # the vocabulary size of Keras's text_classification_from_scratch example
SMOKE_ROWS = 512
PREPROCESSING = "preprocessing"


def needs_table_kind(config: Config) -> bool:
    """Whether a csv config is read here (``data.features`` set, or a feature cell that is not a number)."""
    if config.data.dataset != "csv":
        return False
    return bool(config.data.features) or not all_numeric(data_path(config, config.data.path),
                                                         config.data.label_column)


def _is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _read(path: Path, label_column: str) -> tuple[list[str], dict[str, list[str]], list[str], list[int]]:
    """(feature names, cells by column, label cells, line numbers) of one table."""
    file = str(path)
    header, body = header_and_body(read_rows(path), label_column, file)
    if len(set(header)) != len(header):
        raise UserError("two columns share a name; rename one", file=file, line=1)
    for line, row in body:
        if len(row) != len(header):
            raise UserError(f"row has {len(row)} fields but the header has {len(header)}", file=file, line=line)
        if _is_missing(row[header.index(label_column)]):
            raise UserError(f"the label ('{label_column}') is missing; fill it or drop the row", file=file, line=line)
    columns = {name: [row[i] for _, row in body] for i, name in enumerate(header) if name != label_column}
    labels = [row[header.index(label_column)] for _, row in body]
    return list(columns), columns, labels, [line for line, _ in body]


def _inferred_type(cells: list[str]) -> str:
    """FeatureSpace's type for a column the config does not name: numbers, free text or categories."""
    present = [c for c in cells if not _is_missing(c)]
    if all(_is_number(c) for c in present):
        return "float_normalized"
    words = np.mean([len(c.split()) for c in present]) if present else 0.0
    return "text" if words > 3 else "string_categorical"


def column_types(config: Config, names: list[str], columns: dict[str, list[str]]) -> dict[str, str]:
    """Each feature column's type: ``data.features``' choice, else inferred from the training rows.

    Raises:
        UserError: ``data.features`` names a column the table does not have.
    """
    declared = dict(config.data.features or {})
    for name in declared:
        if name not in names:
            raise config.error(f"the table has no column '{name}' (columns: {', '.join(names[:20])}); "
                               "fix the name or remove it", "data", "features", name)
    return {name: declared.get(name) or _inferred_type(columns[name]) for name in names}


def _column_values(config: Config, name: str, kind: str, cells: list[str], lines: list[int],
                   fill: float | None, file: str) -> np.ndarray:
    """One column's cells as the array its ``keras.Input`` takes, shaped (rows, 1), missing cells filled."""
    missing = np.array([_is_missing(c) for c in cells], bool)
    if kind.startswith("float") or kind.startswith("integer"):
        bad = next((i for i, c in enumerate(cells) if not missing[i] and not _is_number(c)), None)
        if bad is not None:
            raise UserError(f"column '{name}' is {kind} but holds {cells[bad][:40]!r}; fix the cell or set "
                            f"data.features.{name} to string_categorical", file=file, line=lines[bad])
        values = np.array([0.0 if m else float(c) for c, m in zip(cells, missing)], np.float64)
        if kind.startswith("integer"):
            if np.any(values[~missing] != np.round(values[~missing])):
                raise config.error(f"column '{name}' holds fractions; an {kind} column holds whole numbers",
                                   "data", "features", name)
            return np.where(missing, -1, values).astype(np.int32).reshape(-1, 1)
        return np.where(missing, fill or 0.0, values).astype(np.float32).reshape(-1, 1)
    return np.array(["" if m else c for c, m in zip(cells, missing)], object).reshape(-1, 1)


def _training_mean(cells: list[str]) -> float:
    present = [float(c) for c in cells if not _is_missing(c) and _is_number(c)]
    return float(np.mean(present)) if present else 0.0


def _feature(kind: str, train_values: np.ndarray):
    """A FeatureSpace feature: FeatureSpace's own name, or a custom feature where missing cells need one."""
    space = keras.utils.FeatureSpace
    if kind == "string_categorical":
        return space.feature(dtype="string", preprocessor=keras.layers.StringLookup(mask_token="", output_mode="int"),
                             output_mode="one_hot")
    if kind == "text":
        # Adapted here rather than by FeatureSpace: a Sequential has no adapt(), and the Flatten is
        # needed because TextVectorization declares (batch, 1, tokens) for a (batch, 1) input.
        vectorize = keras.layers.TextVectorization(max_tokens=TEXT_MAX_TOKENS, output_mode="tf_idf")
        vectorize.adapt(tf.constant(train_values.reshape(-1)))
        return space.feature(dtype="string", preprocessor=keras.Sequential([vectorize, keras.layers.Flatten()]),
                             output_mode="float")
    return kind


def preprocessing_model(types: dict[str, str], train_x: dict[str, np.ndarray]) -> keras.Model:
    """The FeatureSpace adapted on the training columns, as a Keras model: dict of raw columns → one vector."""
    space = keras.utils.FeatureSpace(features={name: _feature(kind, train_x[name]) for name, kind in types.items()},
                                     output_mode="concat")
    space.adapt(tf.data.Dataset.from_tensor_slices(train_x).batch(1024))
    return keras.Model(space.get_inputs(), space.get_encoded_features(), name=PREPROCESSING)


def raw_training_dataset(x, y: np.ndarray, batch_size: int, seed: int, shuffle: bool = True,
                         preprocess=None) -> TrainingData:
    """One epoch of raw samples (strings, or a dict of columns), reshuffled per (seed, epoch), not cast."""
    return training_dataset(x, y, batch_size, seed, shuffle, preprocess, cast=False)


def raw_evaluation_dataset(x, y: np.ndarray, batch_size: int, preprocess=None) -> tf.data.Dataset:
    """Batches of raw samples in order, once (preprocessed when ``preprocess`` is given)."""
    return evaluation_dataset(x, y, batch_size, preprocess, cast=False)


def _targets(config: Config, y_train: list[str], y_test: list[str], origin: str):
    """(task, class names, integer or float train labels, test labels, label encoding)."""
    if all(_is_number(v) for v in y_train + y_test):
        tr, te = np.array(y_train, np.float64), np.array(y_test, np.float64)
        if not (np.all(tr == np.round(tr)) and np.all(te == np.round(te))):
            # Numbers with fractions: a regression target, read as floats.
            return "regression", [], tr.astype(np.float32), te.astype(np.float32), "regression"
        y_tr, y_te, names = class_indices(tr.astype(np.int64), te.astype(np.int64), origin)
    else:
        y_tr, y_te, names = class_indices(np.array(y_train), np.array(y_test), origin)
    return "classification", names, y_tr, y_te, config.label_encoding(len(names))


def _split_rows(config: Config, labels: list[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows) of the training table: a seeded split of ``validation_split``."""
    n, fraction = len(labels), config.data.validation_split or 0.0
    if config.data.validation_data == "test" or not fraction:
        return np.arange(n), np.arange(0)
    n_val = int(round(n * fraction))
    if n_val == 0 or n_val == n:
        raise config.error(f"{fraction} of {n} training rows leaves an empty split; change the fraction",
                           "data", "validation_split")
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _load_tables(config: Config):
    """(names, cells by column, labels, lines, file) for the training and the test rows."""
    path = data_path(config, config.data.path)
    names, columns, labels, lines = _read(path, config.data.label_column)
    if config.data.test_path:
        test_path = data_path(config, config.data.test_path)
        t_names, t_columns, t_labels, t_lines = _read(test_path, config.data.label_column)
        if t_names != names:
            raise UserError(f"the test table's columns ({', '.join(t_names[:20])}) are not the training table's "
                            f"({', '.join(names[:20])})", file=str(test_path), line=1)
        return (names, columns, labels, lines, str(path)), (t_columns, t_labels, t_lines, str(test_path))
    if len(labels) < 4:
        raise UserError("too few rows to hold out a test set; add rows or set data.test_path", file=str(path))
    train, test, _, _ = held_out_split(np.arange(len(labels)), np.array(labels), config.data.test_split)
    train, test = np.sort(train), np.sort(test)
    pick = lambda values, rows: [values[i] for i in rows]  # noqa: E731
    train_part = (names, {k: pick(v, train) for k, v in columns.items()}, pick(labels, train), pick(lines, train),
                  str(path))
    return train_part, ({k: pick(v, test) for k, v in columns.items()}, pick(labels, test), pick(lines, test),
                        str(path))


def table_bundle(config: Config, seed: int, smoke: bool = False) -> DataBundle:
    """Reads a table of mixed columns and builds its FeatureSpace preprocessing, adapted on the training split.

    Args:
        config: the validated config (``data.dataset: csv``).
        seed: the run's seed (validation split and epoch order).
        smoke: keep at most :data:`SMOKE_ROWS` rows of each split.

    Raises:
        UserError: a file, cell, label or ``data.features`` entry is wrong; each names its file, line or key.
    """
    (names, columns, labels, lines, file), (t_columns, t_labels, t_lines, t_file) = _load_tables(config)
    if smoke:
        columns, labels = {k: v[:SMOKE_ROWS] for k, v in columns.items()}, labels[:SMOKE_ROWS]
        t_columns, t_labels = {k: v[:SMOKE_ROWS] for k, v in t_columns.items()}, t_labels[:SMOKE_ROWS]
    fit_rows, val_rows = _split_rows(config, labels, seed)
    fit_cells = {k: [v[i] for i in fit_rows] for k, v in columns.items()}
    types = column_types(config, names, fit_cells)
    fill = {k: _training_mean(fit_cells[k]) for k, kind in types.items() if kind.startswith("float")}
    x_all = {k: _column_values(config, k, types[k], columns[k], lines, fill.get(k), file) for k in names}
    x_test = {k: _column_values(config, k, types[k], t_columns[k], t_lines, fill.get(k), t_file) for k in names}
    task, class_names, y_all, y_test_raw, encoding = _targets(config, labels, t_labels, file)
    encode = (lambda y: y) if task == "regression" else (lambda y: encode_labels(y, config, len(class_names)))
    x_fit = {k: v[fit_rows] for k, v in x_all.items()}
    preprocessing = preprocessing_model(types, x_fit)
    batch = config.training.batch_size
    validation = None
    if config.data.validation_data == "test":
        validation = raw_evaluation_dataset(x_test, encode(y_test_raw), batch, preprocessing)
    elif len(val_rows):
        validation = raw_evaluation_dataset({k: v[val_rows] for k, v in x_all.items()}, encode(y_all[val_rows]),
                                            batch, preprocessing)
    inputs = preprocessing.input
    return DataBundle(
        kind="table", task=task, class_names=class_names, label_encoding=encoding,
        input_shape=tuple(preprocessing.output.shape[1:]),
        raw_inputs=lambda: {k: keras.Input(shape=(1,), dtype=t.dtype, name=k) for k, t in inputs.items()},
        preprocessing=preprocessing,
        train=raw_training_dataset(x_fit, encode(y_all[fit_rows]), batch, seed, config.data.shuffle, preprocessing),
        validation=validation,
        test=raw_evaluation_dataset(x_test, encode(y_test_raw), batch),
        n_train=len(fit_rows), n_val=len(y_test_raw) if config.data.validation_data == "test" else len(val_rows),
        n_test=len(y_test_raw), train_labels=y_all[fit_rows], y_test=encode(y_test_raw), origin=file,
        extras={"features": types, "missing_fill": fill},
    )
