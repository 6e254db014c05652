"""Bad configs: YAML that breaks, parses but is surely wrong, or asks for unbounded work.

Each case gives exit code 2 and one ``error:`` line naming the config file, its
line and key where there is one, with no run directory left, in bounded time
and memory (see ``corpus.check_case``). Classes: YAML syntax and types, unknown
keys and names, resource bombs (aliases, nesting, digits, size, ``base:`` chains)
and inputs that parse but are wrong (null keys, tags whose value does not parse).
"""

from __future__ import annotations

import os

import pytest

from corpus import CSV, check_case, error_line
from dltrain import cli
from dltrain.config.limits import MAX_BASE_CHAIN, MAX_CONFIG_BYTES, MAX_YAML_ALIASES


def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def laughs_of_mappings(levels: int = 8) -> str:
    names = ["a"] + [f"b{i}" for i in range(levels)]
    lines = ["a: &a {x: 1, y: 1, z: 1, w: 1, v: 1, u: 1, t: 1, s: 1, r: 1, q: 1}"]
    lines += [f"{names[i + 1]}: &{names[i + 1]} [{', '.join([f'*{names[i]}'] * 10)}]" for i in range(levels)]
    return "\n".join(lines) + "\n"


def setup_base_chain(d):
    for i in range(MAX_BASE_CHAIN + 4):
        (d / f"c{i}.yaml").write_text(f"base: c{i + 1}.yaml\n" if i < MAX_BASE_CHAIN + 3 else "seed: 1\n")


def setup_config_is_dev_zero(d):
    os.symlink("/dev/zero", d / "config.yaml")


def setup_features(d):
    (d / "data").mkdir()
    (d / "data" / "features.csv").write_text("a,b,label\n" + "\n".join(f"{i},{i % 3},{i % 2}" for i in range(20)) + "\n")


BOMBS = {
    "bomb_billion_laughs": (billion_laughs(), None, "config.yaml:6: YAML error: expands to more than 100,000 values"),
    "bomb_billion_laughs_mapping": (laughs_of_mappings(), None, "YAML error: expands to more than 100,000 values"),
    "bomb_self_alias_list": ("a: &a [1, *a]\n", None, "config.yaml:1: YAML error: alias *a is inside its own anchor &a"),
    "bomb_self_alias_map": ("training: &t\n  epochs: 3\n  more: *t\n", None, "config.yaml:3: YAML error: alias *t is inside its own anchor"),
    "bomb_many_aliases": ("a: &x 1\nb: [" + "*x, " * (MAX_YAML_ALIASES + 1) + "]\n", None, f"more than {MAX_YAML_ALIASES} aliases"),
    "bomb_deep_flow_list": ("seed: " + "[" * 50_000 + "]" * 50_000 + "\n", None, "config.yaml:1: YAML error: nested more than 64 levels deep"),
    "bomb_deep_flow_map": ("seed: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n", None, "YAML error: nested more than 64 levels deep"),
    "bomb_deep_block": ("".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n", None, "YAML error: nested more than 64 levels deep"),
    "bomb_int_digits": ("seed: " + "9" * 5_000 + "\n", None, "config.yaml:1: YAML error: an integer of 5000 digits; at most 30"),
    "bomb_int_digits_epochs": ("training: {epochs: " + "1" * 4_400 + "}\n", None, "config.yaml:1: YAML error: an integer of 4400 digits"),
    "bomb_int_hex": ("seed: 0x" + "f" * 1_000 + "\n", None, "an integer of 1000 digits"),
    "bomb_int_underscores": ("seed: " + "1_" * 100 + "1\n", None, "an integer of 101 digits"),
    "bomb_big_int_in_range": ("training: {batch_size: 123456789012345678901234567890}\n", None, "training.batch_size: input should be less than or equal to 65536"),
    "bomb_config_size": ("# " + "x" * MAX_CONFIG_BYTES + "\nseed: 1\n", None, "config.yaml: the config is over 1,000,000 bytes"),
    "bomb_config_dev_zero": (None, setup_config_is_dev_zero, "config.yaml: the config is over 1,000,000 bytes"),
    "bomb_base_chain": ("base: c0.yaml\n", setup_base_chain, f"more than {MAX_BASE_CHAIN} configs in the `base:` chain"),
    "bomb_epochs": ("training: {epochs: 100000000000}\n", None, "config.yaml:1: training.epochs: input should be less than or equal to 1000000"),
    "bomb_hidden_width": ("model: {hidden_units: [100000000]}\n", None, "config.yaml:1: model.hidden_units[0]: input should be less than or equal to 65536"),
    "bomb_filters": ("model:\n  type: cnn\n  conv_blocks: [{filters: 10000000}]\n", None, "config.yaml:3: model.conv_blocks[0].filters: input should be less than or equal to 65536"),
    "bomb_output_units": ("model: {output: {units: 1000000000000}}\n", None, "config.yaml:1: model.output.units: input should be less than or equal to 65536"),
}

SURELY_WRONG = {
    "wrong_null_key": ("~: 1\n", None, "config.yaml:1: YAML error: a key is null"),
    "wrong_empty_key": ("training:\n  : 3\n", None, "config.yaml:2: YAML syntax error"),
    "wrong_null_key_nested": ("training:\n  ~: 3\n", None, "config.yaml:2: YAML error: a key is null"),
    "wrong_boolean_key": ("data:\n  yes: 1\n", None, "config.yaml:2: YAML error: a key is True (YAML reads yes/no/on/off as booleans)"),
    "wrong_int_tag": ("seed: !!int abc\n", None, "config.yaml:1: YAML error: !!int 'abc' does not parse"),
    "wrong_float_tag": ("training:\n  epochs: !!float ten\n", None, "config.yaml:2: YAML error: !!float 'ten' does not parse"),
    "wrong_timestamp_tag": ("name: !!timestamp someday\n", None, "config.yaml:1: YAML error: !!timestamp 'someday' does not parse"),
    "wrong_custom_tag": ("seed: !env SEED\n", None, "config.yaml:1: YAML tag not allowed: could not determine a constructor for the tag '!env'"),
    "wrong_merge_scalar": ("training:\n  <<: 5\n", None, "config.yaml:2: YAML error: expected a mapping or list of mappings for merging"),
    "wrong_python_name_tag": ("seed: !!python/name:os.system\n", None, "config.yaml:1: YAML tag not allowed"),
    "wrong_python_module_tag": ("seed: !!python/module:os\n", None, "config.yaml:1: YAML tag not allowed"),
    "wrong_negative_seed": ("seed: -5\n", None, "config.yaml:1: seed: input should be greater than or equal to 0, got -5"),
    "wrong_huge_seed": ("seed: 4294967296\n", None, "config.yaml:1: seed: input should be less than or equal to 4294967295"),
    "wrong_two_documents": ("seed: 1\n---\nseed: 2\n", None, "config.yaml:2: YAML syntax error: expected a single document in the stream, but found another document"),
}

# id: (config text, setup, expected fragment of the one error line)
CASES = {
    # YAML syntax
    "yaml_indent": ("data:\n  dataset: digits\n   scale: unit\n", None, "config.yaml:3: YAML syntax error"),
    "yaml_unclosed": ("model: {type: mlp\n", None, "config.yaml:2: YAML syntax error"),
    "yaml_tab": ("data:\n\tdataset: digits\n", None, "config.yaml:2: YAML syntax error"),
    "yaml_duplicate_key": ("seed: 1\nseed: 2\n", None, "config.yaml:2: YAML error: duplicate key 'seed'"),
    "yaml_python_tag": ("seed: !!python/object/apply:os.getpid []\n", None, "config.yaml:1: YAML tag not allowed"),
    "yaml_not_a_mapping": ("- epochs: 3\n", None, "config.yaml:1: a config must be a YAML mapping"),
    "yaml_scalar": ("just words\n", None, "config.yaml:1: a config must be a YAML mapping"),
    # wrong types
    "type_epochs": ("training: {epochs: ten}\n", None, "config.yaml:1: training.epochs: input should be a valid integer"),
    "type_batch_float": ("training: {batch_size: 1.5}\n", None, "config.yaml:1: training.batch_size: input should be a valid integer"),
    "type_hidden_units": ("model: {hidden_units: 64}\n", None, "config.yaml:1: model.hidden_units: input should be a valid list"),
    "type_dropout": ("model: {dropout: high}\n", None, "config.yaml:1: model.dropout: input should be a valid number"),
    "type_shuffle": ("data: {shuffle: maybe}\n", None, "config.yaml:1: data.shuffle: input should be a valid boolean"),
    "type_seed": ("seed: abc\n", None, "config.yaml:1: seed: input should be a valid integer"),
    "type_metrics": ("metrics: accuracy\n", None, "config.yaml:1: metrics: input should be a valid list"),
    "type_section": ("training: 5\n", None, "config.yaml:1: training: input should be a valid dictionary"),
    # unknown or misspelled keys
    "key_top": ("optimiser: adam\n", None, "config.yaml:1: optimiser: unknown key 'optimiser'; did you mean 'optimizer'?"),
    "key_training": ("training:\n  epoch: 3\n", None, "config.yaml:2: training.epoch: unknown key 'epoch'; did you mean 'epochs'?"),
    "key_data": ("data:\n  datset: digits\n", None, "config.yaml:2: data.datset: unknown key 'datset'; did you mean 'dataset'?"),
    "key_model": ("model:\n  hidden: [3]\n", None, "config.yaml:2: model.hidden: unknown key 'hidden'"),
    "key_output": ("model:\n  output: {unit: 3}\n", None, "config.yaml:2: model.output.unit: unknown key 'unit'; did you mean 'units'?"),
    "key_conv_block": ("model:\n  type: cnn\n  conv_blocks: [{filter: 3}]\n", None, "config.yaml:3: model.conv_blocks[0].filter: unknown key 'filter'"),
    # negative or zero sizes
    "zero_epochs": ("training: {epochs: 0}\n", None, "training.epochs: input should be greater than 0, got 0"),
    "negative_batch": ("training: {batch_size: -1}\n", None, "training.batch_size: input should be greater than 0"),
    "zero_units": ("model: {hidden_units: [64, 0]}\n", None, "config.yaml:1: model.hidden_units[1]: input should be greater than 0"),
    "zero_filters": ("model:\n  type: cnn\n  conv_blocks: [{filters: 0}]\n", None, "config.yaml:3: model.conv_blocks[0].filters: input should be greater than 0"),
    "negative_split": ("data: {validation_split: -0.1}\n", None, "data.validation_split: input should be greater than or equal to 0"),
    "whole_test_split": ("data: {test_split: 1.0}\n", None, "data.test_split: input should be less than 1"),
    "zero_steps": ("training: {steps_per_execution: 0}\n", None,
                   "training.steps_per_execution: expected auto or a whole number of batches from 1 to 1,000,000, got 0"),
    "word_steps": ("training: {steps_per_execution: fast}\n", None,
                   "training.steps_per_execution: expected auto or a whole number of batches from 1 to 1,000,000, got 'fast'"),
    # messages with braces and received values (pydantic fills {name} only: no {{, no !r)
    "object_args_scalar": ("loss: {categorical_crossentropy: 3}\n", None,
                           "loss: expected `Name` or `{Name: {argument: value}}`, got {'categorical_crossentropy': 3}; "
                           "write the arguments as a mapping under the name"),
    "jit_word": ("training: {jit_compile: maybe}\n", None,
                 "training.jit_compile: input should be a valid boolean or 'auto', got 'maybe'"),
    "weight_word": ("training: {class_weight: balance}\n", None,
                    "training.class_weight: expected balanced or a mapping {label: weight}, got 'balance'"),
    "weight_negative": ("training: {class_weight: {cat: -1}}\n", None,
                        "training.class_weight: the weight of 'cat' must be a number above 0, got -1"),
    "label_date": ("training: {class_weight: {2021-01-01: 2}}\n", None,
                   "a label must be a name or a number, got datetime.date(2021, 1, 1)"),
    "search_kind": ("search: {space: {training.epochs: {normal: [0, 1]}}}\n", None,
                    "search.space.training.epochs: a space is one of {loguniform: [lo, hi]}, {uniform: [lo, hi]}, "
                    "{int: [lo, hi]} or {choice: [a, b, ...]}, got {'normal': [0, 1]}"),
    "search_empty": ("search: {space: {}}\n", None, "e.g. optimizer.Adam.learning_rate: {loguniform: [1.0e-4, 1.0e-1]}"),
    "search_grid": ("search: {sampler: grid, space: {optimizer.Adam.learning_rate: {uniform: [0.001, 0.1]}}}\n"
                    "optimizer: {Adam: {}}\n", None, "write them as {choice: [...]} or {int: [lo, hi]}"),
    "search_timeout": ("search: {space: {training.epochs: {int: [1, 3]}}, timeout: soon}\n", None,
                       "search.timeout: a time budget is a number of seconds or a text such as 90s, 30m, 2h, got 'soon'"),
    # unknown names
    "name_layer": ("model:\n  layers: [Flaten, {Dense: {}}]\n", None, "model.layers[0]: unknown layer 'Flaten'; did you mean 'Flatten'?"),
    "name_loss": ("loss: crossentropy\n", None, "config.yaml:1: loss: unknown loss 'crossentropy'"),
    "name_optimizer": ("optimizer: adamax2\n", None, "config.yaml:1: optimizer: unknown optimizer 'adamax2'"),
    "name_metric": ("metrics: [acc, f1]\n", None, "config.yaml:1: metrics[1]: unknown metric 'f1'"),
    "name_dataset": ("data: {dataset: imagenet}\n", None, "config.yaml:1: data.dataset: input should be 'digits'"),
    "name_activation": ("model: {activation: relu7}\n", None, "model.activation: unknown activation 'relu7'"),
    "name_callback": ("training:\n  callbacks: [EarlyStop]\n", None, "training.callbacks[0]: unknown callback 'EarlyStop'"),
    "name_schedule": ("optimizer: {SGD: {learning_rate: {CosineDecai: {}}}}\n", None, "unknown learning-rate schedule 'CosineDecai'"),
    "name_model_type": ("model: {type: resnet}\n", None, "config.yaml:1: model: unknown model type"),
    # losses, outputs and shapes that do not fit
    "loss_function_args": ("loss: {categorical_crossentropy: {label_smoothing: 0.1}}\n", None, "is a function and takes no arguments"),
    "loss_does_not_fit": ("loss: CTC\n", None, "config.yaml:1: loss: the model's output does not fit the labels for loss 'CTC'"),
    "output_units": ("model:\n  layers:\n    - Flatten\n    - Dense: {units: 3, activation: softmax}\n", None, "config.yaml:4: model.layers[1]: the output layer has 3 units but the data has 10 classes"),
    "output_rank": ("data: {reshape: none}\nmodel:\n  layers:\n    - Dense: {units: 8}\n    - Dense: {}\n", None, "add a Flatten"),
    "preset_output_units": ("model: {output: {units: 4}}\n", None, "config.yaml:1: model.output.units: the output layer has 4 units"),
    "cnn_on_1d": (CSV.replace("t.csv", "data/features.csv") + "model: {type: cnn}\n", "features", "model.type: a cnn needs images"),
    "conv_on_flat": ("data: {reshape: flatten}\nmodel:\n  layers:\n    - Conv2D: {filters: 2, kernel_size: 3}\n    - Flatten\n    - Dense: {}\n", None, "the model cannot take inputs of shape (64,)"),
    "pool_too_big": ("model:\n  type: cnn\n  conv_blocks: [{filters: 2, pool_size: 16}]\n", None, "config.yaml:3: model.conv_blocks: the model cannot take inputs of shape (8, 8, 1)"),
    "kernel_too_big": ("model:\n  type: cnn\n  conv_blocks: [{filters: 2, kernel_size: 12}]\n", None, "the model cannot take inputs of shape (8, 8, 1)"),
    "layer_missing_arg": ("model:\n  layers:\n    - Dense: {activation: relu}\n    - Dense: {}\n", None, "config.yaml:3: model.layers[0].Dense: Dense:"),
    "layer_bad_arg": ("model:\n  layers:\n    - Flatten\n    - Dropout: {rate: 3}\n    - Dense: {}\n", None, "config.yaml:4: model.layers[1].Dropout"),
    "lambda_layer": ("model:\n  layers:\n    - Lambda: {function: abs}\n    - Dense: {}\n", None, "Lambda runs code or loads files"),
    "managed_callback": ("training:\n  callbacks:\n    - CSVLogger: {filename: x.csv}\n", None, "CSVLogger cannot be set in a config"),
    "callback_bad_arg": ("training:\n  callbacks:\n    - EarlyStopping: {patience: many}\n", None, "config.yaml:3: training.callbacks[0].EarlyStopping: EarlyStopping: patience must be a number (default 0), got 'many'"),
    "monitor_unlogged": ("training: {monitor: val_f1}\n", None, "config.yaml:1: training.monitor: monitor 'val_f1' is not logged; valid names:"),
    "callback_monitor_unlogged": ("data: {validation_split: 0}\ntraining:\n  callbacks:\n    - ReduceLROnPlateau: {}\n", None, "ReduceLROnPlateau monitors 'val_loss', which is not logged"),
    "optimizer_bad_arg": ("optimizer: {Adam: {learning_rat: 0.1}}\n", None, "config.yaml:1: optimizer: Adam:"),
    "validation_conflict": ("data: {validation_split: 0.2, validation_data: test}\n", None, "keep one of them"),
    "run_name_escapes": ("name: ../../../etc/x\n", None, "config.yaml:1: name: string should match pattern"),
    # data files
}

FEATURES = {name for name, case in CASES.items() if case[1] == "features"}
ALL = {**{k: (t, setup_features if k in FEATURES else s, e) for k, (t, s, e) in CASES.items()}, **BOMBS, **SURELY_WRONG}


@pytest.mark.parametrize("case", sorted(ALL))
def test_bad_config(case, tmp_path, capsys, monkeypatch):
    text, setup, expected = ALL[case]
    monkeypatch.chdir(tmp_path)
    check_case(tmp_path, capsys, text, setup, expected)


@pytest.mark.parametrize("value, expected", [
    ("[" * 10_000 + "]" * 10_000, "nested more than 64 levels deep"),
    ("9" * 5_000, "an integer of 5000 digits"),
    ("&a [*a]", "alias *a is inside its own anchor"),
    ("x" * (MAX_CONFIG_BYTES + 1), "the value is over 1,000,000 bytes"),
    ("{a: 1", "the value is not valid YAML"),
])
def test_bad_override(value, expected, tmp_path, capsys):
    (tmp_path / "config.yaml").write_text("seed: 1\n")
    code = cli.run(["fit", str(tmp_path / "config.yaml"), "--runs-dir", str(tmp_path / "runs"), "--set", f"seed={value}"])
    line = error_line(capsys.readouterr().err)
    assert code == 2 and "--set seed=" in line and expected in line, line
    assert not (tmp_path / "runs").exists()
