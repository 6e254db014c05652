"""Keras objects in a config: ``Name`` or ``{Name: {argument: value}}``, checked against Keras's registries.

Every config section derives from :class:`Section` (unknown keys are errors).
Names are checked with :mod:`dltrain.keras_names`, without importing Keras —
also those of the objects inside another object's arguments
(``kernel_regularizer: {L1L2: {l1: 0.01}}``, see :func:`nested_problems`),
which :func:`convert_nested` hands to a builder (:mod:`dltrain.models.objects`
builds them with Keras, :mod:`dltrain.script` writes them as Python).
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
                    "expected `Name` or `{Name: {argument: value}}`, got {value}; "
                    "write the arguments as a mapping under the name",
                    {"value": repr(value)[:80]},
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


# --- Keras objects inside another object's arguments ------------------------
#
# `kernel_regularizer: {L1L2: {l1: 0.01}}` is written as everywhere else; Keras
# itself only takes its serialized `{class_name: ..., config: ...}` there. Which
# family an argument resolves through follows Keras's own argument names
# (`*_regularizer` goes to keras.regularizers.get, and so on); the names in
# each family are Keras's registries (dltrain.keras_names).

# Families a `{Name: {...}}` mapping under any other argument is looked up in.
NESTED_FAMILIES = ("layers", "regularizers", "initializers", "constraints", "schedules")
_SUFFIX_FAMILIES = (("_regularizer", "regularizers"), ("_initializer", "initializers"),
                    ("_constraint", "constraints"), ("_activation", "activations"))
_ARGUMENT_FAMILIES = {"activation": "activations", "learning_rate": "schedules", "layer": "layers",
                      "backward_layer": "layers"}
_WHAT = {"layers": "layer", "regularizers": "regularizer", "initializers": "initializer",
         "constraints": "constraint", "schedules": "learning-rate schedule", "activations": "activation"}


def argument_family(argument: str) -> str | None:
    """The Keras family an argument's value resolves through ('kernel_regularizer' → 'regularizers'), or None."""
    if argument in _ARGUMENT_FAMILIES:
        return _ARGUMENT_FAMILIES[argument]
    return next((family for suffix, family in _SUFFIX_FAMILIES if argument.endswith(suffix)), None)


def _one_key(value: Any) -> tuple[str, Any] | None:
    """(name, arguments) of a `{Name: {...}}` / `{Name: null}` mapping; None for anything else."""
    if isinstance(value, dict) and len(value) == 1:
        (name, args), = value.items()
        if isinstance(name, str) and (args is None or isinstance(args, dict)):
            return name, args or {}
    return None


def nested_object(argument: str, value: Any) -> tuple[str, str, dict] | None:
    """(family, name, arguments) when an argument's value is a Keras object written `{Name: {...}}`.

    Under an argument of a known family (``kernel_initializer``) any one-key
    mapping is that family's object; under any other argument, only a
    capitalised name some family knows (``layer: {LSTM: {units: 8}}``) is.
    Keras's own ``{class_name: ..., config: ...}`` form is left as it is.
    """
    found = _one_key(value)
    if found is None or found[0] == "class_name":
        return None
    name, args = found
    family = argument_family(argument)
    if family is None and name[:1].isupper():
        family = next((f for f in NESTED_FAMILIES if keras_names.is_known(f, name)), None)
    return (family, name, args) if family else None


def nested_problems(kwargs: dict, path: tuple = ()) -> list[tuple[tuple, str]]:
    """Every nested Keras object in ``kwargs`` that Keras would refuse, as (key path, message).

    Checks names against Keras's registries (with did-you-mean) and that an
    activation, a function in Keras, is given no arguments; walks into each
    object's own arguments. Needs no TensorFlow.
    """
    problems = []
    for argument, value in kwargs.items():
        here = (*path, argument)
        family = argument_family(argument) if isinstance(argument, str) else None
        found = nested_object(argument, value) if isinstance(argument, str) else None
        if found is not None:
            family, name, args = found
            problems += _name_problems(family, name, args, here) + nested_problems(args, (*here, name))
        elif family == "schedules" and isinstance(value, str):  # Keras takes no schedule by a bare name
            problems.append((here, f"must be a number or a learning-rate schedule written `{{Name: {{argument: "
                                   f"value}}}}` (e.g. `{{ExponentialDecay: {{initial_learning_rate: 0.01, "
                                   f"decay_steps: 1000, decay_rate: 0.9}}}}`); got {value!r}"))
        elif family and isinstance(value, str):
            problems += _name_problems(family, value, {}, here)
        elif family and isinstance(value, dict) and "class_name" not in value:
            problems.append((here, f"expected a Keras {_WHAT[family]} as `Name` or `{{Name: {{argument: value}}}}`, "
                                   f"got {value!r}; write one name with its arguments under it"))
    return problems


def _name_problems(family: str, name: str, args: dict, here: tuple) -> list[tuple[tuple, str]]:
    what = _WHAT[family]
    if not keras_names.is_known(family, name):
        hint = keras_names.suggest(family, name) or f"see keras.{family} for the names Keras knows"
        return [(here, f"unknown {what} '{name}'; {hint}")]
    if family == "activations" and args:
        return [((*here, name), f"activation '{name}' is a function and takes no arguments; write `{name}`, "
                                "or put the matching layer (e.g. `LeakyReLU: {negative_slope: 0.1}`) after this one")]
    return []


def convert_nested(kwargs: dict, build, path: tuple = ()) -> dict:
    """``kwargs`` with each nested Keras object replaced by ``build(family, name, arguments, key path)``.

    Objects inside an object's arguments are converted first, so ``build``
    always gets arguments that are values or already-built objects. A bare
    activation written `{relu: null}` becomes the name `relu`.
    """
    out = {}
    for argument, value in kwargs.items():
        found = nested_object(argument, value) if isinstance(argument, str) else None
        if found is None:
            out[argument] = value
            continue
        family, name, args = found
        inner = convert_nested(args, build, (*path, argument, name))
        out[argument] = name if family == "activations" else build(family, name, inner, (*path, argument))
    return out
