"""Keras objects inside arguments are built through Keras's registries and survive a save and load."""

from __future__ import annotations

import numpy as np
import pytest

from dltrain.config import load_config
from dltrain.errors import UserError
from dltrain.models import build_model, make_callbacks, make_optimizer
from dltrain.tf_quiet import keras

LAYERS = """\
model:
  type: sequential
  layers:
    - Reshape: {target_shape: [4, 4]}
    - Bidirectional: {layer: {LSTM: {units: 3, kernel_regularizer: {l2: {l2: 0.001}}}}}
    - Dense:
        units: 8
        activation: {relu: null}
        kernel_regularizer: {L1L2: {l1: 0.01, l2: 0.02}}
        kernel_initializer: {HeNormal: {seed: 1}}
        bias_initializer: {Constant: {value: 0.5}}
        kernel_constraint: {MaxNorm: {max_value: 2}}
        bias_regularizer: {class_name: L2, config: {l2: 0.03}}
    - Dense: {}
"""


def test_regularizers_initializers_constraints_and_wrapped_layers_are_built(write_config, tmp_path):
    model = build_model(load_config(write_config(LAYERS)), (16,), 3, "sparse")
    wrapper, dense = model.layers[1], model.layers[2]
    assert isinstance(wrapper.forward_layer, keras.layers.LSTM)
    assert isinstance(wrapper.forward_layer.kernel_regularizer, keras.regularizers.L2)
    assert dense.activation.__name__ == "relu"
    assert isinstance(dense.kernel_regularizer, keras.regularizers.L1L2)
    assert dense.kernel_regularizer.get_config() == pytest.approx({"l1": 0.01, "l2": 0.02})
    assert isinstance(dense.kernel_initializer, keras.initializers.HeNormal) and dense.kernel_initializer.seed == 1
    assert np.allclose(dense.bias.numpy(), 0.5)  # the initializer acted
    assert isinstance(dense.kernel_constraint, keras.constraints.MaxNorm)
    assert isinstance(dense.bias_regularizer, keras.regularizers.L2)  # Keras's own form still works
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert again.layers[2].kernel_regularizer.get_config() == pytest.approx({"l1": 0.01, "l2": 0.02})


def test_a_wrong_argument_of_a_nested_object_names_its_key(write_config):
    config = load_config(write_config(LAYERS.replace("{l1: 0.01, l2: 0.02}", "{l1: 0.01, l3: 0.02}")))
    with pytest.raises(UserError, match=r"config.yaml:9: model.layers\[2\].Dense.kernel_regularizer.L1L2: L1L2: "
                                        r"unknown argument 'l3'; its arguments: l1, l2"):
        build_model(config, (16,), 3, "sparse")


def test_a_schedule_and_a_nested_code_layer(write_config):
    text = ("optimizer: {SGD: {learning_rate: {CosineDecay: {initial_learning_rate: 0.1, decay_steps: 5}}}}\n"
            "model: {type: sequential, layers: [{TimeDistributed: {layer: {Lambda: {function: print}}}}, {Dense: {}}]}\n")
    config = load_config(write_config(text))
    assert isinstance(make_optimizer(config)._learning_rate, keras.optimizers.schedules.CosineDecay)
    with pytest.raises(UserError, match=r"config.yaml:2: model.layers\[0\].TimeDistributed.layer.Lambda: Lambda: "
                                        r"'Lambda' is not a Keras layer a config can build"):
        build_model(config, (4, 4), 3, "sparse")


def test_callback_arguments_are_checked_like_layer_arguments(write_config, tmp_path):
    # No Keras callback takes a Keras object today; its arguments go through the same check and build.
    path = write_config("training:\n  callbacks:\n    - EarlyStopping: {patience: 2, start_initializer: {HeNormall: {}}}\n")
    with pytest.raises(UserError, match=r"config.yaml:3: training.callbacks\[0\].EarlyStopping.start_initializer: "
                                        r"unknown initializer 'HeNormall'; did you mean 'HeNormal'"):
        load_config(path)
