"""Reading Keras's source: the table shapes Keras uses are read, any other shape is refused."""

from __future__ import annotations

import pytest

from dltrain import keras_source
from dltrain.keras_source import KerasLayoutError


@pytest.fixture
def fake_keras(monkeypatch, tmp_path):
    """Writes ``keras/src/fake/__init__.py`` under a fake install folder; yields the writer."""
    monkeypatch.setattr(keras_source, "keras_root", lambda: tmp_path)
    keras_source.forget()
    module = tmp_path / "keras" / "src" / "fake"
    module.mkdir(parents=True)

    def write(text: str) -> str:
        (module / "__init__.py").write_text(text)
        keras_source.forget()
        return "keras.src.fake"

    yield write
    keras_source.forget()


def test_a_table_is_read_as_keras_builds_it(fake_keras):
    name = fake_keras(
        "from keras.src.x import Adam as Renamed\n"
        "ALL_OBJECTS = {Renamed, MeanSquaredError}\n"
        "ALL_OBJECTS_DICT = {to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS}\n"
        "ALL_OBJECTS_DICT.update({'mse': 1})\n"
        "ALL_OBJECTS_DICT['acc'] = 2\n")
    objects, keys = keras_source.read_table(name)
    assert objects == {"Adam", "MeanSquaredError"}  # an imported class keeps its own __name__
    assert keys == {"adam", "mean_squared_error", "mse", "acc"}


@pytest.mark.parametrize("text,match", [
    ("ALL_OBJECTS = {A}\nALL_OBJECTS_DICT = {cls.__name__.upper(): cls for cls in ALL_OBJECTS}\n", "does not know"),
    ("ALL_OBJECTS = {A}\nALL_OBJECTS_DICT = {k: v for k, v in pairs}\n", "does not know"),
    ("ALL_OBJECTS = [a() for a in b]\nALL_OBJECTS_DICT = {}\n", "literal set"),
    ("ALL_OBJECTS = {A}\nALL_OBJECTS_DICT = {}\nALL_OBJECTS_DICT |= other\n", "does not know"),
    ("ALL_OBJECTS = {A}\n", "no longer defines"),
])
def test_any_other_shape_is_refused(fake_keras, text, match):
    with pytest.raises(KerasLayoutError, match=match):
        keras_source.read_table(fake_keras(text))


def test_the_installed_keras_is_read():
    assert {"accuracy", "acc"} <= keras_source.compile_metric_names()
    assert keras_source.exports("keras.layers")["Dense"][1] == "Dense"
    assert keras_source.derives_from(keras_source.exports("keras.layers")["Conv2D"],
                                     ("keras.src.layers.layer", "Layer"))
    assert not keras_source.derives_from(keras_source.exports("keras.layers")["Input"],
                                         ("keras.src.layers.layer", "Layer"))
