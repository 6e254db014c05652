"""Checks made before a run directory exists: what Keras will log, and what the config monitors."""

from __future__ import annotations

import numpy as np

from dltrain.config import Config
from dltrain.data import load_bundle, model_input_shape, sample_spec
from dltrain.data.bundle import DataBundle
from dltrain.data.table import needs_table_kind
from dltrain.models import build_model, compile_model, make_callbacks
from dltrain.tf_quiet import keras, tf


def default_monitor(config: Config, data: DataBundle) -> str:
    """The value that picks the best checkpoint: the config's, else val_loss (or loss without validation)."""
    return config.training.monitor or ("val_loss" if data.has_validation else "loss")


def logged_names(model: keras.Model, data: DataBundle, config: Config) -> list[str]:
    """The names ``fit`` will log, read from Keras by evaluating one batch.

    This also catches, before any run directory exists, a loss or output that
    does not fit the labels.
    """
    one_batch = data.train.dataset.take(1)
    try:
        names = list(model.evaluate(one_batch, verbose=0, return_dict=True))
    except (ValueError, TypeError, tf.errors.InvalidArgumentError) as err:
        message = " ".join(str(err).split())[:300]
        raise config.error(
            f"the model's output does not fit the labels for loss '{config.loss.name}': {message}", "loss"
        ) from None
    if data.has_validation:
        names += [f"val_{name}" for name in names]
    return names


def check_monitors(config: Config, callbacks: list, names: list[str], monitor: str) -> None:
    """Refuses a monitored name (the config's or a callback's) that Keras will not log."""
    valid = ", ".join(names)
    if monitor not in names:
        why = " (there is no validation data)" if monitor.startswith("val_") and not any(
            n.startswith("val_") for n in names) else ""
        raise config.error(f"monitor '{monitor}' is not logged{why}; valid names: {valid}", "training", "monitor")
    for i, cb in enumerate(callbacks):
        watched = getattr(cb, "monitor", None)
        if isinstance(watched, str) and watched not in names:
            raise config.error(
                f"{type(cb).__name__} monitors '{watched}', which is not logged; set monitor to one of: {valid}",
                "training", "callbacks", i,
            )


def _built_for_data(config: Config) -> tuple[Config, keras.Model, bool, str]:
    """(the config with its task resolved, the uncompiled model, whether validation is logged, the label encoding)."""
    validated = bool(config.data.validation_split) or config.data.validation_data == "test"
    if config.data.dataset in ("image_folder", "text_folder") or needs_table_kind(config):
        data = load_bundle(config, config.seed or 0, smoke=True)  # their shapes come from the files
        config = config.for_task(data.task)
        model = build_model(config, data.input_shape, data.num_classes, data.label_encoding,
                            skip=data.extras.get("layers_in_preprocessing", 0))
        return config, model, data.has_validation, data.label_encoding
    sample_shape, num_classes, continuous = sample_spec(config)
    config = config.for_task(config.resolve_task(continuous))
    encoding = config.label_encoding(num_classes)
    model = build_model(config, model_input_shape(config, sample_shape), num_classes, encoding)
    return config, model, validated, encoding


def _logged_on_dummy_batch(model: keras.Model, validated: bool, encoding: str) -> list[str]:
    """The names ``fit`` will log, from one evaluation on zeros (labels encoded as the loss wants them)."""
    x = np.zeros((2, *model.input_shape[1:]), np.float32)
    if encoding == "sparse":
        y = np.zeros((2,), np.int32)
    else:
        y = np.zeros((2, *model.output_shape[1:]), np.float32)
        y[:, 0] = 1.0 if encoding == "onehot" else 0.0
    names = list(model.evaluate(x, y, verbose=0, return_dict=True))
    return names + [f"val_{name}" for name in names] if validated else names


def check_build(config: Config) -> keras.Model:
    """Builds and compiles the model without training it (``validate --build``).

    The input shape and class count of a built-in dataset are known in advance;
    a local file, or a few files of a folder, are read for them. The monitored
    names are checked against what Keras will log.

    Raises:
        UserError: the model cannot be built for the data's shape, or a layer,
            loss, optimizer, metric, callback or monitored name is wrong.
    """
    config, model, validated, encoding = _built_for_data(config)
    compile_model(model, config)
    callbacks = make_callbacks(config)
    if len(model.inputs) == 1 and model.inputs[0].dtype == "float32":  # strings cannot be zeros
        monitor = config.training.monitor or ("val_loss" if validated else "loss")
        check_monitors(config, callbacks, _logged_on_dummy_batch(model, validated, encoding), monitor)
    return model
