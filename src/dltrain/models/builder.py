"""The model builder: a validated config → an uncompiled Keras model, checked on a dummy batch."""

from __future__ import annotations

from dltrain.config import CNNModel, Config, KerasObject, MLPModel, SequentialModel
from dltrain.config.model_sections import FunctionalModel
from dltrain.config.limits import MAX_LAYER_WIDTH
from dltrain.errors import UserError
from dltrain.models import applications
from dltrain.models.errors import _first_line
from dltrain.models.functional import build_functional
from dltrain.models.objects import CODE_LAYERS, keras_arguments
from dltrain.tf_quiet import keras


def _layer(spec: KerasObject, config: Config, *path: str | int) -> keras.layers.Layer:
    cls = getattr(keras.layers, spec.name, None)
    if not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)):
        raise config.error(f"'{spec.name}' is not a Keras layer; see keras.layers", *path)
    if spec.name in CODE_LAYERS:
        raise config.error(f"{spec.name} runs code or loads files and cannot come from a config", *path)
    for name in ("units", "filters"):
        width = spec.kwargs.get(name)
        if isinstance(width, int) and not isinstance(width, bool) and width > MAX_LAYER_WIDTH:
            raise config.error(f"{name} {width} is over the limit of {MAX_LAYER_WIDTH:,}; its weights could not be "
                               "allocated", *path, spec.name, name)
    kwargs = keras_arguments(config, spec.kwargs, *path, spec.name)
    try:
        return cls(**kwargs)
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
    return 1 if label_encoding in ("binary", "regression") else num_classes


def _layers(config: Config, num_out: int, input_shape: tuple[int, ...], skip: int = 0) -> list[keras.layers.Layer]:
    model_cfg = config.model
    if isinstance(model_cfg, SequentialModel):
        specs = list(model_cfg.layers)
        last = specs[-1]
        if last.name == "Dense":
            # The last Dense is the output: fill what the user left to the data and the loss.
            kwargs = {"units": num_out, "activation": config.output_activation(), **last.kwargs}
            specs[-1] = KerasObject(name="Dense", kwargs=kwargs)
        layers: list[keras.layers.Layer] = []
        for i, spec in enumerate(specs):
            if i < skip:
                continue  # built, adapted and carried by the data's preprocessing
            if applications.is_application(spec.name):  # built for the shape it receives here
                shape = keras.Sequential([keras.Input(shape=input_shape), *layers]).output_shape[1:] if layers \
                    else input_shape
                layers += applications.application_layers(spec, config, tuple(shape), "model", "layers", i)
            else:
                layers.append(_layer(spec, config, "model", "layers", i))
        return layers
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


def build_model(config: Config, input_shape: tuple[int, ...], num_classes: int, label_encoding: str,
                skip: int = 0) -> keras.Model:
    """Builds the (uncompiled) Keras model a config describes.

    Args:
        config: the validated config.
        input_shape: the shape of one sample, as the data pipeline gives it.
        num_classes: classes in the dataset.
        label_encoding: ``sparse``, ``binary``, ``onehot`` or ``regression`` (see :meth:`Config.label_encoding`).
        skip: leading ``model.layers`` the data's preprocessing already holds
            (a text folder's adapted ``TextVectorization``).

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
    if isinstance(config.model, FunctionalModel):
        model = build_functional(config, input_shape, num_out, _layer)
    else:
        layers = _layers(config, num_out, input_shape, skip)
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
                           *(("model", "layers") if isinstance(config.model, (SequentialModel, FunctionalModel))
                             else ("model",))) from None


def _check_output(config: Config, model: keras.Model, num_out: int) -> None:
    shape = tuple(model.output_shape)
    where = ("model", "layers", len(config.model.layers) - 1) if isinstance(
        config.model, (SequentialModel, FunctionalModel)) else ("model", "output", "units")
    if len(shape) != 2:
        raise config.error(
            f"the model's output has shape {shape} but one vector per sample is needed; add a Flatten "
            "(or pooling) layer before the last Dense",
            *where,
        )
    if shape[-1] != num_out and config.task == "regression":
        raise config.error(f"the output layer has {shape[-1]} units but a regression predicts one number; set "
                           "units: 1 (or leave it out)", *where)
    if shape[-1] != num_out:
        raise config.error(
            f"the output layer has {shape[-1]} units but the data has {num_out if num_out > 1 else 2} classes "
            f"and loss '{config.loss.name}' needs {num_out}; set units: {num_out} (or leave it out)",
            *where,
        )
    _check_loss_fits_activation(config, model, where)


def _output_activation(model: keras.Model) -> str | None:
    activation = getattr(model.layers[-1], "activation", None)
    return getattr(activation, "__name__", None)


def _check_loss_fits_activation(config: Config, model: keras.Model, where: tuple) -> None:
    """Refuses loss and output pairs that cannot learn, with the fix."""
    loss, units = config.loss.name.lower(), int(model.output_shape[-1])
    activation = _output_activation(model)
    logits = bool(config.loss.kwargs.get("from_logits"))
    crossentropy = "crossentropy" in loss or loss in ("bce", "cce")
    if activation == "softmax" and units == 1:
        raise config.error("a one-unit softmax always outputs 1.0 and cannot learn; use sigmoid with "
                           "binary_crossentropy, or one unit per class", *where)
    if activation == "softmax" and ("binary" in loss or loss == "bce"):
        raise config.error(f"a softmax output with loss '{config.loss.name}' cannot learn what it should: use "
                           "activation: sigmoid for binary_crossentropy, or categorical_crossentropy with softmax",
                           *where)
    if crossentropy and not logits and activation in ("linear", "relu"):
        raise config.error(f"loss '{config.loss.name}' expects probabilities but the output activation is "
                           f"{activation}; use softmax (sigmoid for binary), or give the loss from_logits: true",
                           *where)
    if config.task == "regression" and activation in ("softmax", "sigmoid") and not logits:
        raise config.error(f"a regression's output cannot be a {activation} (it squashes the prediction); use "
                           "activation: linear (or leave it out)", *where)
