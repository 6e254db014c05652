"""Configs: the schema (``schema``, ``keras_objects``, ``model_sections``), reading files (``yamlfile``,
``loader``), key paths (``paths``), rendering (``render``) and the docs (``reference``).

Importing this package imports neither TensorFlow nor Keras.
"""

from dltrain.config.loader import apply_override, config_from_data, load_config, parse_yaml
from dltrain.config.reference import readme_with_reference, reference_markdown
from dltrain.config.render import config_with_origins
from dltrain.config.keras_objects import KerasObject, Origin
from dltrain.config.model_sections import CNNModel, ConvBlock, MLPModel, OutputConfig, SequentialModel
from dltrain.config.paths import flatten
from dltrain.config.schema import (
    BUILTIN_DATASETS,
    FILE_DATASETS,
    Config,
    DataConfig,
    TrainingConfig,
    data_path,
    resolve_seed,
)

__all__ = [
    "BUILTIN_DATASETS", "FILE_DATASETS", "CNNModel", "Config", "ConvBlock", "DataConfig", "KerasObject",
    "MLPModel", "Origin", "OutputConfig", "SequentialModel", "TrainingConfig", "apply_override",
    "config_from_data", "config_with_origins", "data_path", "flatten", "load_config", "parse_yaml",
    "readme_with_reference", "reference_markdown", "resolve_seed",
]
