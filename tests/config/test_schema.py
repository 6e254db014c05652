"""The schema: defaults, Keras-object syntax, and errors that point at the line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import CONFIGS, REPO
from dltrain.config import (
    CNNModel,
    KerasObject,
    MLPModel,
    SequentialModel,
    config_from_data,
    load_config,
    readme_with_reference,
)
from dltrain.errors import UserError


def errors_of(write_config, text: str) -> list[str]:
    path = write_config(text)
    with pytest.raises(UserError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


def test_defaults_fill_everything():
    config = config_from_data({})
    assert config.data.dataset == "digits"
    assert config.data.validation_split == 0.1
    assert isinstance(config.model, MLPModel)
    assert config.loss == KerasObject(name="sparse_categorical_crossentropy")
    assert config.training.epochs == 10 and config.training.batch_size == 32


def test_name_defaults_to_file_stem(write_config):
    assert load_config(write_config("seed: 1\n", name="my_exp.yaml")).name == "my_exp"


def test_model_kind_follows_type_or_layers():
    assert isinstance(config_from_data({"model": {"type": "cnn"}}).model, CNNModel)
    assert isinstance(config_from_data({"model": {"layers": ["Flatten", {"Dense": {}}]}}).model, SequentialModel)


def test_keras_objects_accept_name_or_one_key_mapping():
    config = config_from_data(
        {
            "loss": {"CategoricalCrossentropy": {"label_smoothing": 0.1}},
            "optimizer": "SGD",
            "metrics": ["accuracy", {"Precision": None}],
        }
    )
    assert config.loss.kwargs == {"label_smoothing": 0.1}
    assert config.optimizer.name == "SGD"
    assert config.metrics[1] == KerasObject(name="Precision")


def test_resolved_config_round_trips(write_config):
    config = load_config(CONFIGS / "mnist_cnn.yaml")
    again = load_config(write_config(config.to_yaml()))
    assert again.resolved() == config.resolved()


def test_validation_data_test_turns_split_off():
    config = config_from_data({"data": {"validation_data": "test"}})
    assert config.data.validation_split == 0.0


@pytest.mark.parametrize(
    ("loss", "classes", "encoding", "activation"),
    [
        ("sparse_categorical_crossentropy", 10, "sparse", "softmax"),
        ("categorical_crossentropy", 10, "onehot", "softmax"),
        ("mse", 10, "onehot", "softmax"),
        ("binary_crossentropy", 2, "binary", "sigmoid"),
        ("binary_crossentropy", 5, "onehot", "sigmoid"),
    ],
)
def test_labels_and_output_follow_the_loss(loss, classes, encoding, activation):
    config = config_from_data({"loss": loss})
    assert config.label_encoding(classes) == encoding
    assert config.output_activation() == activation


def test_from_logits_means_linear_output():
    config = config_from_data({"loss": {"CategoricalCrossentropy": {"from_logits": True}}})
    assert config.output_activation() == "linear"


def test_unknown_key_names_line_path_and_suggestion(write_config):
    (msg,) = errors_of(write_config, "seed: 1\ntraining:\n  epochs: 3\n  bach_size: 64\n")
    assert msg.endswith("valid keys here: epochs, batch_size, monitor, deterministic, steps_per_execution, jit_compile, "
                        "mixed_precision, class_weight, distribute, callbacks")
    assert "config.yaml:4: training.bach_size: unknown key 'bach_size'; did you mean 'batch_size'?" in msg


def test_unknown_key_inside_a_model_preset(write_config):
    (msg,) = errors_of(write_config, "model:\n  type: mlp\n  hiden_units: [3]\n")
    assert ":3: model.hiden_units: unknown key" in msg and "did you mean 'hidden_units'" in msg


def test_every_problem_is_reported_at_once(write_config):
    msgs = errors_of(
        write_config,
        """
        data:
          dataset: mnist
          scale: zscore
        model:
          type: mlp
          dropout: 1.5
        training:
          epochs: ten
          batch_size: -3
        """,
    )
    assert len(msgs) == 4
    joined = "\n".join(msgs)
    assert ":3: data.scale: input should be 'unit', 'standard' or 'none', got 'zscore'" in joined
    assert ":6: model.dropout: input should be less than 1, got 1.5" in joined
    assert ":8: training.epochs:" in joined and "'ten'" in joined
    assert ":9: training.batch_size: input should be greater than 0, got -3" in joined


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("loss: categorical_crossentropi\n", "loss: unknown loss 'categorical_crossentropi'; did you mean 'categorical_crossentropy'"),
        ("optimizer: adamm\n", "optimizer: unknown optimizer 'adamm'; did you mean 'Adam'"),
        ("metrics: [accuracy, precission]\n", "metrics[1]: unknown metric 'precission'"),
        ("metrics: [acc, loss, name, path]\n", "metrics[1]: unknown metric 'loss'"),
        ("metrics: [acc, loss, name, path]\n", "metrics[2]: unknown metric 'name'"),
        ("metrics: [acc, loss, name, path]\n", "metrics[3]: unknown metric 'path'"),
        ("metrics: [ce]\n", "metrics[0]: unknown metric 'ce'"),
        ("loss: CategoricalGeneralizedCrossEntropy\n", "loss: unknown loss 'CategoricalGeneralizedCrossEntropy'"),
        ("model:\n  layers:\n    - InputSpec: {}\n", "model.layers[0]: unknown layer 'InputSpec'"),
        ("model:\n  layers:\n    - Dens: {units: 3}\n", ":3: model.layers[0]: unknown layer 'Dens'; did you mean 'Dense'?"),
        ("model:\n  activation: rellu\n", "model.activation: unknown activation 'rellu'; did you mean 'relu'"),
        ("training:\n  callbacks:\n    - EarlyStoping: {}\n", "training.callbacks[0]: unknown callback 'EarlyStoping'; did you mean 'EarlyStopping'?"),
        ("training:\n  callbacks:\n    - ModelCheckpoint: {filepath: x.keras}\n", "ModelCheckpoint cannot be set in a config"),
        ("optimizer: {SGD: {learning_rate: {ExponentialDeca: {}}}}\n", "unknown learning-rate schedule 'ExponentialDeca'"),
        ("model:\n  type: transformer\n", "model: unknown model type; use mlp, cnn, sequential or functional"),
        ("data: {dataset: npz}\n", "dataset 'npz' reads a local file: set data.path"),
        ("data: {dataset: imagenet}\n", "data.dataset: input should be"),
        ("data: {validation_split: 0.2, validation_data: test}\n", "keep one of them"),
        ("loss: {categorical_crossentropy: {label_smoothing: 0.1}}\n", "is a function and takes no arguments; use its class: `{CategoricalCrossentropy: {...}}`"),
        ("name: ../../etc\n", "name: string should match pattern"),
        ("model:\n  layers: [[1, 2]]\n", "expected a Keras name such as `Dense`"),
        ("model:\n  layers: []\n", "model.layers: list should have at least 1 item"),
    ],
)
def test_bad_values_name_the_key_and_the_fix(write_config, text, expected):
    msgs = errors_of(write_config, text)
    assert any(expected in m for m in msgs), msgs
    assert all("config.yaml:" in m for m in msgs)


def test_yaml_syntax_error_names_the_line(write_config):
    (msg,) = errors_of(write_config, "model:\n  type: mlp\n   hidden_units: [1]\n")
    assert "config.yaml:3: YAML syntax error" in msg


def test_python_tags_are_refused(write_config, tmp_path):
    marker = tmp_path / "pwned"
    (msg,) = errors_of(write_config, f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    assert "YAML tag not allowed" in msg and not marker.exists()


def test_top_level_must_be_a_mapping(write_config):
    (msg,) = errors_of(write_config, "- a\n- b\n")
    assert "must be a YAML mapping" in msg


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_config_error_locates_later_problems(write_config):
    config = load_config(write_config("model:\n  layers:\n    - Dense: {units: 3}\n    - Flatten\n"))
    err = config.error("boom", "model", "layers", 1)
    assert str(err) == f"{config.source}:4: model.layers[1]: boom"


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_is_valid(path):
    head = path.read_text().splitlines()[:12]
    try:
        config = load_config(path)
    except UserError as err:
        # Configs whose data a script of configs/data/ writes (image and text folders) are valid once it
        # has run; anything else wrong with them is a real failure.
        generated = any("configs/data/make_" in line for line in head)
        if generated and all("no such file or folder" in p.message for p in err.problems):
            pytest.skip(f"{path.name}: its data is written by the script its header names")
        raise
    assert config.name == path.stem
    head = path.read_text().splitlines()[:8]
    assert any(f"dltrain fit configs/{path.name}" in line for line in head), "header must show the command"


def test_readme_reference_is_current():
    readme = (REPO / "README.md").read_text()
    assert readme_with_reference(readme) == readme, "stale: run `python -m dltrain.config README.md`"


def test_reference_documents_every_key():
    readme = (REPO / "README.md").read_text()
    for key in ("data.validation_split", "model.hidden_units", "model.layers", "training.callbacks", "model.conv_blocks[].filters"):
        assert f"`{key}`" in readme


def test_config_module_does_not_import_tensorflow():
    code = (
        "import sys; from dltrain.config import load_config; "
        f"load_config({str(CONFIGS / 'mnist_cnn.yaml')!r}); "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'imported TF'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
