"""Reading configs: `base:` inheritance, `--set` overrides, and where values came from."""

from __future__ import annotations

import pytest

from conftest import CONFIGS
from dltrain.config import load_config
from dltrain.errors import UserError


@pytest.fixture
def layered(write_config):
    write_config(
        """
        name: parent
        data:
          dataset: mnist
          scale: unit
        model:
          type: mlp
          hidden_units: [512, 512]
        optimizer: {SGD: {learning_rate: 0.1}}
        training:
          epochs: 10
          batch_size: 128
        """,
        name="base.yaml",
    )
    return write_config(
        """
        base: base.yaml
        data:
          dataset: fashion_mnist
        optimizer: {Adam: {beta_1: 0.8}}
        training:
          epochs: 3
        """,
        name="child.yaml",
    )


def test_child_overrides_base_key_by_key(layered):
    config = load_config(layered)
    assert config.data.dataset == "fashion_mnist" and config.data.scale == "unit"
    assert config.model.hidden_units == [512, 512]
    assert config.training.epochs == 3 and config.training.batch_size == 128
    assert config.name == "child"  # never inherited


def test_keras_objects_are_replaced_whole(layered):
    config = load_config(layered)
    assert config.optimizer.name == "Adam" and config.optimizer.kwargs == {"beta_1": 0.8}


def test_model_of_another_type_replaces_the_base_model(write_config):
    write_config("model:\n  layers:\n    - Flatten\n    - Dense: {}\n", name="b.yaml")
    config = load_config(write_config("base: b.yaml\nmodel:\n  type: cnn\n", name="c.yaml"))
    assert config.model.type == "cnn"


def test_origins_name_file_and_line(layered, tmp_path):
    config = load_config(layered)
    assert config.origins[("data", "dataset")] == (str(layered), 3)
    assert config.origins[("data", "scale")] == (str(tmp_path / "base.yaml"), 4)
    assert ("optimizer", "SGD") not in config.origins  # replaced: the base's lines no longer apply
    assert ("training", "batch_size") in config.origins and ("seed",) not in config.origins


def test_error_inside_a_base_names_the_base_file(write_config):
    base = write_config("training:\n  epochs: -1\n", name="base.yaml")
    child = write_config("base: base.yaml\nmodel: {type: cnn}\n", name="child.yaml")
    with pytest.raises(UserError) as info:
        load_config(child)
    assert str(info.value) == f"{base}:2: training.epochs: input should be greater than 0, got -1"


def test_yaml_error_inside_a_base(write_config):
    base = write_config("data:\n  dataset: [mnist\n", name="base.yaml")
    with pytest.raises(UserError, match=f"{base}:3: YAML syntax error"):
        load_config(write_config("base: base.yaml\n", name="child.yaml"))


def test_missing_base(write_config):
    with pytest.raises(UserError, match=r"child.yaml:2: base: base config .*nope.yaml not found; the path is relative to this file"):
        load_config(write_config("seed: 1\nbase: nope.yaml\n", name="child.yaml"))


def test_base_cycle(write_config):
    write_config("base: b.yaml\n", name="a.yaml")
    b = write_config("base: a.yaml\n", name="b.yaml")
    with pytest.raises(UserError, match=r"base configs form a cycle: .*b.yaml -> .*a.yaml -> .*b.yaml"):
        load_config(b)


def test_base_of_a_base(write_config):
    write_config("training: {epochs: 7, batch_size: 5}\n", name="a.yaml")
    write_config("base: a.yaml\ntraining: {batch_size: 6}\n", name="b.yaml")
    config = load_config(write_config("base: b.yaml\nseed: 3\n", name="c.yaml"))
    assert (config.training.epochs, config.training.batch_size, config.seed) == (7, 6, 3)


def test_shipped_fashion_configs_build_on_the_mnist_ones():
    mlp = load_config(CONFIGS / "fashion_mnist_mlp.yaml")
    assert mlp.training.batch_size == 128 and mlp.data.reshape == "flatten"  # from mnist_mlp.yaml
    assert mlp.origins[("training", "batch_size")][0].endswith("mnist_mlp.yaml")


@pytest.mark.parametrize(
    ("overrides", "check"),
    [
        (["training.epochs=3"], lambda c: c.training.epochs == 3),
        (["optimizer.SGD.learning_rate=0.5"], lambda c: c.optimizer.kwargs["learning_rate"] == 0.5),
        (["optimizer={Adam: {learning_rate: 0.001}}"], lambda c: c.optimizer.name == "Adam"),
        (["model.hidden_units=[8, 4]"], lambda c: c.model.hidden_units == [8, 4]),
        (["model.hidden_units[1]=7"], lambda c: c.model.hidden_units == [512, 7]),
        (["model.hidden_units.0=9"], lambda c: c.model.hidden_units == [9, 512]),
        (["data.path=null"], lambda c: c.data.path is None),
        (["seed=1", "seed=2"], lambda c: c.seed == 2),  # later wins
    ],
)
def test_overrides(layered, overrides, check):
    layered.write_text(layered.read_text().replace("optimizer: {Adam: {beta_1: 0.8}}", "optimizer: {SGD: {learning_rate: 0.1}}"))
    config = load_config(layered, overrides)
    assert check(config)
    assert config.overrides == overrides


def test_override_origin(layered):
    config = load_config(layered, ["model.hidden_units=[8]"])
    assert config.origins[("model", "hidden_units")] == ("--set model.hidden_units=[8]", None)
    assert config.origins[("model", "hidden_units", 0)] == ("--set model.hidden_units=[8]", None)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("training.epochz=3", "--set training.epochz=3: training.epochz: unknown key 'epochz'; did you mean 'epochs'?"),
        ("training.epochs=three", "--set training.epochs=three: training.epochs: input should be a valid integer"),
        ("training.epochs", "--set training.epochs: expected KEY=VALUE"),
        ("=3", "expected KEY=VALUE"),
        ("training..epochs=3", "is not a key path"),
        ("model.hidden_units[5]=3", "model.hidden_units[5] is not an item of the list (it has 2)"),
        ("training.epochs=[1", "the value is not valid YAML"),
        ("seed.value=3", "seed holds a value, not a section") ,
    ],
)
def test_bad_overrides(layered, override, expected):
    layered.write_text(layered.read_text() + "seed: 5\n")
    with pytest.raises(UserError) as info:
        load_config(layered, [override])
    assert expected in str(info.value)


def test_scientific_notation_without_a_dot_is_a_number(write_config):
    """PyYAML (YAML 1.1) reads 1e-3 as a string; people mean the number."""
    config = load_config(write_config("optimizer: {Adam: {learning_rate: 1e-3, epsilon: -2E-7}}\n"
                                      "training: {callbacks: [{ReduceLROnPlateau: {min_lr: 1e-6}}]}\n"))
    assert config.optimizer.kwargs == {"learning_rate": 0.001, "epsilon": -2e-07}
    assert config.training.callbacks[0].kwargs["min_lr"] == 1e-06
    assert load_config(write_config("name: 1e3x\n")).name == "1e3x"  # not a number: stays text


BARE_NAMES = """\
model:
  type: sequential
  layers:
    - Dense: {units: 8, kernel_regularizer: l2}
    - Flatten
    - Dense: {}
loss: categorical_crossentropy
optimizer: sgd
metrics: [accuracy]
"""


@pytest.mark.parametrize(
    ("override", "check"),
    [
        ("optimizer.SGD.learning_rate=0.05",  # the README's own example, on a config that writes `optimizer: sgd`
         lambda c: (c.optimizer.name, c.optimizer.kwargs) == ("SGD", {"learning_rate": 0.05})),
        ("loss.CategoricalCrossentropy.label_smoothing=0.1",
         lambda c: (c.loss.name, c.loss.kwargs) == ("CategoricalCrossentropy", {"label_smoothing": 0.1})),
        ("model.layers[1].Flatten.data_format=channels_last",
         lambda c: c.model.layers[1].kwargs == {"data_format": "channels_last"}),
        ("model.layers[0].Dense.kernel_regularizer.L2.l2=0.1",
         lambda c: c.model.layers[0].kwargs["kernel_regularizer"] == {"L2": {"l2": 0.1}}),
        ("metrics[0].Accuracy.name=acc", lambda c: c.metrics[0].kwargs == {"name": "acc"}),
    ],
)
def test_set_reaches_into_a_keras_object_written_as_a_bare_name(write_config, override, check):
    config = load_config(write_config(BARE_NAMES), [override])
    assert check(config)
    path = override.split("=")[0].replace("[", ".").replace("]", "").split(".")
    written = tuple(int(p) if p.isdigit() else p for p in path)
    for depth in (len(written), len(written) - 2):  # the value, and the object the --set turned into a mapping
        assert config.origin_of(written[:depth]) == (f"--set {override}", None), written[:depth]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("optimizer.Adam.learning_rate=0.05",
         "--set optimizer.Adam.learning_rate=0.05: optimizer is `sgd`, not Adam; to use Adam, set it whole: "
         "--set 'optimizer={Adam: {learning_rate: 0.05}}'"),
        ("model.layers[0].Conv2D.filters=4",
         "--set model.layers[0].Conv2D.filters=4: model.layers[0] is `Dense`, not Conv2D; to use Conv2D, set it "
         "whole: --set 'model.layers[0]={Conv2D: {filters: 4}}'"),
        ("model.layers[0].dense.units=4",
         "--set model.layers[0].dense.units=4: model.layers[0] is `Dense`; write it as the file does: "
         "model.layers[0].Dense.units=4"),
    ],
)
def test_set_naming_another_keras_object_says_how_to_replace_it(write_config, override, expected):
    with pytest.raises(UserError) as info:
        load_config(write_config(BARE_NAMES), [override])
    assert str(info.value) == expected


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "{}\n", "---\n"])
def test_an_empty_config_is_refused_by_fit_before_any_run_directory(tmp_path, capsys, text):
    from dltrain.cli.app import run

    (tmp_path / "empty.yaml").write_text(text, encoding="utf-8")
    assert run(["fit", str(tmp_path / "empty.yaml"), "--runs-dir", str(tmp_path / "runs")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {tmp_path / 'empty.yaml'}:1: the config is empty; "
                                               "`dltrain init` writes a starter")
    assert not (tmp_path / "runs").exists()
