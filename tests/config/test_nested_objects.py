"""Keras objects inside arguments are written `Name` or `{Name: {argument: value}}`, as everywhere else."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from dltrain.config import load_config
from dltrain.config.keras_objects import argument_family, convert_nested, nested_object
from dltrain.errors import UserError

NESTED = """\
model:
  type: sequential
  layers:
    - Reshape: {target_shape: [8, 8]}
    - Bidirectional: {layer: {LSTM: {units: 4, recurrent_activation: sigmoid}}}
    - Dense:
        units: 16
        activation: relu
        kernel_regularizer: {L1L2: {l1: 0.01, l2: 0.01}}
        kernel_initializer: {HeNormal: {seed: 1}}
        bias_initializer: zeros
        kernel_constraint: {MaxNorm: {max_value: 2}}
        bias_regularizer: {class_name: L2, config: {l2: 0.01}}
    - Dense: {}
optimizer: {SGD: {learning_rate: {ExponentialDecay: {initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.9}}}}
"""


def problems_of(write_config, text: str) -> list[str]:
    with pytest.raises(UserError) as info:
        load_config(write_config(text))
    return [str(p) for p in info.value.problems]


def test_the_readme_form_is_accepted_in_layer_and_optimizer_arguments(write_config):
    config = load_config(write_config(NESTED))
    dense = config.model.layers[2]
    assert dense.kwargs["kernel_regularizer"] == {"L1L2": {"l1": 0.01, "l2": 0.01}}
    saved = yaml.safe_load(config.to_yaml())["model"]["layers"][2]["Dense"]
    assert saved["kernel_initializer"] == {"HeNormal": {"seed": 1}}  # a run's config.yaml keeps the user's form


def test_each_family_follows_keras_argument_names():
    assert [argument_family(a) for a in ("kernel_regularizer", "activity_regularizer", "bias_initializer",
                                          "kernel_constraint", "recurrent_activation", "activation",
                                          "learning_rate", "layer", "units")] == [
        "regularizers", "regularizers", "initializers", "constraints", "activations", "activations",
        "schedules", "layers", None]


def test_a_known_class_under_any_argument_is_an_object_but_other_mappings_stay_data():
    assert nested_object("wrapped", {"LSTM": {"units": 4}}) == ("layers", "LSTM", {"units": 4})
    assert nested_object("embeddings_metadata", {"dense": "meta.tsv"}) is None
    assert nested_object("kernel_regularizer", {"class_name": "L2", "config": {}}) is None


def test_objects_inside_objects_are_converted_first():
    built = convert_nested({"layer": {"LSTM": {"units": 4, "kernel_regularizer": {"L2": {"l2": 0.1}}}},
                            "activation": {"relu": None}},
                           lambda family, name, args, path: (family, name, args, path))
    assert built == {"layer": ("layers", "LSTM", {"units": 4, "kernel_regularizer": (
        "regularizers", "L2", {"l2": 0.1}, ("layer", "LSTM", "kernel_regularizer"))}, ("layer",)),
        "activation": "relu"}


@pytest.mark.parametrize("line, expected", [
    ("kernel_regularizer: {L1L3: {l1: 0.01}}",
     "config.yaml:5: model.layers[0].Dense.kernel_regularizer: unknown regularizer 'L1L3'; did you mean 'L1L2'"),
    ("kernel_initializer: he_normall",
     "config.yaml:5: model.layers[0].Dense.kernel_initializer: unknown initializer 'he_normall'; did you mean "),
    ("kernel_constraint: {MaxNrm: {max_value: 2}}",
     "config.yaml:5: model.layers[0].Dense.kernel_constraint: unknown constraint 'MaxNrm'; did you mean 'MaxNorm'"),
    ("activation: rleu", "config.yaml:5: model.layers[0].Dense.activation: unknown activation 'rleu'; did you mean 'relu'"),
    ("activation: {relu: {alpha: 2}}",
     "config.yaml:5: model.layers[0].Dense.activation.relu: activation 'relu' is a function and takes no arguments"),
    ("kernel_regularizer: {l1: 0.1, l2: 0.1}",
     "config.yaml:5: model.layers[0].Dense.kernel_regularizer: expected a Keras regularizer as `Name` or"),
])
def test_a_wrong_nested_object_names_file_line_and_key(write_config, tmp_path, line, expected):
    text = f"model:\n  type: sequential\n  layers:\n    - Dense:\n        {line}\n    - Dense: {{}}\n"
    problems = problems_of(write_config, text)
    assert len(problems) == 1 and problems[0].startswith(f"{tmp_path}/{expected}"), problems


def test_a_misspelt_layer_inside_a_wrapper(write_config, tmp_path):
    problems = problems_of(write_config, NESTED.replace("LSTM", "LSMT"))
    assert problems == [f"{tmp_path}/config.yaml:5: model.layers[1].Bidirectional.layer: unknown layer 'LSMT'; "
                        "did you mean 'LSTM'?"]


def test_a_misspelt_schedule_and_an_object_in_its_arguments(write_config, tmp_path):
    problems = problems_of(write_config, NESTED.replace("ExponentialDecay", "ExponentialDecy"))
    assert len(problems) == 1 and problems[0].startswith(
        f"{tmp_path}/config.yaml:15: optimizer: unknown learning-rate schedule 'ExponentialDecy'; "
        "did you mean 'ExponentialDecay'"), problems


def test_nested_objects_are_checked_without_importing_tensorflow(write_config):
    path = write_config(NESTED.replace("L1L2", "L1L3"))
    code = ("import sys\nfrom dltrain.config import load_config\n"
            f"try:\n    load_config({str(path)!r})\nexcept Exception as err:\n    print(err)\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "unknown regularizer 'L1L3'" in out and out.strip().endswith("False False"), out
