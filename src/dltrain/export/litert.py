"""LiteRT (TensorFlow Lite), through Keras's ``model.export(format="litert")``, run with ai-edge-litert."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np

PACKAGES = ("ai_edge_litert",)


def write(model: keras.Model, path: Path) -> None:
    """Converts the model with TensorFlow's converter (float32, no quantization)."""
    model.export(str(path), format="litert", verbose=False)


def load(path: Path) -> Callable[[Any], np.ndarray]:
    """Opens the file with ai-edge-litert's interpreter; returns its prediction on a raw batch."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))

    def predict(x: Any) -> np.ndarray:
        # The converted model has a batch of 1 with a dynamic signature: resize it to the batch.
        (given,) = interpreter.get_input_details()
        interpreter.resize_tensor_input(given["index"], np.shape(x))
        interpreter.allocate_tensors()
        interpreter.set_tensor(given["index"], np.asarray(x, given["dtype"]))
        interpreter.invoke()
        return np.array(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]))

    return predict
