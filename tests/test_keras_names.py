"""keras_names: the index read from Keras's source equals what the imported Keras accepts."""

from __future__ import annotations

import importlib
import inspect

import pytest

from dltrain import keras_names
from dltrain import keras_source
from dltrain.keras_names import FAMILIES, KerasLayoutError, is_known, read_names
from dltrain.tf_quiet import keras

# How dltrain (models.py) and Keras resolve a name of each family, asked of the imported Keras.
CLASS_BASES = {
    "layers": (keras.layers, keras.layers.Layer),
    "callbacks": (keras.callbacks, keras.callbacks.Callback),
    "schedules": (keras.optimizers.schedules, keras.optimizers.schedules.LearningRateSchedule),
}


def registry(family: str) -> dict:
    """The table keras.<family>.get() and deserialize() look names up in."""
    return importlib.import_module(f"keras.src.{family}").ALL_OBJECTS_DICT


def resolves(family: str, name: str) -> bool:
    """True if the imported Keras accepts ``name`` for ``family`` the way dltrain asks it."""
    if family in CLASS_BASES:
        module, base = CLASS_BASES[family]
        obj = getattr(module, name, None)
        return inspect.isclass(obj) and issubclass(obj, base)
    if family == "optimizers":
        return inspect.isclass(keras.optimizers.deserialize.__globals__["ALL_OBJECTS_DICT"].get(name.lower()))
    if family == "metrics" and name.lower() in ("accuracy", "acc"):
        return True  # compile() picks the accuracy metric for these itself (compile_utils.get_metric)
    return name in registry(family) and callable(registry(family)[name])


def exposed(family: str) -> set[str]:
    """Every name the imported Keras's registry holds for ``family``."""
    if family in CLASS_BASES:
        module, base = CLASS_BASES[family]
        return {n for n, obj in vars(module).items() if inspect.isclass(obj) and issubclass(obj, base)}
    if family == "optimizers":
        return {cls.__name__ for cls in importlib.import_module("keras.src.optimizers").ALL_OBJECTS}
    return set(registry(family)) | ({"acc"} if family == "metrics" else set())


def get_accepts(family: str, name: str) -> bool:
    """True if keras.<family>.get(name) finds the name (a class that needs arguments counts)."""
    try:
        getattr(keras, family).get(name)
    except (TypeError, KeyError):
        return True  # found, but cannot be built without arguments (Constant needs `value`)
    except ValueError:
        return False  # "Could not interpret ... identifier"
    return True


@pytest.mark.parametrize("family", FAMILIES)
def test_every_indexed_name_resolves_in_keras(family):
    unresolved = sorted(n for n in read_names(family) if not resolves(family, n))
    assert not unresolved


@pytest.mark.parametrize("family", FAMILIES)
def test_every_name_keras_exposes_is_indexed(family):
    index = read_names(family)
    if family == "optimizers":
        index = {n.lower() for n in index}
        assert {n.lower() for n in exposed(family)} <= index
    else:
        assert exposed(family) <= index


@pytest.mark.parametrize("family", ["losses", "metrics", "activations", "regularizers", "initializers"])
def test_keras_public_functions_and_classes_are_known_exactly_when_get_accepts_them(family):
    """Keras exports some names its get() refuses (keras.losses.CategoricalGeneralizedCrossEntropy
    in Keras 3.15): dltrain resolves through get(), so those must be refused up front too."""
    public = {n for n, obj in vars(getattr(keras, family)).items()
              if not n.startswith("_") and callable(obj) and n not in ("get", "serialize", "deserialize")}
    assert public
    disagree = sorted(n for n in public if is_known(family, n) != get_accepts(family, n))
    assert not disagree


@pytest.mark.parametrize("family", FAMILIES)
def test_is_known_agrees_with_the_index(family):
    for name in sorted(read_names(family)):
        assert is_known(family, name), name
    assert not is_known(family, "NoSuchThing")


@pytest.mark.parametrize("word", ["loss", "name", "path", "config", "class_name", "ce", "crossentropy"])
def test_words_that_are_not_metrics_are_refused(word):
    assert not is_known("metrics", word)


@pytest.mark.parametrize("name", ["acc", "ACC", "Accuracy", "accuracy", "mse", "MSE", "AUC", "auc"])
def test_compiles_own_and_the_registrys_metric_names_are_accepted(name):
    assert is_known("metrics", name)


@pytest.mark.parametrize("family,name", [("layers", "Input"), ("layers", "InputSpec"), ("layers", "serialize"),
                                         ("schedules", "deserialize"), ("callbacks", "Dens"),
                                         ("losses", "ce"), ("losses", "Reduction")])
def test_exported_non_members_are_refused(family, name):
    """Keras exports these, but dltrain's getattr/issubclass or get() would refuse them."""
    assert not is_known(family, name)


def test_optimizers_match_case_insensitively_as_keras_does():
    assert is_known("optimizers", "adam") and is_known("optimizers", "RMSprop") and is_known("optimizers", "sgd")
    assert keras.optimizers.get("rmsprop").__class__.__name__ == "RMSprop"


def test_a_moved_keras_file_is_an_error_not_a_skip(monkeypatch, tmp_path):
    """Keras's files are read from its install folder: an empty folder must raise, and names() must
    then fall back to importing Keras (with a warning) rather than accept or refuse everything."""
    monkeypatch.setattr(keras_source, "keras_root", lambda: tmp_path)
    keras_names.forget_keras_source()
    try:
        with pytest.raises(KerasLayoutError, match="no module keras.src.losses"):
            read_names("losses")
        with pytest.warns(RuntimeWarning, match="importing Keras"):
            assert keras_names.names("losses") == keras_names.live_names("losses")
        with pytest.warns(RuntimeWarning, match="importing Keras"):
            assert is_known("layers", "Dense") and not is_known("layers", "Dens")
    finally:
        keras_names.forget_keras_source()


def test_a_table_built_in_an_unknown_way_is_an_error(monkeypatch, tmp_path):
    family = tmp_path / "keras" / "src" / "losses"
    family.mkdir(parents=True)
    (family / "__init__.py").write_text(
        "ALL_OBJECTS = {Foo}\nALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}\n"
        "ALL_OBJECTS_DICT.update(make_aliases())\n")
    monkeypatch.setattr(keras_source, "keras_root", lambda: tmp_path)
    keras_names.forget_keras_source()
    try:
        with pytest.raises(KerasLayoutError, match="does not know"):
            read_names("losses")
    finally:
        keras_names.forget_keras_source()


def test_the_index_equals_the_imported_keras():
    for family in FAMILIES:
        assert read_names(family) == keras_names.live_names(family), family
