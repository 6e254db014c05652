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
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PrivateAttr,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dltrain import keras_names
from dltrain.config.limits import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_LAYER_WIDTH, MAX_SEED
from dltrain.errors import UserError, format_key

# Where a value came from: (file, line), or ("--set key=value", None).
Origin = tuple[Union[str, None], Union[int, None]]

BUILTIN_DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10", "cifar100")
FILE_DATASETS = ("npz", "idx", "csv")



class Section(BaseModel):
    """A mapping in the config: unknown keys are errors, values are checked."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class KerasObject(BaseModel):
    """A Keras object by registry name, with keyword arguments.

    Written in YAML as ``Name`` or ``{Name: {arg: value, ...}}``.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    kwargs: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        if isinstance(value, KerasObject):
            return value
        if isinstance(value, str):
            return {"name": value, "kwargs": {}}
        if isinstance(value, dict) and "name" in value and set(value) <= {"name", "kwargs"}:
            return value  # the internal form, as built in code
        if isinstance(value, dict) and len(value) == 1:
            (name, kwargs), = value.items()
            if kwargs is None:
                kwargs = {}
            if not isinstance(name, str) or not isinstance(kwargs, dict):
                raise PydanticCustomError(
                    "dltrain_keras_object",
                    "expected `Name` or `{{Name: {{argument: value}}}}`, got {value!r}; "
                    "write the arguments as a mapping under the name",
                    {"value": value},
                )
            return {"name": name, "kwargs": kwargs}
        raise PydanticCustomError(
            "dltrain_keras_object",
            "expected a Keras name such as `Dense` or a one-key mapping such as "
            "`{Dense: {units: 64}}`, got {value}",
            {"value": repr(value)},
        )

    @model_serializer
    def _to_yaml(self) -> Any:
        return {self.name: dict(self.kwargs)} if self.kwargs else self.name


def _registered(family: str, what: str):
    """Validator: the name must be one Keras's ``family`` registry knows."""

    def check(obj: KerasObject) -> KerasObject:
        if not keras_names.is_known(family, obj.name):
            hint = keras_names.suggest(family, obj.name) or f"see keras.{family} for the names Keras knows"
            raise PydanticCustomError(
                "dltrain_unknown_name", "unknown {what} '{name}'; {hint}", {"what": what, "name": obj.name, "hint": hint}
            )
        if obj.kwargs and family in ("losses", "metrics") and not obj.name[0].isupper():
            # A function name ('categorical_crossentropy') takes no arguments in
            # Keras; its class does, and saves and reloads with the model.
            cls = keras_names.class_for(family, obj.name)
            hint = f"use its class: `{{{cls}: {{...}}}}`" if cls else "use the matching Keras class name"
            raise PydanticCustomError(
                "dltrain_unknown_name", "{what} '{name}' is a function and takes no arguments; {hint}",
                {"what": what, "name": obj.name, "hint": hint},
            )
        return obj

    return check


def _activation(name: str) -> str:
    if not keras_names.is_known("activations", name):
        hint = keras_names.suggest("activations", name) or "see keras.activations"
        raise PydanticCustomError("dltrain_unknown_name", "unknown activation '{name}'; {hint}", {"name": name, "hint": hint})
    return name


LayerSpec = Annotated[KerasObject, AfterValidator(_registered("layers", "layer"))]
LossSpec = Annotated[KerasObject, AfterValidator(_registered("losses", "loss"))]
MetricSpec = Annotated[KerasObject, AfterValidator(_registered("metrics", "metric"))]
OptimizerSpec = Annotated[KerasObject, AfterValidator(_registered("optimizers", "optimizer"))]
CallbackSpec = Annotated[KerasObject, AfterValidator(_registered("callbacks", "callback"))]
Activation = Annotated[str, AfterValidator(_activation)]
Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]
Width = Annotated[int, Field(gt=0, le=MAX_LAYER_WIDTH)]  # units or filters: past the limit, weights cannot be allocated

# Callbacks that write files: dltrain writes those into the run directory itself.
MANAGED_CALLBACKS = {
    "ModelCheckpoint": "dltrain keeps the best checkpoint itself; set training.monitor to choose the metric",
    "CSVLogger": "dltrain writes history.csv into the run directory itself",
    "BackupAndRestore": "dltrain manages its own training state",
    "ProgbarLogger": "dltrain shows Keras's progress bar itself",
    "History": "dltrain records the history itself",
    "LambdaCallback": "configs cannot contain code",
    "RemoteMonitor": "not supported from a config",
}


class DataConfig(Section):
    """Where the data comes from and how it is prepared."""

    dataset: Literal["digits", "mnist", "fashion_mnist", "cifar10", "cifar100", "npz", "idx", "csv"] = Field(
        "digits",
        description="A built-in dataset (digits, mnist, fashion_mnist, cifar10, cifar100) or a local file "
        "format (npz, idx, csv) read from `path`. `digits` is scikit-learn's embedded set: it works offline.",
    )
    path: str | None = Field(
        None,
        description="A file or directory to read instead of searching. Required for npz/idx/csv; for a "
        "built-in dataset, a directory or file with Keras's file names. Relative paths are relative to the config file.",
    )
    test_path: str | None = Field(
        None, description="csv only: a separate test table; without it, `test_split` of the rows are held out."
    )
    label_column: str = Field("label", description="csv only: the column holding the class label.")
    test_split: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(
        0.25,
        description="For digits and a csv without `test_path`: the fraction held out as the test set "
        "(a fixed, stratified split, the same for every run whatever its `seed`).",
    )
    scale: Literal["unit", "standard", "none"] = Field(
        "unit",
        description="unit: divide by the training maximum (255 for 8-bit images) to get [0, 1]; "
        "standard: subtract the training mean and divide by its standard deviation (per feature for "
        "tables, over all pixels for images); none: leave the values as they are.",
    )
    reshape: Literal["auto", "flatten", "channels", "none"] = Field(
        "auto",
        description="auto: flatten images for a dense first layer, add a channel axis for a convolutional "
        "one, leave them otherwise; flatten; channels (add a trailing channel axis); none.",
    )
    validation_split: Fraction | None = Field(
        None,
        description="Fraction of the training set held out (seeded, shuffled) for validation; 0 for none. "
        "Default: 0.1, or 0 when `validation_data` is set.",
    )
    validation_data: Literal["test"] | None = Field(
        None, description="`test` validates on the test set each epoch, as the seed scripts do."
    )
    shuffle: bool = Field(True, description="Reshuffle the training set every epoch (deterministically from seed and epoch).")

    @model_validator(mode="after")
    def _validation_defaults(self) -> DataConfig:
        if self.validation_split is None:
            self.validation_split = 0.0 if self.validation_data else 0.1
        elif self.validation_data and self.validation_split > 0:
            raise PydanticCustomError(
                "dltrain_validation_conflict",
                "validation_split and validation_data: test are both set; keep one of them",
            )
        return self

    @model_validator(mode="after")
    def _path_needed(self) -> DataConfig:
        if self.dataset in FILE_DATASETS and not self.path:
            raise PydanticCustomError(
                "dltrain_missing_path", "dataset '{dataset}' reads a local file: set data.path", {"dataset": self.dataset}
            )
        return self


class OutputConfig(Section):
    """The output layer a preset appends."""

    units: Width | None = Field(
        None, description="Default: the number of classes (1 for binary_crossentropy on two classes)."
    )
    activation: Activation | None = Field(
        None,
        description="Default from the loss: softmax for categorical losses and MSE, sigmoid for binary "
        "cross-entropy, linear when the loss has `from_logits: true`.",
    )


class _DenseHead(Section):
    type: str = Field(description="mlp, cnn or sequential.")  # redeclared as a Literal; declared first to come first
    hidden_units: list[Width] = Field([128], description="Units of each hidden Dense layer.")
    activation: Activation = Field("relu", description="Activation of the hidden layers (any Keras activation).")
    dropout: Fraction = Field(0.0, description="Dropout rate after each hidden Dense layer.")
    batch_norm: bool = Field(False, description="Batch normalization before each hidden activation.")
    l1: Annotated[float, Field(ge=0)] = Field(0.0, description="L1 penalty on hidden kernels.")
    l2: Annotated[float, Field(ge=0)] = Field(0.0, description="L2 penalty on hidden kernels.")
    output: OutputConfig = Field(default_factory=OutputConfig, description="The output layer.")


class MLPModel(_DenseHead):
    """A dense network: hidden Dense layers, then the output layer."""

    type: Literal["mlp"] = Field("mlp", description="mlp, cnn or sequential.")


class ConvBlock(Section):
    """Conv2D, then optional batch norm, activation and MaxPooling2D."""

    filters: Width = Field(description="Number of filters.")
    kernel_size: Annotated[int, Field(gt=0)] | tuple[Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)]] = Field(
        3, description="Kernel size: an int or [height, width]."
    )
    padding: Literal["valid", "same"] = Field("valid", description="Conv2D padding.")
    pool_size: Annotated[int, Field(gt=0)] | None = Field(2, description="MaxPooling2D size; null for no pooling.")


class CNNModel(_DenseHead):
    """Conv blocks, Flatten, hidden Dense layers, then the output layer."""

    type: Literal["cnn"] = Field("cnn", description="mlp, cnn or sequential.")
    conv_blocks: list[ConvBlock] = Field(
        default_factory=lambda: [ConvBlock(filters=32)], min_length=1, description="The convolutional blocks."
    )


class SequentialModel(Section):
    """Any stack of Keras layers, by class name, in order."""

    type: Literal["sequential"] = Field("sequential", description="mlp, cnn or sequential.")
    layers: list[LayerSpec] = Field(
        min_length=1,
        description="Keras layers in order, e.g. `- Dense: {units: 64, activation: relu}`. In the last "
        "layer, a Dense without `units` or `activation` gets them from the data and the loss.",
    )


def _model_kind(value: Any) -> str:
    if isinstance(value, dict):
        return value.get("type") or ("sequential" if "layers" in value else "mlp")
    return getattr(value, "type", "mlp")


ModelConfig = Annotated[
    Union[
        Annotated[MLPModel, Tag("mlp")],
        Annotated[CNNModel, Tag("cnn")],
        Annotated[SequentialModel, Tag("sequential")],
    ],
    Discriminator(
        _model_kind,
        custom_error_type="dltrain_unknown_model_type",
        custom_error_message="unknown model type; use mlp, cnn or sequential",
    ),
]


class TrainingConfig(Section):
    """How `fit` runs."""

    epochs: Annotated[int, Field(gt=0, le=MAX_EPOCHS)] = Field(10, description="Number of passes over the training set.")
    batch_size: Annotated[int, Field(gt=0, le=MAX_BATCH_SIZE)] = Field(32, description="Samples per gradient step.")
    monitor: str | None = Field(
        None,
        description="The logged metric that picks the best checkpoint (best.keras). Default: val_loss "
        "with validation data, loss without.",
    )
    deterministic: bool = Field(
        False,
        description="TensorFlow's op determinism: two runs of a config give bit-identical histories and "
        "metrics, and a resumed run ends where an uninterrupted one would. Costs speed (see README).",
    )
    steps_per_execution: Annotated[int, Field(gt=0, le=MAX_EPOCHS)] = Field(
        32,
        description="Batches run per call into TensorFlow (Keras's compile argument): the same updates in the "
        "same order, with a fraction of the per-step overhead; callbacks and the progress bar then run once "
        "per execution. 1 is Keras's default.",
    )
    jit_compile: bool | Literal["auto"] = Field(
        "auto",
        description="XLA compilation (Keras's compile argument). auto: on for models of dense layers only "
        "(measured faster on CPU), off for convolutional and recurrent ones (XLA made the CNN slower on CPU, "
        "tensorflow#58142) and in deterministic mode.",
    )
    callbacks: list[CallbackSpec] = Field(
        default_factory=list,
        description="Keras callbacks by name, e.g. `- EarlyStopping: {monitor: val_loss, patience: 3}`, "
        "`- ReduceLROnPlateau: {factor: 0.5, patience: 2}`.",
    )

    @field_validator("callbacks")
    @classmethod
    def _not_managed(cls, callbacks: list[KerasObject]) -> list[KerasObject]:
        for cb in callbacks:
            if cb.name in MANAGED_CALLBACKS:
                raise PydanticCustomError(
                    "dltrain_managed_callback",
                    "{name} cannot be set in a config: {why}",
                    {"name": cb.name, "why": MANAGED_CALLBACKS[cb.name]},
                )
        return callbacks


class MLflowConfig(Section):
    """Experiment tracking with MLflow (optional; needs the mlflow or mlflow-skinny package)."""

    uri: str = Field(description="Tracking URI: http(s)://server, file:./mlruns, sqlite:///mlflow.db (full mlflow).")
    experiment: str | None = Field(None, description="Experiment name. Default: the config's name.")


class TrackingConfig(Section):
    """Where runs are reported besides the run directory."""

    mlflow: MLflowConfig | None = Field(
        None, description="Log params, per-epoch metrics and the run's files to MLflow. Default: off."
    )


class Config(Section):
    """A dltrain run: data, model, loss, optimizer, metrics and training."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)] = Field(
        "run", description="Names the run directories. Default: the config file's name."
    )
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] | None = Field(
        42, description="Seeds Python, NumPy and TensorFlow; null picks one at random (recorded in the run)."
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

    def label_encoding(self, num_classes: int) -> Literal["sparse", "binary", "onehot"]:
        """How labels must be encoded for this config's loss.

        sparse_* losses take integer labels; binary cross-entropy on two classes
        takes one 0/1 column; every other loss (categorical cross-entropy, MSE,
        hinge, ...) takes one-hot rows, as the seed scripts build with
        ``to_categorical``.
        """
        name = self.loss.name.lower()
        if "sparse" in name:
            return "sparse"
        if ("binary" in name or name == "bce") and num_classes == 2:
            return "binary"
        return "onehot"

    def output_activation(self) -> str:
        """The output activation the loss expects when the config does not say."""
        name = self.loss.name.lower()
        if self.loss.kwargs.get("from_logits"):
            return "linear"
        if "binary" in name or name == "bce":
            return "sigmoid"
        return "softmax"

    def resolved(self) -> dict[str, Any]:
        """The config as plain data with every default filled in (what a run saves)."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The resolved config as YAML text, keys in schema order."""
        return yaml.safe_dump(self.resolved(), sort_keys=False, allow_unicode=True)



def is_tagged_member(tp: Any, part: Any) -> bool:
    return (
        isinstance(tp, type)
        and issubclass(tp, BaseModel)
        and "type" in tp.model_fields
        and tp.model_fields["type"].default == part
    )


def unwrap(tp: Any, part: Any) -> Any:
    """Strips Annotated/Optional/list and picks a union member by tag."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            members = [typing.get_args(m)[0] if typing.get_origin(m) is Annotated else m for m in members]
            tagged = [m for m in members if is_tagged_member(m, part)]
            if tagged:
                return tagged[0]
            tp = members[0] if len(members) == 1 else next(
                (m for m in members if isinstance(m, type) and issubclass(m, BaseModel)), members[0])
        elif origin is list and isinstance(part, int):
            return typing.get_args(tp)[0]
        else:
            return tp



def flatten(data: Any, path: tuple = ()) -> dict[tuple, Any]:
    """Nested config data as {key path: leaf value}; lists are leaves (compared and shown whole)."""
    if isinstance(data, dict) and data:
        return {k: v for key, value in data.items() for k, v in flatten(value, path + (key,)).items()}
    return {path: data}


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


