"""The data section for folders of files: Keras's ``image_dataset_from_directory`` and ``text_dataset_from_directory``.

The script reads the folders into ``tf.data`` datasets, as Keras's examples
do, and maps the preprocessing over them (``Rescaling`` for images, the
config's first layer, an adapted ``TextVectorization``, for texts), so the
model takes what dltrain's model takes.
"""

from __future__ import annotations

from pathlib import Path

from dltrain.config import Config, data_path
from dltrain.script.parts import SMOKE_SAMPLES, DataPart
from dltrain.script.python import call, layer

_LABEL_MODE = {"sparse": "int", "onehot": "categorical", "binary": "binary"}


def _class_names(config: Config) -> list[str]:
    path = data_path(config, config.data.path)
    return sorted(p.name for p in Path(path).iterdir() if p.is_dir()) if path and Path(path).is_dir() else []


def _read(config: Config, function: str, extra: dict, encoding: str) -> list[str]:
    if not config.data.test_path:
        raise config.error("the script generator writes folder data with a separate data.test_path only",
                           "data", "test_path")
    batch = config.training.batch_size
    common = {**extra, "label_mode": _LABEL_MODE[encoding], "batch_size": batch}
    train_path = str(data_path(config, config.data.path).resolve())
    test_path = str(data_path(config, config.data.test_path).resolve())
    fraction = config.data.validation_split if config.data.validation_data != "test" else None
    if fraction:
        lines = ["train_ds, val_ds = " + call(f"keras.utils.{function}", {
            "directory": train_path, **common, "validation_split": fraction, "subset": "both",
            "seed": config.seed or 0})]
    else:
        lines = ["train_ds = " + call(f"keras.utils.{function}", {"directory": train_path, **common})]
    lines += ["class_names = train_ds.class_names", "num_classes = len(class_names)",
              "test_ds = " + call(f"keras.utils.{function}", {"directory": test_path, **common, "shuffle": False})]
    if config.data.validation_data == "test":
        lines.append("val_ds = test_ds")
    steps = max(1, SMOKE_SAMPLES // batch)
    lines += ["if SMOKE:",
              f"    train_ds, test_ds = train_ds.take({steps}), test_ds.take({steps})"]
    if fraction or config.data.validation_data == "test":
        lines.append(f"    val_ds = val_ds.take({steps})")
    return lines


def _mapped(function: str) -> list[str]:
    return [f"train_ds = train_ds.map({function})", "test_ds = test_ds.map(" + function + ")"]


def image_folder_data(config: Config) -> DataPart:
    """``image_dataset_from_directory``, then pixels scaled as ``data.scale`` says."""
    encoding = config.label_encoding(len(_class_names(config)))
    size = list(config.data.image_size)
    lines = _read(config, "image_dataset_from_directory",
                  {"image_size": size, "color_mode": config.data.color_mode}, encoding)
    validated = bool(config.data.validation_split) or config.data.validation_data == "test"
    if config.data.scale == "unit":
        lines += ["rescale = " + layer("Rescaling", {"scale": 1 / 255}) + "  # 8-bit pixels into [0, 1]"]
        lines += _mapped("lambda x, y: (rescale(x), y)")
        if validated:
            lines.append("val_ds = val_ds.map(lambda x, y: (rescale(x), y))")
    elif config.data.scale == "standard":
        lines += ["normalize = keras.layers.Normalization(axis=None)  # one mean and variance over all pixels",
                  "normalize.adapt(train_ds.map(lambda x, y: x))"]
        lines += _mapped("lambda x, y: (normalize(x), y)")
        if validated:
            lines.append("val_ds = val_ds.map(lambda x, y: (normalize(x), y))")
    lines.append("input_shape = train_ds.element_spec[0].shape[1:]")
    return DataPart(lines=lines, arrays=False, validation="validation_data=val_ds" if validated else "",
                    notes=["splits validation images with image_dataset_from_directory's seeded split; dltrain's "
                           "is stratified by class"],
                    class_names=_class_names(config) or None, label_encoding=encoding)


def text_folder_data(config: Config) -> DataPart:
    """``text_dataset_from_directory``, then the config's TextVectorization adapted on the training texts."""
    encoding = config.label_encoding(len(_class_names(config)))
    lines = _read(config, "text_dataset_from_directory", {}, encoding)
    vectorizer = config.model.layers[0]
    validated = bool(config.data.validation_split) or config.data.validation_data == "test"
    lines += ["# The model's first layer, adapted on the training texts and applied to the data,",
              "# as in Keras's text_classification_from_scratch example.",
              "vectorize = " + layer(vectorizer.name, dict(vectorizer.kwargs)),
              "vectorize.adapt(train_ds.map(lambda text, label: text))"]
    lines += _mapped("lambda text, label: (vectorize(text), label)")
    if validated:
        lines.append("val_ds = val_ds.map(lambda text, label: (vectorize(text), label))")
    lines.append("input_shape = train_ds.element_spec[0].shape[1:]")
    return DataPart(lines=lines, arrays=False, validation="validation_data=val_ds" if validated else "",
                    notes=["splits validation texts with text_dataset_from_directory's seeded split; dltrain's is "
                           "a seeded random sample", "the saved model of dltrain takes raw strings; this one "
                           "takes vectorized texts"],
                    class_names=_class_names(config) or None, label_encoding=encoding, skip_layers=1)
