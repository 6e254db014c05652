"""The data section for a table of mixed columns: ``keras.utils.FeatureSpace``, as Keras's example writes it.

Keras's ``structured_data_classification_with_feature_space`` example, with
dltrain's choices written out: each column's type (``data.features``, else
inferred from the cells when the script is written), missing cells filled
as dltrain fills them, the fixed test split and the seeded validation split
of dltrain, so the FeatureSpace is adapted on the same rows and encodes to
the same width.
"""

from __future__ import annotations

import numpy as np

from dltrain.config import Config, data_path
from dltrain.data.sources.table import read_rows
from dltrain.data.table import TEXT_MAX_TOKENS, column_types
from dltrain.script.parts import SMOKE_SAMPLES, DataPart
from dltrain.script.python import block, literal

_READ = [
    "MISSING = {\"\", \"na\", \"n/a\", \"nan\", \"null\", \"none\"}",
    "with open(DATA, newline=\"\") as f:",
    "    rows = list(csv.DictReader(f))",
    "labels = np.array([row[LABEL] for row in rows])",
    "class_names, y = np.unique(labels, return_inverse=True)",
    "num_classes = len(class_names)",
]


def _feature(name: str, kind: str) -> str:
    if kind == "string_categorical":
        return ("keras.utils.FeatureSpace.feature(dtype=\"string\", preprocessor=keras.layers.StringLookup("
                "mask_token=\"\"), output_mode=\"one_hot\")")
    if kind == "text":
        return (f"keras.utils.FeatureSpace.feature(dtype=\"string\", preprocessor=keras.Sequential("
                f"[vectorizers[{literal(name)}], keras.layers.Flatten()]), output_mode=\"float\")")
    return literal(kind)


def _columns_code(types: dict[str, str]) -> list[str]:
    numeric = [n for n, k in types.items() if k.startswith("float")]
    integer = [n for n, k in types.items() if k.startswith("integer")]
    return [
        f"NUMERIC, INTEGER = {literal(numeric)}, {literal(integer)}",
        "",
        "def columns(rows, fill=None):",
        "    \"\"\"A dict of column arrays; a missing number becomes the training mean, a category -1 or \"\".\"\"\"",
        "    out = {}",
        "    for name in TYPES:",
        "        cells = [row[name] for row in rows]",
        "        missing = np.array([c.strip().lower() in MISSING for c in cells])",
        "        if name in NUMERIC or name in INTEGER:",
        "            values = np.array([np.nan if m else float(c) for c, m in zip(cells, missing)])",
        "            default = -1 if name in INTEGER else (fill or {}).get(name, np.nanmean(values))",
        "            out[name] = np.where(missing, default, values).astype(\"int32\" if name in INTEGER else \"float32\")",
        "        else:",
        "            out[name] = np.array([\"\" if m else c for c, m in zip(cells, missing)])",
        "    return out",
    ]


def table_data(config: Config) -> tuple[DataPart, Config]:
    """The table read with ``csv``, split as dltrain splits it, encoded by an adapted ``FeatureSpace``.

    Raises:
        UserError: a table with a separate ``data.test_path`` (not written yet).
    """
    if config.data.test_path:
        raise config.error("the script generator writes a FeatureSpace table without data.test_path only",
                           "data", "test_path")
    path = data_path(config, config.data.path)
    rows = read_rows(path)
    header = rows[0][1]
    label_at = header.index(config.data.label_column)
    names = [n for n in header if n != config.data.label_column]
    cells = {n: [r[header.index(n)] for _, r in rows[1:]] for n in names}
    types = column_types(config, names, cells)
    num_classes = len(np.unique([r[label_at] for _, r in rows[1:]]))
    config = config.for_task(config.resolve_task(False))
    encoding = config.label_encoding(num_classes)
    lines = [f"DATA, LABEL = {literal(str(path.resolve()))}, {literal(config.data.label_column)}",
             "TYPES = {"] + block([f"{literal(n)}: {literal(k)}," for n, k in types.items()]) + ["}"]
    lines += _READ + ["if SMOKE:", f"    rows, y = rows[:{SMOKE_SAMPLES}], y[:{SMOKE_SAMPLES}]",
                      "# dltrain's fixed test split, then its seeded validation split of the training rows.",
                      "train_rows, test_rows = train_test_split(",
                      f"    np.arange(len(rows)), test_size={config.data.test_split!r}, random_state=0, stratify=y)",
                      "train_rows, test_rows = np.sort(train_rows), np.sort(test_rows)"]
    fraction = config.data.validation_split if config.data.validation_data != "test" else 0
    if fraction:
        lines += [f"order = np.random.default_rng({config.seed or 0}).permutation(len(train_rows))",
                  f"n_val = int(round(len(train_rows) * {fraction!r}))",
                  "val_rows = train_rows[np.sort(order[:n_val])]",
                  "train_rows = train_rows[np.sort(order[n_val:])]"]
    lines += _columns_code(types)
    lines += ["x_train = columns([rows[i] for i in train_rows])",
              "fill = {name: float(x_train[name].mean()) for name in NUMERIC}",
              "x_test = columns([rows[i] for i in test_rows], fill)"]
    if fraction:
        lines.append("x_val = columns([rows[i] for i in val_rows], fill)")
    lines += _feature_space(types, config, encoding, fraction, config.data.validation_data == "test")
    return DataPart(lines=lines, imports=["import csv", "", "import tensorflow as tf",
                                          "from sklearn.model_selection import train_test_split"],
                    arrays=False, validation="validation_data=val_ds" if fraction or config.data.validation_data
                    == "test" else "", notes=["the saved model of dltrain takes the raw columns; this one takes "
                                              "FeatureSpace's encoded vector"],
                    task=config.task, label_encoding=encoding), config


def _feature_space(types: dict[str, str], config: Config, encoding: str, fraction: float, on_test: bool) -> list[str]:
    texts = [n for n, k in types.items() if k == "text"]
    lines = []
    if texts:
        lines += ["# Free text: TF-IDF over the training rows' words, flattened (FeatureSpace hands it (batch, 1)).",
                  "vectorizers = {}", f"for name in {literal(texts)}:",
                  f"    vectorizers[name] = keras.layers.TextVectorization(max_tokens={TEXT_MAX_TOKENS}, "
                  "output_mode=\"tf_idf\")",
                  "    vectorizers[name].adapt(x_train[name])"]
    lines += ["feature_space = keras.utils.FeatureSpace(", "    features={"]
    lines += block([f"{literal(n)}: {_feature(n, k)}," for n, k in types.items()], " " * 8)
    lines += ["    },", "    output_mode=\"concat\",", ")",
              "feature_space.adapt(tf.data.Dataset.from_tensor_slices(x_train).batch(1024))", ""]
    label = {"onehot": "keras.utils.to_categorical(y[{rows}], num_classes)",
             "binary": "y[{rows}].astype(\"float32\").reshape(-1, 1)"}.get(encoding, "y[{rows}]")
    batch = config.training.batch_size
    lines += ["def encoded(x, labels, shuffle=False):",
              "    ds = tf.data.Dataset.from_tensor_slices((x, labels))",
              "    ds = ds.shuffle(len(labels), seed=0) if shuffle else ds",
              f"    return ds.batch({batch}).map(lambda x, y: (feature_space(x), y))", "",
              f"train_ds = encoded(x_train, {label.format(rows='train_rows')}, shuffle=True)",
              f"test_ds = encoded(x_test, {label.format(rows='test_rows')})"]
    if fraction:
        lines.append(f"val_ds = encoded(x_val, {label.format(rows='val_rows')})")
    elif on_test:
        lines.append("val_ds = test_ds")
    return lines + ["input_shape = train_ds.element_spec[0].shape[1:]"]
