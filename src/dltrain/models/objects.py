"""Keras objects inside arguments — `kernel_regularizer: {L1L2: {l1: 0.01}}` — built through Keras's registries.

Which objects are nested, and under which family, is decided without
TensorFlow in :mod:`dltrain.config.keras_objects` (so ``dltrain validate``
checks their names); here each is built the way Keras resolves its family:
``keras.regularizers.get``, ``keras.initializers.get``,
``keras.constraints.get`` and ``keras.optimizers.schedules.deserialize`` with
Keras's own ``{class_name, config}`` form, and a nested layer
(``Bidirectional``'s ``layer``) from ``keras.layers`` by class name.
"""

from __future__ import annotations

from typing import Any

from dltrain.config import Config
from dltrain.config.keras_objects import convert_nested
from dltrain.models.arguments import _check_argument_names
from dltrain.models.errors import _first_line
from dltrain.tf_quiet import keras

# Layers that run code or load files: never from a config, nested or not.
CODE_LAYERS = ("Lambda", "TFSMLayer")


def _build(family: str, name: str, args: dict) -> Any:
    if family == "layers":
        cls = getattr(keras.layers, name, None)
        if not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)) or name in CODE_LAYERS:
            raise ValueError(f"'{name}' is not a Keras layer a config can build; see keras.layers")
        return cls(**args)
    module = keras.optimizers.schedules if family == "schedules" else getattr(keras, family)
    cls = getattr(module, name, None)
    if isinstance(cls, type):
        # Keras would wrap a wrong argument in a long "could not be deserialized" message.
        _check_argument_names(cls, args)
    if family == "schedules":
        return module.deserialize({"class_name": name, "config": args})
    return module.get({"class_name": name, "config": args})


def keras_arguments(config: Config, kwargs: dict, *where: str | int) -> dict:
    """``kwargs`` with every nested ``{Name: {...}}`` built as the Keras object it names.

    Args:
        config: the config, to locate errors.
        kwargs: an object's arguments as the config writes them.
        where: the key path of those arguments (``"model", "layers", 0, "Dense"``).

    Raises:
        UserError: Keras refuses a nested object's arguments; the message
            names the argument's file, line and key.
    """

    def build(family: str, name: str, args: dict, path: tuple) -> Any:
        try:
            return _build(family, name, args)
        except (TypeError, ValueError) as err:
            raise config.error(f"{name}: {_first_line(err)}; fix its arguments", *where, *path, name) from None

    return convert_nested(kwargs, build)
