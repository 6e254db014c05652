"""Configs: the schema (``schema``), reading files (``loader``), the docs (``reference``).

Importing this package imports neither TensorFlow nor Keras.
"""

from dltrain.config.loader import apply_override, config_from_data, load_config, parse_yaml
from dltrain.config.reference import readme_with_reference, reference_markdown
from dltrain.config.render import config_with_origins
from dltrain.config.schema import (
    BUILTIN_DATASETS,
    FILE_DATASETS,
    CNNModel,
    Config,
    ConvBlock,
    DataConfig,
    KerasObject,
    MLPModel,
    Origin,
    OutputConfig,
    SequentialModel,
    TrainingConfig,
    data_path,
    flatten,
    resolve_seed,
)

__all__ = [
    "BUILTIN_DATASETS", "FILE_DATASETS", "CNNModel", "Config", "ConvBlock", "DataConfig", "KerasObject",
    "MLPModel", "Origin", "OutputConfig", "SequentialModel", "TrainingConfig", "apply_override",
    "config_from_data", "config_with_origins", "data_path", "flatten", "load_config", "parse_yaml",
    "readme_with_reference", "reference_markdown", "resolve_seed",
]
