"""Data: sources that load arrays, preparation, and the tf.data pipeline.

``sources`` and ``prepare`` use NumPy only; ``pipeline`` imports TensorFlow.
"""

from dltrain.data.prepare import Prepared, encode_labels, model_input_shape, prepare
from dltrain.data.sources import Arrays, load_arrays, load_test_arrays, sample_spec, synthetic_arrays

__all__ = [
    "Arrays", "Prepared", "encode_labels", "load_arrays", "load_test_arrays", "model_input_shape", "prepare",
    "sample_spec", "synthetic_arrays",
]
