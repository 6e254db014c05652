"""Keras objects in a config: ``Name`` or ``{Name: {argument: value}}``, checked against Keras's registries.

Every config section derives from :class:`Section` (unknown keys are errors).
Names are checked with :mod:`dltrain.keras_names`, without importing Keras.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from dltrain import keras_names
from dltrain.config.limits import MAX_LAYER_WIDTH

# Where a value came from: (file, line), or ("--set key=value", None).
Origin = tuple[Union[str, None], Union[int, None]]


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
