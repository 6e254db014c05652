"""Python source for values and Keras calls, written as a person would type them."""

from __future__ import annotations

import json
from typing import Any

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


def layer(class_name: str, kwargs: dict[str, Any]) -> str:
    """``keras.layers.Dense(512, activation="relu")``."""
    return call(f"keras.layers.{class_name}", kwargs, POSITIONAL.get(class_name, ()))


def keras_object(module: str, class_name: str, kwargs: dict[str, Any]) -> str:
    """``keras.optimizers.Adam(learning_rate=0.001)``; a nested one-key mapping is a Keras object too."""
    rendered = {}
    for key, value in kwargs.items():
        if isinstance(value, dict) and len(value) == 1 and module == "optimizers" and key == "learning_rate":
            (name, args), = value.items()
            value = Code(keras_object("optimizers.schedules", name, args or {}))
        rendered[key] = value
    return call(f"keras.{module}.{class_name}", rendered)


def block(lines: list[str], indent: str = "    ") -> list[str]:
    """Lines indented one level."""
    return [indent + line if line else line for line in lines]
