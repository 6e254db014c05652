"""Configs: the schema (``schema``, ``keras_objects``, ``data_section``, ``model_sections``,
``training_section``), reading files (``yamlfile``,
``loader``, ``overrides``), key paths (``paths``), rendering (``render``) and the docs (``reference``).

Importing this package imports neither TensorFlow nor Keras.
"""

from dltrain.config.loader import config_from_data, load_config
from dltrain.config.overrides import apply_override
from dltrain.config.yamlfile import parse_yaml
from dltrain.config.reference import readme_with_reference, reference_markdown
from dltrain.config.render import config_with_origins
from dltrain.config.keras_objects import KerasObject, Origin
from dltrain.config.model_sections import CNNModel, ConvBlock, MLPModel, OutputConfig, SequentialModel
from dltrain.config.paths import flatten
from dltrain.config.data_section import BUILTIN_DATASETS, FILE_DATASETS, DataConfig
from dltrain.config.schema import Config, data_path, resolve_seed
from dltrain.config.training_section import TrainingConfig

__all__ = [
    "BUILTIN_DATASETS", "FILE_DATASETS", "CNNModel", "Config", "ConvBlock", "DataConfig", "KerasObject",
    "MLPModel", "Origin", "OutputConfig", "SequentialModel", "TrainingConfig", "apply_override",
    "config_from_data", "config_with_origins", "data_path", "flatten", "load_config", "parse_yaml",
    "readme_with_reference", "reference_markdown", "resolve_seed",
]
