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
from pydantic import (
    BeforeValidator,
    PrivateAttr,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dltrain.config.keras_objects import (
    MANAGED_CALLBACKS,
    CallbackSpec,
    Fraction,
    KerasObject,
    LossSpec,
    MetricSpec,
    OptimizerSpec,
    Origin,
    Section,
)
from dltrain.config.limits import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_SEED
from dltrain.config.model_sections import MLPModel, ModelConfig
from dltrain.config.search import SearchConfig, check_search
from dltrain.config.tasks import TaskRules
from dltrain import keras_names
from dltrain.errors import UserError, format_key


# scikit-learn's embedded tables and images: offline, loaded whole (they are small).
SKLEARN_DATASETS = ("digits", "iris", "wine", "breast_cancer", "diabetes")
BUILTIN_DATASETS = (*SKLEARN_DATASETS, "mnist", "fashion_mnist", "cifar10", "cifar100")
FILE_DATASETS = ("npz", "idx", "csv")
# keras.utils.FeatureSpace's type names (keras/src/layers/preprocessing/feature_space.py,
# _standardize_feature), listed here so validation needs no TensorFlow; `text` is ours.
FEATURE_TYPES = ("float", "float_normalized", "float_rescaled", "float_discretized", "integer_categorical",
                 "integer_hashed", "string_categorical", "string_hashed", "text")



class DataConfig(Section):
    """Where the data comes from and how it is prepared."""

    dataset: Literal["digits", "iris", "wine", "breast_cancer", "diabetes", "mnist", "fashion_mnist", "cifar10",
                     "cifar100", "npz", "idx", "csv", "image_folder", "text_folder"] = Field(
        "digits",
        description="A built-in dataset (digits, mnist, fashion_mnist, cifar10, cifar100), a local file "
        "format (npz, idx, csv) read from `path`, or `image_folder`: a folder `path` with one sub-folder of "
        "images per class. `digits`, `iris`, `wine`, `breast_cancer` (classification) and `diabetes` "
        "(regression) are scikit-learn's embedded sets: they work offline. `text_folder`: a folder `path` "
        "with one sub-folder of `.txt` files per class (Keras's `text_dataset_from_directory` layout).",
    )
    path: str | None = Field(
        None,
        description="A file or directory to read instead of searching. Required for npz/idx/csv; for a "
        "built-in dataset, a directory or file with Keras's file names. Relative paths are relative to the config file.",
    )
    test_path: str | None = Field(
        None, description="csv and image_folder: a separate test table or image folder (same classes); "
        "without it, `test_split` of the rows or images are held out."
    )
    label_column: str = Field("label", description="csv only: the column holding the class label.")
    features: dict[str, Literal[FEATURE_TYPES]] | None = Field(  # type: ignore[valid-type]
        None,
        description="csv only: `{column: type}` for the columns whose encoding you choose, with "
        "`keras.utils.FeatureSpace`'s type names (float, float_normalized, float_rescaled, float_discretized, "
        "integer_categorical, integer_hashed, string_categorical, string_hashed) or `text` (free text through "
        "`TextVectorization`, TF-IDF). Other columns are inferred: numbers float_normalized, strings "
        "string_categorical, strings of more than three words on average text. Missing cells (empty, NA, NaN, "
        "null): a number becomes the column's training mean, an integer category -1, a string the empty "
        "string (its own category). Setting it, or a column that is not numbers, reads the table with FeatureSpace.",
    )
    image_size: tuple[Annotated[int, Field(gt=0, le=8192)], Annotated[int, Field(gt=0, le=8192)]] | None = Field(
        None,
        validate_default=True,
        description="image_folder only (required there): `[height, width]` of every image, in pixels; "
        "a file of another size is refused by name.",
    )
    color_mode: Literal["grayscale", "rgb", "rgba"] = Field(
        "rgb", description="image_folder only: the channels images are decoded to (1, 3 or 4), whatever their files hold."
    )
    test_split: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(
        0.25,
        description="For digits, and a csv or image_folder without `test_path`: the fraction held out as the test set "
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
    target_scale: Literal["none", "standard"] = Field(
        "none",
        description="Regression only: standard trains on (target - mean) / std of the training split; the "
        "saved models multiply back, so they predict in the data's units (history.csv's losses are in the "
        "scaled units, metrics.json's in the data's).",
    )

    @field_validator("image_size")
    @classmethod
    def _image_size_needed(cls, size, info):
        if size is None and info.data.get("dataset") == "image_folder":
            raise PydanticCustomError(
                "dltrain_missing_image_size", "image_folder needs the images' size: set data.image_size: [height, width]")
        return size

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
        if self.dataset in (*FILE_DATASETS, "image_folder", "text_folder") and not self.path:
            raise PydanticCustomError(
                "dltrain_missing_path", "dataset '{dataset}' reads a local file: set data.path", {"dataset": self.dataset}
            )
        return self


def _label_key(value: Any) -> str:
    """A class_weight key: a label as the data writes it (YAML may read 1 as an int)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PydanticCustomError("dltrain_label", "a label must be a name or a number, got {value!r}",
                                  {"value": value})
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


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
        "(measured faster on CPU) whose training is long enough to repay the compile (250 GFLOP: see Speed), "
        "off for convolutional and recurrent ones (XLA made the CNN slower on CPU, tensorflow#58142) and in "
        "deterministic mode; always on with the JAX backend.",
    )
    mixed_precision: bool = Field(
        False,
        description="Keras's mixed precision: layers compute in float16 (bfloat16 on a TPU) and keep float32 "
        "weights, the output is cast back to float32, and Keras scales the loss. Needs a GPU or TPU: without "
        "one, the run says so in one line and trains in float32.",
    )
    class_weight: Literal["balanced"] | dict[Annotated[str, BeforeValidator(_label_key)], Annotated[float, Field(gt=0)]] | None = Field(
        None,
        description="Weights of the classes in the loss (Keras's class_weight): balanced (n_samples / "
        "(n_classes × count), from the training split), or a mapping from each label, as the data writes it, "
        "to its weight (labels left out weigh 1). Classification only.",
    )
    distribute: Literal["none", "mirrored", "multi_worker"] = Field(
        "none",
        description="none: one device. mirrored: every local device (TensorFlow's MirroredStrategy, or "
        "keras.distribution.DataParallel on jax). multi_worker: several processes, with backend: jax "
        "(DataParallel across processes; start them with `dltrain launch` or set the variables in README). "
        "batch_size stays the global batch; the learning rate is never changed.",
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


