"""The builder: seed models rebuilt exactly, Keras errors turned into config errors."""

from __future__ import annotations

import pytest

from conftest import CONFIGS
from dltrain.config import config_from_data, load_config
from dltrain.errors import UserError
from dltrain.models import build_model, compile_model, make_callbacks, make_optimizer, summary_text
from dltrain.tf_quiet import keras

# The seed models are written as the posts write them, with `input_shape=` on the first layer.
pytestmark = pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`")


def layer_table(model):
    return [(type(layer).__name__, tuple(layer.output.shape), layer.count_params()) for layer in model.layers]


def same_model(ours, theirs):
    assert layer_table(ours) == layer_table(theirs)
    assert ours.count_params() == theirs.count_params()
    for a, b in zip(ours.layers, theirs.layers):
        ca, cb = a.get_config(), b.get_config()
        for key in ("units", "activation", "filters", "kernel_size", "pool_size", "strides", "padding", "rate"):
            assert ca.get(key) == cb.get(key), (type(a).__name__, key)


# The seed posts' models, written out as they write them.
def seed_000_mlp():
    model = keras.models.Sequential()
    model.add(keras.layers.Dense(512, activation="relu", input_shape=(784,)))
    model.add(keras.layers.Dense(512, activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))
    return model


def seed_001_features():
    model = keras.models.Sequential()
    model.add(keras.layers.Dense(units=64, activation="relu", input_dim=100))
    model.add(keras.layers.Dense(units=10, activation="softmax"))
    return model


def seed_002_cnn():
    model = keras.models.Sequential()
    model.add(keras.layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(keras.layers.MaxPooling2D((2, 2)))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(128, activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))
    return model


def seed_003_dense():
    return keras.models.Sequential(
        [
            keras.layers.Flatten(input_shape=(28, 28)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


@pytest.mark.parametrize(
    ("config", "input_shape", "seed_model", "encoding"),
    [
        ("mnist_mlp.yaml", (784,), seed_000_mlp, "onehot"),
        ("features_mlp.yaml", (100,), seed_001_features, "onehot"),
        ("mnist_cnn.yaml", (28, 28, 1), seed_002_cnn, "sparse"),
        ("mnist_dense.yaml", (28, 28), seed_003_dense, "sparse"),
        ("fashion_mnist_cnn.yaml", (28, 28, 1), seed_002_cnn, "sparse"),
    ],
)
def test_shipped_configs_rebuild_the_seed_models(config, input_shape, seed_model, encoding):
    cfg = load_config(CONFIGS / config)
    assert cfg.label_encoding(10) == encoding
    same_model(build_model(cfg, input_shape, 10, encoding), seed_model())


def test_seed_compile_settings():
    cfg = load_config(CONFIGS / "mnist_mlp.yaml")
    model = compile_model(build_model(cfg, (784,), 10, "onehot"), cfg)
    assert type(model.optimizer).__name__ == "SGD"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)  # SGD()'s default, as in the seed
    assert cfg.training.batch_size == 128 and cfg.training.epochs == 10


def test_mlp_preset_with_regularization_and_batch_norm():
    cfg = config_from_data({"model": {"type": "mlp", "hidden_units": [8, 4], "batch_norm": True, "dropout": 0.5, "l2": 0.01}})
    model = build_model(cfg, (5,), 3, "sparse")
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Dense", "BatchNormalization", "Activation", "Dropout"] * 2 + ["Dense"]
    assert model.layers[0].kernel_regularizer.get_config()["l2"] == pytest.approx(0.01)
    assert model.layers[-1].get_config()["activation"] == "softmax"


def test_output_follows_the_loss_when_not_given():
    binary = build_model(config_from_data({"loss": "binary_crossentropy"}), (4,), 2, "binary")
    assert binary.output_shape == (None, 1) and binary.layers[-1].get_config()["activation"] == "sigmoid"
    logits = config_from_data({"loss": {"SparseCategoricalCrossentropy": {"from_logits": True}}, "model": {"layers": ["Flatten", {"Dense": {}}]}})
    model = build_model(logits, (3, 3), 7, "sparse")
    assert model.output_shape == (None, 7) and model.layers[-1].get_config()["activation"] == "linear"


def test_any_keras_layer_by_name():
    cfg = config_from_data(
        {"model": {"layers": [{"Reshape": {"target_shape": [4, 4]}}, {"GRU": {"units": 5}}, {"LayerNormalization": None}, {"Dense": {}}]}}
    )
    assert build_model(cfg, (16,), 3, "sparse").output_shape == (None, 3)


def test_wrong_layer_argument_points_at_the_layer(write_config):
    cfg = load_config(write_config("model:\n  layers:\n    - Dense: {unit: 3}\n    - Dense: {}\n"))
    with pytest.raises(UserError, match=r"config.yaml:3: model.layers\[0\].Dense: Dense: .*unit.*fix its arguments"):
        build_model(cfg, (4,), 3, "sparse")


def test_code_running_layers_are_refused(write_config):
    cfg = load_config(write_config("model:\n  layers:\n    - Lambda: {function: print}\n    - Dense: {}\n"))
    with pytest.raises(UserError, match="Lambda runs code"):
        build_model(cfg, (4,), 3, "sparse")


def test_cnn_on_flat_data_is_a_user_error(write_config):
    cfg = load_config(write_config("data: {reshape: none}\nmodel:\n  type: cnn\n"))
    with pytest.raises(UserError, match=r"config.yaml:3: model.type: a cnn needs images"):
        build_model(cfg, (64,), 10, "sparse")


def test_conv_layer_on_flat_data(write_config):
    cfg = load_config(write_config("model:\n  layers:\n    - Conv2D: {filters: 4, kernel_size: 3}\n    - Flatten\n    - Dense: {}\n"))
    with pytest.raises(UserError, match=r"model.layers: the model cannot take inputs of shape \(64,\).*1-D"):
        build_model(cfg, (64,), 10, "sparse")


def test_pooling_larger_than_its_input(write_config):
    cfg = load_config(write_config("model:\n  type: cnn\n  conv_blocks:\n    - {filters: 4, pool_size: 9}\n"))
    with pytest.raises(UserError, match=r"model.conv_blocks: the model cannot take inputs of shape \(8, 8, 1\)"):
        build_model(cfg, (8, 8, 1), 10, "sparse")


def test_output_size_must_match_the_classes(write_config):
    cfg = load_config(write_config("model:\n  layers:\n    - Flatten\n    - Dense: {units: 5, activation: softmax}\n"))
    with pytest.raises(UserError, match=r"config.yaml:4: model.layers\[1\]: the output layer has 5 units but the data has 10 classes.*set units: 10"):
        build_model(cfg, (8, 8), 10, "sparse")


def test_output_must_be_one_vector_per_sample(write_config):
    cfg = load_config(write_config("model:\n  layers:\n    - Dense: {units: 4}\n    - Dense: {}\n"))
    with pytest.raises(UserError, match="add a Flatten"):
        build_model(cfg, (8, 8), 4, "sparse")


def test_preset_output_units_mismatch():
    cfg = config_from_data({"model": {"output": {"units": 3}}})
    with pytest.raises(UserError, match=r"model.output.units: the output layer has 3 units"):
        build_model(cfg, (4,), 10, "sparse")


def test_optimizer_with_schedule():
    cfg = config_from_data(
        {"optimizer": {"SGD": {"momentum": 0.9, "learning_rate": {"ExponentialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}}}}}
    )
    opt = make_optimizer(cfg)
    schedule = opt._learning_rate  # Keras keeps the schedule object; .learning_rate is its current value
    assert isinstance(schedule, keras.optimizers.schedules.ExponentialDecay)
    assert schedule.get_config()["decay_rate"] == 0.5 and opt.get_config()["momentum"] == 0.9
    opt.iterations.assign(10)  # one decay period later the rate has halved: the schedule acts
    assert float(opt.learning_rate) == pytest.approx(0.05)


def test_optimizer_bad_argument():
    cfg = config_from_data({"optimizer": {"Adam": {"learning_rat": 0.1}}})
    with pytest.raises(UserError, match="optimizer: Adam:"):
        make_optimizer(cfg)


def test_loss_and_metric_with_arguments_compile():
    cfg = config_from_data(
        {
            "loss": {"CategoricalCrossentropy": {"label_smoothing": 0.1}},
            "metrics": ["accuracy", {"TopKCategoricalAccuracy": {"k": 2}}, {"mae": None}],
        }
    )
    model = compile_model(build_model(cfg, (4,), 3, "onehot"), cfg)
    assert model.loss.get_config()["label_smoothing"] == 0.1


def test_callbacks_by_name():
    cfg = config_from_data({"training": {"callbacks": [{"EarlyStopping": {"patience": 2}}, "TerminateOnNaN"]}})
    early, nan = make_callbacks(cfg)
    assert early.patience == 2 and type(nan).__name__ == "TerminateOnNaN"


def test_callback_bad_argument():
    cfg = config_from_data({"training": {"callbacks": [{"EarlyStopping": {"patiense": 2}}]}})
    with pytest.raises(UserError, match=r"training.callbacks\[0\].EarlyStopping: EarlyStopping:"):
        make_callbacks(cfg)


def test_summary_text_is_complete():
    text = summary_text(seed_000_mlp())
    assert "669,706" in text and "Param #" in text


@pytest.mark.parametrize(
    ("config", "shape", "expected"),
    [
        ({"model": {"type": "mlp"}}, (4,), True),
        ({"model": {"type": "mlp", "batch_norm": True, "dropout": 0.1}}, (4,), True),
        ({"model": {"type": "cnn"}}, (8, 8, 1), False),
        ({"model": {"layers": [{"LSTM": {"units": 3}}, {"Dense": {}}]}}, (4, 4), False),
        ({"model": {"type": "mlp"}, "training": {"deterministic": True}}, (4,), False),
        ({"model": {"type": "cnn"}, "training": {"jit_compile": True}}, (8, 8, 1), True),
        ({"model": {"type": "mlp"}, "training": {"jit_compile": False}}, (4,), False),
    ],
)
def test_xla_only_where_it_measured_faster(config, shape, expected):
    from dltrain.models import use_xla

    cfg = config_from_data(config)
    assert use_xla(cfg, build_model(cfg, shape, 3, "sparse")) is expected


@pytest.mark.parametrize(("samples", "epochs", "expected"), [
    (60_000, 20, True),  # the seed MLP: ~4.8 TFLOP of training repays the compile
    (60_000, 2, True),   # two of its epochs: 482 GFLOP
    (60_000, 1, False),  # one: 241 GFLOP, about what the compile costs
    (5_000, 8, False),   # a few thousand samples for a few epochs: 161 GFLOP
    (1_024, 20, False),  # a smoke run's slice
])
def test_auto_xla_waits_for_a_training_long_enough_to_repay_the_compile(samples, epochs, expected):
    from dltrain.models import build_model as build
    from dltrain.models.compile import XLA_MIN_TRAINING_FLOPS, training_flops, use_xla

    cfg = config_from_data({"model": {"type": "mlp", "hidden_units": [512, 512], "dropout": 0.2},
                            "training": {"epochs": epochs}})
    model = build(cfg, (784,), 10, "sparse")
    assert model.count_params() == 669_706
    assert (training_flops(model, samples, epochs) >= XLA_MIN_TRAINING_FLOPS) is expected
    assert use_xla(cfg, model, samples) is expected
    assert use_xla(cfg, model) is True  # without a data size: the layers alone decide


@pytest.mark.parametrize(("samples", "epochs"), [(256, 1), (1_617, 60), (None, 1)])
def test_on_jax_auto_always_jits(samples, epochs, monkeypatch):
    from dltrain.models.compile import use_xla

    cfg = config_from_data({"model": {"type": "cnn"}, "training": {"batch_size": 32}})
    model = build_model(cfg, (8, 8, 1), 3, "sparse")
    assert use_xla(cfg, model, samples, epochs) is False  # TensorFlow: convolutions stay off
    monkeypatch.setattr("keras.backend.backend", lambda: "jax")
    assert use_xla(cfg, model, samples, epochs) is True  # JAX compiles by jit or runs op by op
