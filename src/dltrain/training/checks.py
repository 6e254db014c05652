"""Checks made before a run directory exists: what Keras will log, and what the config monitors."""

from __future__ import annotations

from dltrain.config import Config
from dltrain.data import model_input_shape, sample_spec
from dltrain.data.bundle import DataBundle
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


def check_build(config: Config) -> keras.Model:
    """Builds and compiles the model without loading the data (``validate --build``).

    The input shape and class count of a built-in dataset are known in advance;
    a local file is read for them.

    Raises:
        UserError: the model cannot be built for the data's shape, or a layer,
            loss, optimizer, metric or callback is wrong.
    """
    sample_shape, num_classes = sample_spec(config)
    model = build_model(config, model_input_shape(config, sample_shape), num_classes, config.label_encoding(num_classes))
    compile_model(model, config)
    make_callbacks(config)
    return model
