"""The config schema: the single source of truth for keys, defaults and docs.

Every key is declared here once, with its default and its description; the
README's config reference is generated from these declarations
(``python -m dltrain.config`` rewrites it, and a test fails when it is stale).

Keras objects (layers, losses, optimizers, metrics, callbacks, learning-rate
schedules) are written the same way everywhere: a bare name, or a mapping of
one name to its keyword arguments::

    loss: categorical_crossentropy
    optimizer: {SGD: {learning_rate: 0.01, momentum: 0.9}}
    layers:
      - Conv2D: {filters: 32, kernel_size: 3, activation: relu}
      - Flatten

Names are Keras's own and resolve through Keras's registries at build time.
This module imports neither TensorFlow nor Keras.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from dltrain.config.data_section import DataConfig
from dltrain.config.keras_objects import KerasObject, LossSpec, MetricSpec, OptimizerSpec, Origin, Section
from dltrain.config.limits import MAX_SEED
from dltrain.config.model_sections import MLPModel, ModelConfig
from dltrain.config.search import SearchConfig
from dltrain.config.search_checks import check_search
from dltrain.config.training_section import TrainingConfig
from dltrain.config.tasks import TaskRules
from dltrain import keras_names
from dltrain.errors import UserError, format_key


class MLflowConfig(Section):
    """Experiment tracking with MLflow (optional; needs the mlflow or mlflow-skinny package)."""

    uri: str = Field(description="Tracking URI: http(s)://server, file:./mlruns, sqlite:///mlflow.db (full mlflow).")
    experiment: str | None = Field(None, description="Experiment name. Default: the config's name.")


class TrackingConfig(Section):
    """Where runs are reported besides the run directory."""

    mlflow: MLflowConfig | None = Field(
        None, description="Log params, per-epoch metrics and the run's files to MLflow. Default: off."
    )


class Config(Section, TaskRules):
    """A dltrain run: data, model, loss, optimizer, metrics and training."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)] = Field(
        "run", description="Names the run directories. Default: the config file's name."
    )
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] | None = Field(
        42, description="Seeds Python, NumPy and TensorFlow; null picks one at random (recorded in the run)."
    )
    task: Literal["auto", "classification", "regression"] = Field(
        "auto",
        description="classification or regression. auto: regression when the labels have fractions or are "
        "floats of more than 50 values, or when "
        "the loss is a regression loss (mse, mae, huber, ...) and the output layer has one unit; "
        "classification otherwise. A regression gets a one-unit linear output, float targets, mse and "
        "[mae] unless the config names its own loss and metrics, and reports MAE, "
        "RMSE and R² with predicted-vs-true and residual plots.",
    )
    backend: Literal["tensorflow", "jax", "auto"] = Field(
        "tensorflow",
        description="The Keras backend that trains (set before Keras is imported); the data pipeline is "
        "tf.data on both, and model.keras loads on either. auto: the backend measured fastest for the "
        "run (bench/RESULTS.md): tensorflow, except jax for multi_worker; the run prints and records "
        "the choice and why. The two backends draw other initial weights from one seed, so results "
        "differ as between two seeds.",
    )
    data: DataConfig = Field(default_factory=DataConfig, description="The dataset.")
    model: ModelConfig = Field(default_factory=MLPModel, description="The network.")
    loss: LossSpec = Field(
        KerasObject(name="sparse_categorical_crossentropy"),
        description="Any Keras loss. Labels are encoded to match: integers for sparse_* losses, one-hot otherwise.",
    )
    optimizer: OptimizerSpec = Field(
        KerasObject(name="adam"),
        description="Any Keras optimizer with its arguments; `learning_rate` may be a schedule, "
        "e.g. `{ExponentialDecay: {initial_learning_rate: 0.1, decay_steps: 1000, decay_rate: 0.9}}`.",
    )
    metrics: list[MetricSpec] = Field(
        default_factory=lambda: [KerasObject(name="accuracy")], description="Keras metrics to log."
    )
    training: TrainingConfig = Field(default_factory=TrainingConfig, description="Epochs, batches, callbacks.")
    tracking: TrackingConfig = Field(default_factory=TrackingConfig, description="Experiment tracking (off by default).")
    search: SearchConfig | None = Field(
        None, description="A hyperparameter search for `dltrain tune` (see README); `dltrain fit` ignores it.")

    # Where the config came from: not keys a user can write, so private attributes.
    _source: str | None = PrivateAttr(None)
    _origins: dict[tuple, Origin] = PrivateAttr(default_factory=dict)
    _overrides: list[str] = PrivateAttr(default_factory=list)

    @property
    def source(self) -> str | None:
        """The file this config was read from (None when built in code)."""
        return self._source

    @property
    def origins(self) -> dict[tuple, Origin]:
        """Where each value came from: key path → (file, line) or ("--set ...", None)."""
        return self._origins

    @property
    def overrides(self) -> list[str]:
        """The ``--set`` overrides applied to the file."""
        return self._overrides

    def origin_of(self, path: tuple) -> Origin:
        """Where the value at ``path`` (or its nearest written ancestor) was set."""
        for i in range(len(path), -1, -1):
            if path[:i] in self.origins:
                return self.origins[path[:i]]
        return (self.source, None)

    def error(self, message: str, *path: str | int) -> UserError:
        """A UserError about the value at ``path``, located where it was written.

        Used by later stages (the model builder, the trainer) so that a problem
        Keras finds still names the file, the line and the key.
        """
        file, line = self.origin_of(path)
        return UserError(message, file=file, line=line, key=format_key(path) or None)

    @field_validator("optimizer")
    @classmethod
    def _schedule_known(cls, opt: KerasObject) -> KerasObject:
        lr = opt.kwargs.get("learning_rate")
        if isinstance(lr, dict) and len(lr) == 1:
            (name,) = lr
            if not keras_names.is_known("schedules", name):
                hint = keras_names.suggest("schedules", name) or "see keras.optimizers.schedules"
                raise PydanticCustomError(
                    "dltrain_unknown_name", "unknown learning-rate schedule '{name}'; {hint}", {"name": name, "hint": hint}
                )
        return opt

    @model_validator(mode="after")
    def _search_keys(self) -> Config:
        check_search(self)  # each searched key path, as a --set of the rest of this config
        return self

    def resolved(self) -> dict[str, Any]:
        """The config as plain data with every default filled in (what a run saves)."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The resolved config as YAML text, keys in schema order."""
        return yaml.safe_dump(self.resolved(), sort_keys=False, allow_unicode=True)


def resolve_seed(config: Config) -> int:
    """The run's seed: the config's, or a fresh random one recorded back into it."""
    if config.seed is None:
        config.seed = random.SystemRandom().randrange(2**31)
    return config.seed


def data_path(config: Config, path: str | None) -> Path | None:
    """A data path from the config, relative to the config file's folder."""
    if path is None:
        return None
    p = Path(path).expanduser()
    if not p.is_absolute() and config.source:
        candidate = Path(config.source).parent / p
        if candidate.exists() or not p.exists():
            return candidate
    return p
