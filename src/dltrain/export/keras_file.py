"""The native ``.keras`` file: a copy of the run's model, reloaded in safe mode."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np

from dltrain.export.parity import keras_predictions



def write(source: Path, path: Path) -> None:
    """Copies the run's ``.keras`` file byte for byte."""
    shutil.copyfile(source, path)


def load(path: Path) -> Callable[[Any], np.ndarray]:
    """Reloads the copy with ``safe_mode=True`` (no Lambda bytecode); returns its inference on raw inputs."""
    model = keras.saving.load_model(path, safe_mode=True)
    return lambda x: keras_predictions(model, x)
