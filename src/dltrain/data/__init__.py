"""Data: sources that load arrays, preparation, the tf.data pipeline, and one bundle per data kind.

``sources`` and ``prepare`` use NumPy only; ``pipeline``, ``preprocessing``
and the bundles import TensorFlow (:func:`load_bundle` imports them when called).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dltrain.data.prepare import Prepared, encode_labels, model_input_shape, prepare
from dltrain.data.sources import Arrays, load_arrays, load_test_arrays, sample_spec, synthetic_arrays

if TYPE_CHECKING:
    from dltrain.config import Config
    from dltrain.data.bundle import DataBundle


def load_bundle(config: Config, seed: int, smoke: bool = False, synthetic: bool = False) -> DataBundle:
    """The config's data as a :class:`~dltrain.data.bundle.DataBundle`, whatever its kind.

    Args:
        config: the validated config.
        seed: the run's seed (splits and shuffling).
        smoke: a couple of batches only.
        synthetic: with ``smoke``, generated data of a built-in dataset's shape.

    Raises:
        UserError: the data cannot be found or read, or does not fit the config.
    """
    if config.data.dataset == "image_folder":
        from dltrain.data.image_folder import image_folder_bundle

        return image_folder_bundle(config, seed, smoke)
    if config.data.dataset == "text_folder":
        from dltrain.data.text_folder import text_folder_bundle

        return text_folder_bundle(config, seed, smoke)
    from dltrain.data.table import needs_table_kind

    if needs_table_kind(config):
        from dltrain.data.table import table_bundle

        return table_bundle(config, seed, smoke)
    from dltrain.data.in_memory import in_memory_bundle

    return in_memory_bundle(config, seed, smoke, synthetic)


__all__ = [
    "Arrays", "Prepared", "encode_labels", "load_arrays", "load_bundle", "load_test_arrays", "model_input_shape",
    "prepare", "sample_spec", "synthetic_arrays",
]
