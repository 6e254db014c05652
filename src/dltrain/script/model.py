"""The model section: ``keras.Sequential([...])``, the presets expanded, or the functional API."""

from __future__ import annotations

from typing import Any

from dltrain.config import CNNModel, Config, KerasObject, MLPModel, SequentialModel
from dltrain.config.checks import INPUT_NAME, layer_inputs, layer_names
from dltrain.data.prepare import SHAPE_NEUTRAL_LAYERS
from dltrain.script.python import Code, block, call, layer, literal


def _output(config: Config, spec: KerasObject, units: Any) -> KerasObject:
    """The last Dense with what the config leaves to the data and the loss filled in."""
    return KerasObject(name="Dense", kwargs={"units": units, "activation": config.output_activation(), **spec.kwargs})


def _out_units(task: str, encoding: str) -> Any:
    return 1 if encoding in ("binary", "regression") or task == "regression" else Code("num_classes")


def _regularizer(model: MLPModel | CNNModel) -> dict[str, Any]:
    if not (model.l1 or model.l2):
        return {}
    return {"kernel_regularizer": Code(call("keras.regularizers.L1L2", {"l1": model.l1, "l2": model.l2}))}


def _preset_layers(config: Config, units: Any) -> list[KerasObject]:
    """The layers an mlp or cnn preset stands for, as dltrain's builder makes them."""
    model, specs = config.model, []
    activation = model.activation
    if isinstance(model, CNNModel):
        for conv in model.conv_blocks:
            kernel = conv.kernel_size
            kwargs = {"filters": conv.filters, "kernel_size": kernel, "padding": conv.padding}
            if conv.padding == "valid":
                del kwargs["padding"]
            if model.batch_norm:
                specs += [KerasObject(name="Conv2D", kwargs=kwargs), KerasObject(name="BatchNormalization"),
                          KerasObject(name="Activation", kwargs={"activation": activation})]
            else:
                specs.append(KerasObject(name="Conv2D", kwargs={**kwargs, "activation": activation}))
            if conv.pool_size:
                specs.append(KerasObject(name="MaxPooling2D", kwargs={"pool_size": conv.pool_size}))
        specs.append(KerasObject(name="Flatten"))
    for width in model.hidden_units:
        if model.batch_norm:
            specs += [KerasObject(name="Dense", kwargs={"units": width, **_regularizer(model)}),
                      KerasObject(name="BatchNormalization"), KerasObject(name="Activation",
                                                                          kwargs={"activation": activation})]
        else:
            specs.append(KerasObject(name="Dense", kwargs={"units": width, "activation": activation,
                                                           **_regularizer(model)}))
        if model.dropout:
            specs.append(KerasObject(name="Dropout", kwargs={"rate": model.dropout}))
    out = model.output
    specs.append(KerasObject(name="Dense", kwargs={"units": out.units or units,
                                                   "activation": out.activation or config.output_activation()}))
    return specs


def _application(config: Config, spec: KerasObject, shape_expr: str) -> list[str]:
    """A Keras application, behind the input preprocessing it expects (see dltrain.models.applications)."""
    from dltrain.models.applications import preprocessing_mode

    mode = preprocessing_mode(spec.name)
    to_255 = 255.0 if config.data.scale == "unit" else 1.0
    lines = []
    if mode == "tf":
        lines.append(layer("Rescaling", {"scale": to_255 / 127.5, "offset": -1.0})
                     + f",  # {spec.name}'s preprocess_input: x / 127.5 - 1")
    elif mode == "none" and to_255 != 1.0:
        lines.append(layer("Rescaling", {"scale": to_255}) + f",  # {spec.name} takes 0-255 pixels")
    elif mode != "none":
        raise config.error(f"the script generator writes {spec.name}'s '{mode}' preprocessing as no plain layer; "
                           "use an application of mode tf or none", "model", "layers")
    kwargs = {"input_shape": Code(shape_expr), "weights": None, **spec.kwargs}
    lines.append(call(f"keras.applications.{spec.name}", kwargs) + ",")
    return lines


def _sequential(config: Config, units: Any, skip: int) -> tuple[list[str], list[str]]:
    from dltrain import keras_names

    if isinstance(config.model, SequentialModel):
        specs = list(config.model.layers)
        if specs[-1].name == "Dense":
            specs[-1] = _output(config, specs[-1], units)
    else:
        specs = _preset_layers(config, units)
    lines, shape, classes = ["keras.Input(shape=input_shape),"], "input_shape", []
    for i, spec in enumerate(specs):
        if i < skip:
            continue
        if spec.name in keras_names.application_names():
            if any(s.name not in SHAPE_NEUTRAL_LAYERS and not s.name.startswith("Random") for s in specs[skip:i]):
                # The application is built for the shape it receives: here, the input's.
                raise config.error("the script generator writes an application after shape-keeping layers only",
                                   "model", "layers", i)
            lines += _application(config, spec, shape)
            classes += ["Rescaling", "Functional"]
        else:
            classes.append(spec.name)
            lines.append(layer(spec.name, dict(spec.kwargs)) + ",")
    return ["model = keras.Sequential(["] + block(lines) + ["])"], classes


def _functional(config: Config, units: Any) -> tuple[list[str], list[str]]:
    specs, names = config.model.layers, layer_names(config)
    inputs = layer_inputs(config, names)
    variable = {INPUT_NAME: "inputs"}
    lines = ["inputs = keras.Input(shape=input_shape)"]
    for i, spec in enumerate(specs):
        kwargs = {k: v for k, v in spec.kwargs.items() if k != "inputs"}
        if i == len(specs) - 1 and spec.name == "Dense":
            kwargs = _output(config, KerasObject(name="Dense", kwargs=kwargs), units).kwargs
        name = names[i]
        variable[name] = name if name.isidentifier() else f"x{i}"
        args = [variable[ref] for ref in inputs[i]]
        arg = args[0] if len(args) == 1 else "[" + ", ".join(args) + "]"
        target = "outputs" if i == len(specs) - 1 else variable[name]
        lines.append(f"{target} = {layer(spec.name, kwargs)}({arg})")
    lines.append(f"model = keras.Model(inputs, outputs, name={literal(config.name.replace('.', '_'))})")
    return lines, [spec.name for spec in specs]


def model_lines(config: Config, task: str, encoding: str, skip: int = 0) -> tuple[list[str], list[str]]:
    """The lines that define ``model`` (uncompiled) on ``input_shape``, and its layers' class names.

    Args:
        config: the validated config, its task resolved.
        task: classification or regression.
        encoding: the label encoding (sparse, onehot, binary, regression).
        skip: leading ``model.layers`` the data section already applies (a text folder's TextVectorization).

    Raises:
        UserError: a model this generator cannot write (an application after other shaped layers).
    """
    units = _out_units(task, encoding)
    if config.model.type == "functional":
        return _functional(config, units)
    return _sequential(config, units, skip)
