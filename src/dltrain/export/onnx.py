"""ONNX, through Keras's ``model.export(format="onnx")`` (tf2onnx), run back with ONNX Runtime.

Keras 3.15.1 turns a ``Normalization`` layer's mean and variance into extra
required graph inputs instead of constants: ONNX Runtime then refuses to run
the model on the raw input alone. Such a graph is refused after export, with
the names of the extra inputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np

from dltrain.errors import UserError
from dltrain.export.savedmodel import input_signature

PACKAGES = ("tf2onnx", "onnx", "onnxruntime")


def write(model: keras.Model, path: Path) -> None:
    """Writes the model's inference graph as an ONNX file."""
    # A model loaded from .keras has never been called: Keras then needs the signature spelled out.
    model.export(str(path), format="onnx", verbose=False, input_signature=[input_signature(model)])


def load(path: Path, model: keras.Model) -> Callable[[Any], np.ndarray]:
    """Opens the file with ONNX Runtime; returns its prediction on the raw input.

    Raises:
        UserError: the graph wants inputs the Keras model does not take.
    """
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [node.name for node in session.get_inputs()]
    expected = len(keras.tree.flatten(model.input))
    if len(names) != expected:
        raise UserError(f"the onnx export wants {len(names)} inputs but the model takes {expected} (extra: "
                        f"{', '.join(names[expected:])}): Keras's ONNX export turns a Normalization layer's "
                        "statistics into graph inputs; export savedmodel, litert or keras instead; it was removed")
    return lambda x: np.asarray(session.run(None, dict(zip(names, keras.tree.flatten(x))))[0])
