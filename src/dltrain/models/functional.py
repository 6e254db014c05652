"""``model.type: functional``: a graph of Keras layers, each taking the layers it names.

Keras's functional API, driven by the config: every layer is called on the
tensors of the layers in its ``inputs`` (by default the previous layer's), so
residual connections (``Add``) and branches merged with ``Concatenate`` are
written as a list of layers. The graph's shape (names, order, nothing
dangling) is checked without TensorFlow by :mod:`dltrain.config.checks`; what
only Keras can tell (shapes that do not fit) is reported here at the layer's
line.
"""

from __future__ import annotations

from dltrain.config import Config, KerasObject
from dltrain.config.checks import INPUT_NAME, layer_inputs, layer_names
from dltrain.models.errors import _first_line
from dltrain.tf_quiet import keras

# Layers whose state is computed from data: adapted only in a sequential stack (see models.adapt).
_ADAPTABLE = {"TextVectorization", "Normalization", "StringLookup", "IntegerLookup", "Discretization"}


def _spec_for_keras(spec: KerasObject, name: str, last: bool, num_out: int, config: Config) -> KerasObject:
    """The layer's Keras arguments: dltrain's `inputs` taken out, the name set, the output filled."""
    kwargs = {k: v for k, v in spec.kwargs.items() if k != "inputs"}
    kwargs.setdefault("name", name)
    if last and spec.name == "Dense":
        kwargs = {"units": num_out, "activation": config.output_activation(), **kwargs}
    return KerasObject(name=spec.name, kwargs=kwargs)


def _call(layer, tensors: list, spec: KerasObject, config: Config, i: int):
    try:
        return layer(tensors[0] if len(tensors) == 1 else tensors)
    except (ValueError, TypeError) as err:
        shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
        raise config.error(f"{spec.name} cannot take its inputs of shape {shapes}: {_first_line(err)}",
                           "model", "layers", i) from None


def build_functional(config: Config, input_shape: tuple[int, ...], num_out: int, make_layer) -> keras.Model:
    """The functional model a config's layer graph describes.

    Args:
        config: a config whose ``model.type`` is functional (its graph already checked).
        input_shape: one (preprocessed) sample's shape.
        num_out: units of the output layer, when the config leaves them to the data.
        make_layer: builds one Keras layer from a spec (the builder's own, with its checks).

    Raises:
        UserError: a layer's arguments are wrong, or its inputs' shapes do not fit it.
    """
    specs = config.model.layers
    names, inputs = layer_names(config), layer_inputs(config, layer_names(config))
    tensors = {INPUT_NAME: keras.Input(shape=input_shape, name=INPUT_NAME)}
    for i, spec in enumerate(specs):
        if spec.name in _ADAPTABLE:
            raise config.error(f"{spec.name} learns from the data, which dltrain adapts in sequential models "
                               "only; use model.type: sequential, or data.scale for scaling", "model", "layers", i)
        layer = make_layer(_spec_for_keras(spec, names[i], i == len(specs) - 1, num_out, config), config,
                           "model", "layers", i)
        tensors[names[i]] = _call(layer, [tensors[ref] for ref in inputs[i]], spec, config, i)
    return keras.Model(tensors[INPUT_NAME], tensors[names[-1]], name=config.name.replace(".", "_"))
