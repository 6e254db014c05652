"""The model builder: a validated config → a compiled Keras model.

Every name resolves through Keras's own registries (``keras.layers``,
``keras.losses.get``, ``keras.optimizers.get``, ``keras.metrics.get``,
``keras.callbacks``); nothing here lists Keras's objects again. Keras's own
errors (a wrong argument, an impossible shape) come back as :class:`UserError`
pointing at the config line that caused them.

Build and compile inside a ``tf.distribute`` strategy's scope to place the
variables: :func:`dltrain.training.fit` does so.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

import difflib

from dltrain.config import CNNModel, Config, KerasObject, MLPModel, SequentialModel
from dltrain.config.limits import MAX_LAYER_WIDTH
from dltrain.errors import UserError
from dltrain.tf_quiet import keras


def _first_line(err: Exception) -> str:
    text = " ".join(str(err).split())  # Keras's messages span lines and carry ANSI bold
    return text.replace("\x1b[1m", "").replace("\x1b[0m", "").replace("[1m", "").replace("[0m", "")[:300]


def _layer(spec: KerasObject, config: Config, *path: str | int) -> keras.layers.Layer:
    cls = getattr(keras.layers, spec.name, None)
    if not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)):
        raise config.error(f"'{spec.name}' is not a Keras layer; see keras.layers", *path)
    if spec.name in ("Lambda", "TFSMLayer"):
        raise config.error(f"{spec.name} runs code or loads files and cannot come from a config", *path)
    for name in ("units", "filters"):
        width = spec.kwargs.get(name)
        if isinstance(width, int) and not isinstance(width, bool) and width > MAX_LAYER_WIDTH:
            raise config.error(f"{name} {width} is over the limit of {MAX_LAYER_WIDTH:,}; its weights could not be "
                               "allocated", *path, spec.name, name)
    try:
        return cls(**spec.kwargs)
    except (TypeError, ValueError) as err:
        raise config.error(f"{spec.name}: {_first_line(err)}; fix its arguments", *path, spec.name) from None


def _regularizer(l1: float, l2: float):
    return keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None


def _dense_head(model_cfg: MLPModel | CNNModel) -> list[keras.layers.Layer]:
    """Hidden Dense layers: Dense → (BatchNorm → Activation) → Dropout."""
    layers = []
    for units in model_cfg.hidden_units:
        regularizer = _regularizer(model_cfg.l1, model_cfg.l2)
        if model_cfg.batch_norm:
            layers += [
                keras.layers.Dense(units, kernel_regularizer=regularizer),
                keras.layers.BatchNormalization(),
                keras.layers.Activation(model_cfg.activation),
            ]
        else:
            layers.append(keras.layers.Dense(units, activation=model_cfg.activation, kernel_regularizer=regularizer))
        if model_cfg.dropout:
            layers.append(keras.layers.Dropout(model_cfg.dropout))
    return layers


def _conv_blocks(model_cfg: CNNModel) -> list[keras.layers.Layer]:
    layers = []
    for block in model_cfg.conv_blocks:
        kernel = tuple(block.kernel_size) if isinstance(block.kernel_size, tuple) else block.kernel_size
        if model_cfg.batch_norm:
            layers += [
                keras.layers.Conv2D(block.filters, kernel, padding=block.padding),
                keras.layers.BatchNormalization(),
                keras.layers.Activation(model_cfg.activation),
            ]
        else:
            layers.append(keras.layers.Conv2D(block.filters, kernel, padding=block.padding, activation=model_cfg.activation))
        if block.pool_size:
            layers.append(keras.layers.MaxPooling2D(block.pool_size))
    return layers + [keras.layers.Flatten()]


def output_units(label_encoding: str, num_classes: int) -> int:
    """Units of the output layer for the label encoding."""
    return 1 if label_encoding == "binary" else num_classes


def _layers(config: Config, num_out: int) -> list[keras.layers.Layer]:
    model_cfg = config.model
    if isinstance(model_cfg, SequentialModel):
        specs = list(model_cfg.layers)
        last = specs[-1]
        if last.name == "Dense":
            # The last Dense is the output: fill what the user left to the data and the loss.
            kwargs = {"units": num_out, "activation": config.output_activation(), **last.kwargs}
            specs[-1] = KerasObject(name="Dense", kwargs=kwargs)
        return [_layer(spec, config, "model", "layers", i) for i, spec in enumerate(specs)]
    head = _conv_blocks(model_cfg) if isinstance(model_cfg, CNNModel) else []
    head += _dense_head(model_cfg)
    out = model_cfg.output
    head.append(keras.layers.Dense(out.units or num_out, activation=out.activation or config.output_activation()))
    return head


def _shape_error(config: Config, err: Exception, input_shape: tuple[int, ...]) -> UserError:
    if isinstance(config.model, SequentialModel):
        # Keras names the failing layer by its auto-generated name; find which of ours it is.
        where = ("model", "layers")
    elif isinstance(config.model, CNNModel):
        where = ("model", "conv_blocks")
    else:
        where = ("model",)
    hint = ""
    if len(input_shape) == 1 and not isinstance(config.model, MLPModel):
        hint = " (the data is 1-D: a convolutional model needs images; use model.type: mlp)"
    return config.error(
        f"the model cannot take inputs of shape {input_shape}: {_first_line(err)}{hint}", *where
    )


def build_model(config: Config, input_shape: tuple[int, ...], num_classes: int, label_encoding: str) -> keras.Model:
    """Builds the (uncompiled) Keras model a config describes.

    Args:
        config: the validated config.
        input_shape: the shape of one sample, as the data pipeline gives it.
        num_classes: classes in the dataset.
        label_encoding: ``sparse``, ``binary`` or ``onehot`` (see :meth:`Config.label_encoding`).

    Raises:
        UserError: a layer's arguments are wrong, a shape is impossible, or the
            output does not match the number of classes.
    """
    num_out = output_units(label_encoding, num_classes)
    if isinstance(config.model, CNNModel) and len(input_shape) != 3:
        raise config.error(
            f"a cnn needs images (height, width, channels) but the data has samples of shape {input_shape}; "
            "use model.type: mlp for flat features",
            "model",
            "type",
        )
    layers = _layers(config, num_out)
    try:
        model = keras.Sequential([keras.Input(shape=input_shape), *layers], name=config.name.replace(".", "_"))
    except (ValueError, TypeError) as err:
        raise _shape_error(config, err, input_shape) from None
    _check_output(config, model, num_out)
    _check_runs(config, model, input_shape)
    return model


def _check_runs(config: Config, model: keras.Model, input_shape: tuple[int, ...]) -> None:
    """Runs the model once on a dummy batch of two samples, as training will.

    Some layer arguments fail only when the layer first runs (a Dropout
    `noise_shape` of the wrong rank); this finds them before a run starts.
    """
    import numpy as np

    try:
        model(np.zeros((2, *input_shape), np.float32), training=True)
    except Exception as err:  # noqa: BLE001  (TensorFlow raises its own error types from inside a layer)
        raise config.error(f"the model fails on a batch of 2 samples: {_first_line(err)}; fix the layer arguments",
                           *(("model", "layers") if isinstance(config.model, SequentialModel) else ("model",))) from None


def _check_output(config: Config, model: keras.Model, num_out: int) -> None:
    shape = tuple(model.output_shape)
    where = ("model", "layers", len(config.model.layers) - 1) if isinstance(config.model, SequentialModel) else (
        "model", "output", "units")
    if len(shape) != 2:
        raise config.error(
            f"the model's output has shape {shape} but one vector per sample is needed; add a Flatten "
            "(or pooling) layer before the last Dense",
            *where,
        )
    if shape[-1] != num_out:
        raise config.error(
            f"the output layer has {shape[-1]} units but the data has {num_out if num_out > 1 else 2} classes "
            f"and loss '{config.loss.name}' needs {num_out}; set units: {num_out} (or leave it out)",
            *where,
        )


def _resolve(module: Any, spec: KerasObject, config: Config, *path: str | int):
    """A Keras loss or metric from its registry (the config ensures only classes take arguments)."""
    try:
        if not spec.kwargs:
            return module.get(spec.name)
        return module.get({"class_name": spec.name, "config": spec.kwargs})
    except (TypeError, ValueError) as err:
        raise config.error(f"{spec.name}: {_first_line(err)}", *path) from None


def _optimizer_class(name: str) -> type | None:
    """The optimizer class a name resolves to (None for names Keras alone resolves)."""
    try:
        found = keras.optimizers.get(name)
    except (TypeError, ValueError):
        return None
    return type(found)


def make_optimizer(config: Config) -> keras.optimizers.Optimizer:
    """The configured optimizer, its learning-rate schedule resolved through Keras."""
    spec = config.optimizer
    kwargs = dict(spec.kwargs)
    lr = kwargs.get("learning_rate")
    try:
        if isinstance(lr, dict) and len(lr) == 1:
            (name, args), = lr.items()
            kwargs["learning_rate"] = keras.optimizers.schedules.deserialize({"class_name": name, "config": args or {}})
        cls = _optimizer_class(spec.name)
        if cls is not None:
            _check_argument_names(cls, spec.kwargs, keras.optimizers.Optimizer)
            _check_argument_types(cls, {k: v for k, v in spec.kwargs.items() if k != "learning_rate" or
                                        not isinstance(v, dict)}, keras.optimizers.Optimizer)
        return keras.optimizers.get({"class_name": spec.name, "config": kwargs})
    except (TypeError, ValueError) as err:
        raise config.error(f"{spec.name}: {_first_line(err)}", "optimizer") from None


# Layers XLA compiles well on CPU. Measured here (2-core CPU, TF 2.21): the seed
# MLP trains ~40 % faster per epoch with XLA and steps_per_execution=32; the
# seed CNN ~75 % slower (tensorflow#58142). Anything else stays off.
XLA_FRIENDLY = {"Dense", "Dropout", "Flatten", "Activation", "BatchNormalization", "Reshape", "InputLayer"}


def use_xla(config: Config, model: keras.Model) -> bool:
    """Whether to compile with XLA: the config's choice, or what measured faster ('auto')."""
    choice = config.training.jit_compile
    if choice != "auto":
        return bool(choice)
    if config.training.deterministic:
        return False
    return all(type(layer).__name__ in XLA_FRIENDLY for layer in model.layers)


def compile_model(model: keras.Model, config: Config, inference: bool = False,
                  optimizer: keras.optimizers.Optimizer | None = None) -> keras.Model:
    """Compiles a model with the config's loss, optimizer and metrics.

    Args:
        model: the model.
        config: the validated config.
        inference: the model is only evaluated and saved (the model that
            takes raw inputs): no XLA, so what Keras alone computes after
            loading it is what the run reports.
        optimizer: an optimizer to share (the trained model's, so the saved
            model carries its state); default: a new one from the config.
    """
    loss = _resolve(keras.losses, config.loss, config, "loss")
    metrics = [
        m.name if not m.kwargs else _resolve(keras.metrics, m, config, "metrics", i)
        for i, m in enumerate(config.metrics)
    ]
    model.compile(
        optimizer=optimizer or make_optimizer(config),
        loss=loss,
        metrics=metrics,
        steps_per_execution=config.training.steps_per_execution,
        jit_compile=False if inference else use_xla(config, model),
    )
    return model


# Callbacks whose arguments are Python functions, which a config cannot hold.
CODE_CALLBACKS = {"LambdaCallback", "LearningRateScheduler"}


def _check_argument_names(cls: type, kwargs: dict, *more: type) -> None:
    """Refuses an argument the class does not declare.

    Keras's callbacks and optimizers take ``**kwargs``, so a misspelled
    argument (`factr: 0.5`) would be accepted and ignored.
    """
    known = [n for c in (cls, *more) for n, p in inspect.signature(c.__init__).parameters.items()
             if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    for name in kwargs:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise TypeError(f"unknown argument '{name}'; {hint}its arguments: {', '.join(dict.fromkeys(known))}")


def _check_argument_types(cls: type, kwargs: dict, *more: type) -> None:
    """Refuses a text where the class's default says a number or a flag.

    Keras's callbacks take their arguments unchecked: `patience: many` would
    only fail at the end of the first epoch, deep inside training.
    """
    params = {n: p for c in (*more, cls) for n, p in inspect.signature(c.__init__).parameters.items()}
    for name, value in kwargs.items():
        default = params[name].default if name in params else None
        if isinstance(default, bool) and not isinstance(value, bool):
            raise TypeError(f"{name} must be true or false, got {value!r}")
        if isinstance(default, (int, float)) and not isinstance(default, bool) and (
                isinstance(value, bool) or not isinstance(value, (int, float))):
            raise TypeError(f"{name} must be a number (default {default}), got {value!r}")


def make_callbacks(config: Config) -> list[keras.callbacks.Callback]:
    """The user's Keras callbacks, by name from ``keras.callbacks``."""
    callbacks = []
    for i, spec in enumerate(config.training.callbacks):
        cls = getattr(keras.callbacks, spec.name, None)
        if not (isinstance(cls, type) and issubclass(cls, keras.callbacks.Callback)):
            raise config.error(f"'{spec.name}' is not a Keras callback", "training", "callbacks", i)
        if spec.name in CODE_CALLBACKS:
            raise config.error(f"{spec.name} takes Python functions and cannot come from a config",
                               "training", "callbacks", i)
        try:
            _check_argument_names(cls, spec.kwargs)
            _check_argument_types(cls, spec.kwargs)
            callbacks.append(cls(**spec.kwargs))
        except (TypeError, ValueError) as err:
            raise config.error(f"{spec.name}: {_first_line(err)}", "training", "callbacks", i, spec.name) from None
    return callbacks


def summary_text(model: keras.Model) -> str:
    """The model summary (layers, output shapes, parameters) as plain text."""
    lines: list[str] = []
    # Keras renders the table with rich, which cuts it to the terminal's width
    # (80 columns when there is no terminal); give it room for the full table.
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "200"
    try:
        model.summary(print_fn=lambda line, line_break=True: lines.append(line))
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous
    return "\n".join(lines) + "\n"
