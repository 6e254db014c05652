"""Keras applications as layers: the preprocessing each expects, as serializable layers."""

from __future__ import annotations

import numpy as np
import pytest

from dltrain import keras_names
from dltrain.config import config_from_data
from dltrain.errors import UserError


def app_config(name: str, scale: str = "none", **kwargs):
    return config_from_data({
        "data": {"dataset": "cifar10", "scale": scale},
        "model": {"type": "sequential", "layers": [{name: {"include_top": False, "pooling": "avg", **kwargs}}, "Dense"]},
    })


def test_application_names_validate_without_keras():
    assert keras_names.is_known("layers", "MobileNetV2")
    assert "ResNet50" in keras_names.application_names()
    assert "mobilenet_v2" not in keras_names.application_names()  # a module, not a model
    with pytest.raises(UserError, match="unknown layer 'MobileNetV9'"):
        config_from_data({"model": {"type": "sequential", "layers": ["MobileNetV9", "Dense"]}})


@pytest.mark.parametrize("name, mode", [("MobileNetV2", "tf"), ("DenseNet121", "torch"), ("ResNet50", "caffe"),
                                        ("EfficientNetB0", "none")])
def test_preprocessing_mode_is_read_from_keras(name, mode):
    from dltrain.models.applications import preprocessing_mode

    assert preprocessing_mode(name) == mode


@pytest.mark.parametrize("name, module", [("MobileNetV2", "mobilenet_v2"), ("DenseNet121", "densenet"),
                                          ("ResNet50", "resnet50")])
@pytest.mark.parametrize("scale, peak", [("none", 255.0), ("unit", 1.0)])
def test_input_layers_do_what_preprocess_input_does(name, module, scale, peak):
    from dltrain.models.applications import _input_layers, preprocessing_mode
    from dltrain.tf_quiet import keras

    x = np.random.default_rng(1).uniform(0, 255, (2, 4, 4, 3)).astype(np.float32)
    expected = getattr(keras.applications, module).preprocess_input(x.copy())
    y = x * (peak / 255.0)
    for layer in _input_layers(preprocessing_mode(name), peak, (4, 4, 3), "p"):
        y = layer(y)
    np.testing.assert_allclose(np.asarray(y), expected, rtol=1e-4, atol=1e-3)


@pytest.mark.slow
def test_application_model_saves_and_loads_safely(tmp_path):
    from dltrain.models.builder import build_model
    from dltrain.tf_quiet import keras

    model = build_model(app_config("MobileNetV2", alpha=0.35), (32, 32, 3), 10, "sparse")
    assert [type(layer).__name__ for layer in model.layers][:2] == ["Rescaling", "Functional"]
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)


def test_refusals_name_the_layer_and_the_reason():
    from dltrain.models.builder import build_model

    with pytest.raises(UserError, match=r"model.layers\[0\].MobileNetV2.input_shape: .*not supported"):
        build_model(app_config("MobileNetV2", input_shape=[32, 32, 3]), (32, 32, 3), 10, "sparse")
    with pytest.raises(UserError, match=r"data.scale: MobileNetV2 .*standard is not supported"):
        build_model(app_config("MobileNetV2", scale="standard"), (32, 32, 3), 10, "sparse")
    with pytest.raises(UserError, match=r"model.layers\[0\]: ResNet50 expects RGB images .*color_mode: rgb"):
        build_model(app_config("ResNet50"), (32, 32, 1), 10, "sparse")
    with pytest.raises(UserError, match=r"model.layers\[0\].MobileNetV2: MobileNetV2: .*fix its arguments"):
        build_model(app_config("MobileNetV2", bogus=1), (32, 32, 3), 10, "sparse")
