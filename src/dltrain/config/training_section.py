"""The ``training`` section: how ``fit`` runs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainValidator, field_validator
from pydantic_core import PydanticCustomError

from dltrain.config.keras_objects import MANAGED_CALLBACKS, CallbackSpec, KerasObject, Section
from dltrain.config.limits import MAX_BATCH_SIZE, MAX_EPOCHS



def _label_key(value: Any) -> str:
    """A class_weight key: a label as the data writes it (YAML may read 1 as an int)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PydanticCustomError("dltrain_label", "a label must be a name or a number, got {value}",
                                  {"value": repr(value)})
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _class_weight(value: Any) -> Any:
    """``balanced`` or ``{label: weight}``, each mistake in one message (a union would give one per branch)."""
    if value is None or value == "balanced":
        return value
    if not isinstance(value, dict):
        raise PydanticCustomError("dltrain_class_weight", "expected balanced or a mapping {label: weight}, got {value}",
                                  {"value": repr(value)[:80]})
    weights = {}
    for label, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0:
            raise PydanticCustomError("dltrain_class_weight", "the weight of {label} must be a number above 0, "
                                      "got {value}", {"label": repr(label), "value": repr(weight)[:80]})
        weights[_label_key(label)] = float(weight)
    return weights


def _steps_per_execution(value: Any) -> int | str:
    """``auto`` or a whole number of batches: one message for either mistake (a union would give two)."""
    if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_EPOCHS):
        return value
    raise PydanticCustomError("dltrain_steps_per_execution",
                              "expected auto or a whole number of batches from 1 to {most}, got {value}",
                              {"most": f"{MAX_EPOCHS:,}", "value": repr(value)[:80]})


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
    steps_per_execution: Annotated[int | Literal["auto"], PlainValidator(_steps_per_execution)] = Field(
        "auto",
        description="Batches run per call into the backend (Keras's compile argument): the same updates in the "
        "same order, with a fraction of the per-step overhead; callbacks and the progress bar then run once "
        "per execution. 1 is Keras's default. auto: 32, except 1 on TensorFlow for a training of fewer than "
        "400 batches (all epochs), which does not repay tracing Keras's 32-step loop (see Speed).",
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
    class_weight: Annotated[Literal["balanced"] | dict[str, float] | None, BeforeValidator(_class_weight)] = Field(
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
