"""Text folders: ``<path>/<class>/<name>.txt``, the layout of ``keras.utils.text_dataset_from_directory``.

The files are read with that Keras utility (class names are the sorted
sub-folder names), held in memory as strings, and batched by the index
pipeline of :mod:`dltrain.data.table` so each epoch's order is a function of
(seed, epoch). The model's first layer must be ``TextVectorization``: it is
built from the config, adapted on the training split only, and becomes the
``preprocessing`` that runs in the ``tf.data`` pipeline, as Keras's
``text_classification_from_scratch`` example recommends for training on CPU;
the saved model is ``raw strings → TextVectorization → the trained layers``.
The bundle's ``extras["layers_in_preprocessing"]`` (1) tells the model
builder that ``model.layers[0]`` is already built here.
"""

from __future__ import annotations

import numpy as np

from dltrain.config import Config, SequentialModel, data_path
from dltrain.data.bundle import DataBundle
from dltrain.data.prepare import encode_labels
from dltrain.data.sources import held_out_split
from dltrain.data.table import SMOKE_ROWS, raw_evaluation_dataset, raw_training_dataset
from dltrain.errors import UserError
from dltrain.models.errors import _first_line
from dltrain.tf_quiet import keras, tf

PREPROCESSING = "preprocessing"


def _read_folder(config: Config, key: str, class_names: list[str] | None = None):
    """(texts as an object array, integer labels, class names) of one folder."""
    path = data_path(config, getattr(config.data, key))
    if not path.is_dir():
        raise config.error(f"{path} is not a folder; set data.{key} to a folder with one sub-folder of .txt files "
                           "per class", "data", key)
    try:
        ds = keras.utils.text_dataset_from_directory(str(path), labels="inferred", label_mode="int", batch_size=None,
                                                     shuffle=False, class_names=class_names, verbose=False)
    except (ValueError, tf.errors.OpError) as err:
        raise config.error(f"{path}: {_first_line(err)}; the layout is <folder>/<class>/<name>.txt", "data",
                           key) from None
    names = list(ds.class_names)
    texts, labels = [], []
    for text, label in ds.batch(4096):
        texts.extend(text.numpy().tolist())
        labels.append(label.numpy())
    if not texts or len(names) < 2:
        raise config.error(f"{path} holds {len(texts)} .txt files in {len(names)} class folders; a classifier needs "
                           "files in at least two", "data", key)
    return np.array(texts, object), np.concatenate(labels).astype(np.int32), names


def _vectorizer(config: Config) -> keras.layers.TextVectorization:
    """The config's first layer, which must be a TextVectorization that gives fixed-shape output."""
    model = config.model
    if not isinstance(model, SequentialModel) or model.layers[0].name != "TextVectorization":
        raise config.error("a text model starts with a TextVectorization layer, e.g. `- TextVectorization: "
                           "{max_tokens: 20000, output_sequence_length: 200}`; use model.type: sequential", "model")
    spec = model.layers[0]
    kwargs = dict(spec.kwargs)
    if kwargs.get("output_mode", "int") == "int" and not kwargs.get("output_sequence_length"):
        raise config.error("TextVectorization with output_mode int needs output_sequence_length (the padded "
                           "length of every text); set it", "model", "layers", 0, spec.name)
    try:
        return keras.layers.TextVectorization(**kwargs)
    except (TypeError, ValueError) as err:
        raise config.error(f"TextVectorization: {_first_line(err)}; fix its arguments", "model", "layers", 0,
                           spec.name) from None


def vectorizer_model(config: Config, train_texts: np.ndarray) -> keras.Model:
    """The config's TextVectorization adapted on the training texts, as a model: strings → its output."""
    vectorize = _vectorizer(config)
    vectorize.adapt(tf.data.Dataset.from_tensor_slices(train_texts.astype(object)).batch(1024))
    inputs = keras.Input(shape=(), dtype="string", name="text")
    return keras.Model(inputs, vectorize(inputs), name=PREPROCESSING)


def _splits(config: Config, seed: int, smoke: bool):
    """(train, validation, test) as (texts, labels) pairs, and the class names."""
    texts, labels, names = _read_folder(config, "path")
    if config.data.test_path:
        test = _read_folder(config, "test_path", names)[:2]
        train = (texts, labels)
    else:
        if len(labels) < 4:
            raise UserError("too few files to hold out a test set; add files or set data.test_path", file=str(
                data_path(config, config.data.path)))
        tr, te, _, _ = held_out_split(np.arange(len(labels)), labels, config.data.test_split)
        train, test = (texts[np.sort(tr)], labels[np.sort(tr)]), (texts[np.sort(te)], labels[np.sort(te)])
    if smoke:
        train, test = (train[0][:SMOKE_ROWS], train[1][:SMOKE_ROWS]), (test[0][:SMOKE_ROWS], test[1][:SMOKE_ROWS])
    validation = None
    fraction = config.data.validation_split or 0.0
    if config.data.validation_data == "test":
        validation = test
    elif fraction:
        n = len(train[1])
        n_val = int(round(n * fraction))
        if n_val == 0 or n_val == n:
            raise config.error(f"{fraction} of {n} training files leaves an empty split; change the fraction",
                               "data", "validation_split")
        order = np.random.default_rng(seed).permutation(n)
        fit, val = np.sort(order[n_val:]), np.sort(order[:n_val])
        train, validation = (train[0][fit], train[1][fit]), (train[0][val], train[1][val])
    return train, validation, test, names


def text_folder_bundle(config: Config, seed: int, smoke: bool = False) -> DataBundle:
    """Reads a text folder and adapts the model's TextVectorization on its training split.

    Args:
        config: the validated config (``data.dataset: text_folder``).
        seed: the run's seed (validation split and epoch order).
        smoke: keep at most :data:`~dltrain.data.table.SMOKE_ROWS` texts of each split.

    Raises:
        UserError: a folder is missing or empty, or the model does not start with a usable TextVectorization.
    """
    train, validation, test, names = _splits(config, seed, smoke)
    preprocessing = vectorizer_model(config, train[0])
    encode = lambda y: encode_labels(y, config, len(names))  # noqa: E731
    batch = config.training.batch_size
    return DataBundle(
        kind="text_folder", task="classification", class_names=names, label_encoding=config.label_encoding(len(names)),
        input_shape=tuple(preprocessing.output.shape[1:]),
        raw_inputs=lambda: keras.Input(shape=(), dtype="string", name="text"),
        preprocessing=preprocessing,
        train=raw_training_dataset(train[0], encode(train[1]), batch, seed, config.data.shuffle, preprocessing),
        validation=None if validation is None else raw_evaluation_dataset(validation[0], encode(validation[1]), batch,
                                                                          preprocessing),
        test=raw_evaluation_dataset(test[0], encode(test[1]), batch),
        n_train=len(train[1]), n_val=0 if validation is None else len(validation[1]), n_test=len(test[1]),
        train_labels=train[1], y_test=encode(test[1]), origin=str(data_path(config, config.data.path)),
        extras={"layers_in_preprocessing": 1},
    )
