"""The search section: its grammar, and every key path checked against the config as --set would be (no TensorFlow)."""

from __future__ import annotations

import pytest

from dltrain.config import load_config
from dltrain.config.search import default_direction, duration_seconds, key_path
from dltrain.errors import UserError
from conftest import CONFIGS

BASE = """\
seed: 1
data: {dataset: digits}
model: {type: mlp, hidden_units: [32]}
optimizer: {Adam: {learning_rate: 0.01}}
search:
  space:
"""


def problems(write_config, space_lines: str, extra: str = "") -> list:
    path = write_config(BASE + space_lines + extra)
    with pytest.raises(UserError) as caught:
        load_config(path)
    return caught.value.problems


def test_a_misspelt_key_is_named_at_its_line_with_did_you_mean(write_config):
    (problem,) = problems(write_config, "    optimizer.Adam.learning_rate: {loguniform: [1.0e-4, 0.1]}\n"
                                        "    model.dropuot: {uniform: [0.0, 0.5]}\n")
    assert problem.line == 8 and problem.key == "search.space.model.dropuot"
    assert problem.file.endswith("config.yaml")
    assert "unknown key 'dropuot'; did you mean 'dropout'?" in problem.message


def test_a_value_the_schema_refuses_at_one_end_is_named(write_config):
    (problem,) = problems(write_config, "    model.dropout: {uniform: [0.0, 1.5]}\n")
    assert problem.line == 7 and "the high end, 1.5, is refused" in problem.message and "less than 1" in problem.message


def test_a_choice_the_schema_refuses_is_named(write_config):
    (problem,) = problems(write_config, "    training.batch_size: {choice: [32, 0]}\n")
    assert "the choice, 0, is refused" in problem.message and "greater than 0" in problem.message


def test_a_path_through_another_keras_object_says_which_one_the_config_has(write_config):
    (problem,) = problems(write_config, "    optimizer.SGD.momentum: {uniform: [0.0, 0.9]}\n")
    assert "optimizer is Adam in this config, not SGD" in problem.message


@pytest.mark.parametrize("space, words", [
    ("{normal: [0, 1]}", "a space is one of"),
    ("{uniform: [0.5, 0.1]}", "the low end must be below the high end"),
    ("{loguniform: [0.0, 0.1]}", "loguniform needs a low end above 0"),
    ("{int: [1.5, 4]}", "int takes two whole numbers"),
    ("{choice: []}", "choice needs at least one value"),
    ("{choice: [1, 1]}", "choice lists a value twice"),
    ("{loguniform: [0.03]}", "loguniform takes [low, high], two numbers, got [0.03]"),  # was a TypeError
    ("{uniform: 0.1}", "uniform takes a list"),
])
def test_the_grammar_refuses_malformed_spaces(write_config, space, words):
    (problem,) = problems(write_config, f"    model.dropout: {space}\n")
    assert words in problem.message and problem.line == 7


def test_keys_that_are_not_paths_or_not_searchable_are_refused(write_config):
    found = problems(write_config, "    model..dropout: {uniform: [0.0, 0.5]}\n    seed: {int: [1, 9]}\n")
    assert [p.line for p in found] == [7, 8]
    assert "not a key path" in found[0].message and "cannot be searched" in found[1].message


def test_a_grid_needs_finite_values(write_config):
    (problem,) = problems(write_config, "    model.dropout: {uniform: [0.0, 0.5]}\n", "  sampler: grid\n")
    assert "grid sampler walks finite values; model.dropout" in problem.message


def test_a_valid_search_loads_and_leaves_the_rest_of_the_config_alone(write_config):
    config = load_config(write_config(BASE + "    model.hidden_units: {choice: [[64], [128, 64]]}\n  timeout: 30m\n"))
    assert config.search.space["model.hidden_units"].values == [[64], [128, 64]]
    assert config.search.timeout == 1800 and config.search.trials == 20 and config.search.sampler == "tpe"
    assert config.model.hidden_units == [32]  # fit trains the config as written


def test_the_shipped_tune_config_validates_and_builds_on_the_quickstart():
    config = load_config(CONFIGS / "digits_tune.yaml")
    assert config.name == "digits_tune" and config.data.dataset == "digits"
    assert set(config.search.space) == {"optimizer.Adam.learning_rate", "model.hidden_units", "model.dropout",
                                        "training.batch_size"}


def test_helpers():
    assert key_path("model.layers[0].Dense.units") == ("model", "layers", 0, "Dense", "units")
    assert duration_seconds("2h") == 7200 and duration_seconds(90) == 90 and duration_seconds("45s") == 45
    with pytest.raises(ValueError):
        duration_seconds("soon")
    assert default_direction("val_loss") == "minimize" and default_direction("val_accuracy") == "maximize"
    assert default_direction("val_mae") == "minimize" and default_direction("val_auc") == "maximize"
    assert default_direction("val_custom") is None
