"""Python source for values and Keras calls, written as a person would type them."""

from __future__ import annotations

import json
from typing import Any

from dltrain import keras_names
from dltrain.config.keras_objects import convert_nested

# Leading arguments a person passes by position (``Dense(512, activation="relu")``).
POSITIONAL = {
    "Dense": ("units",),
    "Conv1D": ("filters", "kernel_size"),
    "Conv2D": ("filters", "kernel_size"),
    "Conv3D": ("filters", "kernel_size"),
    "MaxPooling1D": ("pool_size",),
    "MaxPooling2D": ("pool_size",),
    "AveragePooling2D": ("pool_size",),
    "Dropout": ("rate",),
    "Activation": ("activation",),
    "Embedding": ("input_dim", "output_dim"),
}


class Code(str):
    """Source text written as is (a variable or an expression), not quoted as a value."""


def literal(value: Any) -> str:
    """A value as Python source: strings double-quoted, lists as tuples (Keras's shapes and sizes).

    Example:
        >>> literal([3, 3])
        '(3, 3)'
    """
    if isinstance(value, Code):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def call(function: str, kwargs: dict[str, Any], positional: tuple[str, ...] = ()) -> str:
    """``function(a, b, key=value)``: the ``positional`` names first, by position, while all are given."""
    args, rest = [], dict(kwargs)
    for name in positional:
        if name not in rest:
            break
        args.append(literal(rest.pop(name)))
    args += [f"{k}={literal(v)}" for k, v in rest.items()]
    return f"{function}({', '.join(args)})"


def _nested(family: str, name: str, args: dict[str, Any], path: tuple) -> Code:
    """A Keras object inside arguments, as the call that builds it (``keras.regularizers.L1L2(l1=0.01)``)."""
    if family == "layers":
        return Code(call(f"keras.layers.{name}", args, POSITIONAL.get(name, ())))
    if not name[:1].isupper():  # 'l2' → L2: the class, as a person writes it
        name = keras_names.class_for(family, name) or name
    module = "optimizers.schedules" if family == "schedules" else family
    return Code(call(f"keras.{module}.{name}", args))


def objects_as_calls(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Arguments with each nested `{Name: {...}}` Keras object written as the call that builds it."""
    return convert_nested(kwargs, _nested)


def layer(class_name: str, kwargs: dict[str, Any]) -> str:
    """``keras.layers.Dense(512, activation="relu")``."""
    return call(f"keras.layers.{class_name}", objects_as_calls(kwargs), POSITIONAL.get(class_name, ()))


def keras_object(module: str, class_name: str, kwargs: dict[str, Any]) -> str:
    """``keras.optimizers.Adam(learning_rate=0.001)``; a nested one-key mapping is a Keras object too."""
    return call(f"keras.{module}.{class_name}", objects_as_calls(kwargs))


def block(lines: list[str], indent: str = "    ") -> list[str]:
    """Lines indented one level."""
    return [indent + line if line else line for line in lines]
