"""The names Keras's registries accept, read without importing Keras.

``dltrain validate`` must not import TensorFlow (it takes seconds), yet it
should catch ``Dense`` spelled ``Dens``. So we read, with :mod:`ast`, the very
tables Keras resolves names with, from the installed ``keras`` package's
source — the lists stay Keras's, never ones we keep by hand:

- losses, metrics, optimizers, activations, regularizers, initializers,
  constraints: the
  ``ALL_OBJECTS_DICT`` built in ``keras/src/<family>/__init__.py``, which
  ``keras.<family>.get`` and ``deserialize`` look names up in; for metrics
  also the names ``compile()`` itself accepts (``"acc"``, any case:
  ``get_metric`` in ``keras/src/trainers/compile_utils.py``).
- layers, callbacks, schedules: the classes ``keras.layers``,
  ``keras.callbacks`` and ``keras.optimizers.schedules`` export that derive
  from ``Layer``, ``Callback`` and ``LearningRateSchedule`` — what
  :mod:`dltrain.models` looks up by ``getattr`` and Keras deserialises.

The files are read by :mod:`dltrain.keras_source`. The real resolution still
happens through Keras when the model is built; this index only gives earlier,
friendlier errors. If Keras has moved these files or changed how it builds the
tables, reading raises
:class:`KerasLayoutError` and :func:`names` falls back to importing Keras
(slower, with a warning) — the check is never skipped.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import warnings

from dltrain import keras_source
from dltrain.keras_source import (
    TABLE,
    KerasLayoutError,
    compile_metric_names,
    derives_from,
    exports,
    is_module,
    read_table,
)

FAMILIES = ("layers", "losses", "metrics", "optimizers", "callbacks", "activations", "schedules",
            "regularizers", "initializers", "constraints")
# Families resolved by class: (public API module, module and name of the base class).
_CLASS_FAMILIES = {
    "layers": ("keras.layers", "keras.src.layers.layer", "Layer"),
    "callbacks": ("keras.callbacks", "keras.src.callbacks.callback", "Callback"),
    "schedules": ("keras.optimizers.schedules", "keras.src.optimizers.schedules.learning_rate_schedule",
                  "LearningRateSchedule"),
}
# keras.optimizers.deserialize lower-cases a built-in optimizer's name before the lookup.
_CASE_INSENSITIVE = {"optimizers"}


@functools.cache
def names(family: str) -> frozenset[str]:
    """Returns the identifiers Keras accepts by name for a family.

    Args:
        family: one of :data:`FAMILIES`.

    Returns:
        The names; for optimizers, the class names (matched case-insensitively
        by :func:`is_known`, as Keras does).

    Raises:
        ValueError: ``family`` is not one of :data:`FAMILIES`.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown Keras family {family!r}; expected one of {', '.join(FAMILIES)}")
    try:
        return read_names(family)
    except KerasLayoutError as err:
        warnings.warn(f"{err}; importing Keras to read its names instead (slower)", RuntimeWarning, stacklevel=2)
        return live_names(family)


def read_names(family: str) -> frozenset[str]:
    """The names of :func:`names`, read from Keras's source files without importing it.

    Raises:
        KerasLayoutError: a file is missing or no longer has the expected shape.
    """
    if family in _CLASS_FAMILIES:
        api, base_module, base = _CLASS_FAMILIES[family]
        return frozenset(n for n, ref in exports(api).items() if derives_from(ref, (base_module, base)))
    objects, keys = read_table(f"keras.src.{family}")
    found = objects if family in _CASE_INSENSITIVE else keys
    if family == "metrics":
        found |= compile_metric_names()
    return frozenset(found)


def live_names(family: str) -> frozenset[str]:
    """The names of :func:`names`, taken from the imported Keras (imports TensorFlow)."""
    if family in _CLASS_FAMILIES:
        api, base_module, base = _CLASS_FAMILIES[family]
        base_class = getattr(importlib.import_module(base_module), base)
        exported = vars(importlib.import_module(api))
        return frozenset(n for n, obj in exported.items()
                         if not n.startswith("_") and isinstance(obj, type) and issubclass(obj, base_class))
    module = importlib.import_module(f"keras.src.{family}")
    if family in _CASE_INSENSITIVE:
        return frozenset(obj.__name__ for obj in module.ALL_OBJECTS)
    found = set(getattr(module, TABLE))
    if family == "metrics":
        try:
            found |= compile_metric_names()
        except KerasLayoutError:
            pass  # then only the table's names: 'acc' is refused, loudly, never accepted blindly
    return frozenset(found)


@functools.cache
def application_names() -> frozenset[str]:
    """The models ``keras.applications`` exports by name (``MobileNetV2``), read from its API module.

    A config may use them in ``model.layers`` (:mod:`dltrain.models.applications`).
    """
    try:
        return frozenset(name for name, (module, attr) in exports("keras.applications").items()
                         if name[:1].isupper() and not is_module(f"{module}.{attr}"))
    except KerasLayoutError:
        import keras  # the slow way, never none at all

        return frozenset(n for n in dir(keras.applications) if n[:1].isupper())


def is_known(family: str, name: str) -> bool:
    """True if Keras accepts ``name`` in ``family`` (for layers, also a ``keras.applications`` model)."""
    if family == "layers" and name in application_names():
        return True
    if family in _CLASS_FAMILIES:
        try:  # one class's ancestry: reading every layer's file would take a second
            return _is_family_class(family, name)
        except KerasLayoutError:
            pass  # names() says so and asks Keras itself
    known = names(family)
    if family in _CASE_INSENSITIVE:
        return name.lower() in {n.lower() for n in known}
    if family == "metrics" and name.lower() in _compile_metric_names_or_none():
        return True  # compile() compares these lower-cased
    return name in known


def suggest(family: str, name: str) -> str:
    """A did-you-mean phrase for an unknown name, or '' when nothing is close.

    Compares case-insensitively ('adamm' → 'Adam'); where Keras has both
    spellings ('accuracy', 'Accuracy'), the one cased like the input wins.
    """
    spellings: dict[str, list[str]] = {}
    for known in sorted(names(family)):
        spellings.setdefault(known.lower(), []).append(known)
    close = difflib.get_close_matches(name.lower(), list(spellings), n=3, cutoff=0.6)
    if not close:
        return ""
    lower_first = name[:1].islower()
    picks = [min(spellings[c], key=lambda n: n[:1].islower() != lower_first) for c in close]
    return "did you mean " + " or ".join(f"'{p}'" for p in picks) + "?"


def class_for(family: str, function_name: str) -> str | None:
    """The class a function name corresponds to ('mean_squared_error' → 'MeanSquaredError')."""
    key = function_name.replace("_", "").lower()
    return next((n for n in sorted(names(family)) if n[0].isupper() and n.lower() == key), None)


def forget_keras_source() -> None:
    """Drops every answer read from Keras's files, so the next question reads them again."""
    keras_source.forget()
    for cached in (_is_family_class, _compile_metric_names_or_none, names, application_names):
        cached.cache_clear()


@functools.cache
def _is_family_class(family: str, name: str) -> bool:
    api, base_module, base = _CLASS_FAMILIES[family]
    ref = exports(api).get(name)
    return ref is not None and derives_from(ref, (base_module, base))


@functools.cache
def _compile_metric_names_or_none() -> frozenset[str]:
    try:
        return frozenset(compile_metric_names())
    except KerasLayoutError:
        return frozenset()
