"""Data: sources that load arrays, preparation, and the tf.data pipeline.

``sources`` and ``prepare`` use NumPy only; ``pipeline`` imports TensorFlow.
"""

from dltrain.data.prepare import Prepared, prepare
from dltrain.data.sources import Arrays, load_arrays

__all__ = ["Arrays", "Prepared", "load_arrays", "prepare"]
