"""The bad-input corpus: every broken config, data file or model a user can hand us.

Each case must give exit code 2, exactly one line on stderr naming the file
(and, where there is one, the line and the key), no traceback, and nothing in
the runs directory. Cases run in-process through the CLI, so the suite stays fast.
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np
import pytest

from conftest import tiny_images, write_idx
from dltrain import cli


def npz(path: Path, **arrays):
    x, y = tiny_images(64)
    base = {"x_train": x, "y_train": y, "x_test": x[:16], "y_test": y[:16]}
    base.update(arrays)
    np.savez(path, **{k: v for k, v in base.items() if v is not None})


def make_idx(folder: Path):
    folder.mkdir()
    x, y = tiny_images(32)
    write_idx(folder / "train-images-idx3-ubyte.gz", x)
    write_idx(folder / "train-labels-idx1-ubyte.gz", y)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", x[:8])
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", y[:8])


def truncate(path: Path, keep: float = 0.5):
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])


def setup_truncated_npz(d):
    npz(d / "data.npz"); truncate(d / "data.npz")  # noqa: E702


def setup_empty_npz(d):
    (d / "data.npz").write_bytes(b"")


def setup_text_npz(d):
    (d / "data.npz").write_text("x_train,y_train\n1,2\n")


def setup_npz_missing_keys(d):
    np.savez(d / "data.npz", images=np.zeros((4, 2)), labels=np.zeros(4))


def setup_npz_mismatch(d):
    npz(d / "data.npz", y_train=np.zeros(10, np.uint8))


def setup_npz_nan(d):
    x = np.random.rand(64, 8, 8)
    x[3, 2, 1] = np.nan
    npz(d / "data.npz", x_train=x)


def setup_npz_fraction_labels(d):
    npz(d / "data.npz", y_train=np.linspace(0, 1, 64))


def setup_npz_object(d):
    npz(d / "data.npz", x_train=np.array([{"a": 1}] * 64, dtype=object))


def setup_idx_truncated(d):
    make_idx(d / "idx")
    f = d / "idx" / "train-images-idx3-ubyte.gz"
    f.write_bytes(gzip.compress(gzip.decompress(f.read_bytes())[:-7]))


def setup_idx_bad_gzip(d):
    make_idx(d / "idx")
    truncate(d / "idx" / "t10k-images-idx3-ubyte.gz", 0.3)


def setup_idx_bad_magic(d):
    make_idx(d / "idx")
    (d / "idx" / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x12\x34\x56\x78" + b"\x00" * 32))


def setup_idx_missing(d):
    make_idx(d / "idx")
    (d / "idx" / "t10k-labels-idx1-ubyte.gz").unlink()


def setup_idx_mismatch(d):
    make_idx(d / "idx")
    write_idx(d / "idx" / "train-labels-idx1-ubyte.gz", np.zeros(5, np.uint8))


def setup_csv_no_label(d):
    (d / "t.csv").write_text("a,b,target\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")


def setup_csv_text_feature(d):
    (d / "t.csv").write_text("a,b,label\n1,2,0\n3,x4,1\n5,6,0\n7,8,1\n")


def setup_csv_ragged(d):
    (d / "t.csv").write_text("a,b,label\n1,2,0\n3,1\n5,6,0\n7,8,1\n")


def setup_csv_empty(d):
    (d / "t.csv").write_text("")


def setup_csv_header_only(d):
    (d / "t.csv").write_text("a,b,label\n")


def setup_cifar_corrupted(d):
    folder = d / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (folder / name).write_bytes(pickle.dumps({b"data": 1})[:-3])


def setup_good_npz(d):
    npz(d / "data.npz")


NPZ = "data: {dataset: npz, path: data.npz}\n"
IDX = "data: {dataset: idx, path: idx}\n"
CSV = "data: {dataset: csv, path: t.csv}\n"

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
    "zero_steps": ("training: {steps_per_execution: 0}\n", None, "training.steps_per_execution: input should be greater than 0"),
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
    "npz_missing": (NPZ, None, "data.npz: file not found; check data.path"),
    "npz_empty": (NPZ, setup_empty_npz, "data.npz: not a readable .npz file"),
    "npz_truncated": (NPZ, setup_truncated_npz, "data.npz: not a readable .npz file"),
    "npz_not_npz": (NPZ, setup_text_npz, "data.npz: not a readable .npz file"),
    "npz_missing_keys": (NPZ, setup_npz_missing_keys, "missing arrays ['x_train', 'y_train', 'x_test', 'y_test']"),
    "npz_length_mismatch": (NPZ, setup_npz_mismatch, "x_train has 64 samples but y_train has 10"),
    "npz_nan": (NPZ, setup_npz_nan, "x_train contains NaN or infinite values"),
    "npz_fraction_labels": (NPZ, setup_npz_fraction_labels, "labels are not class labels"),
    "npz_pickled_objects": (NPZ, setup_npz_object, "data.npz: not a readable .npz file"),
    "idx_not_a_dir": (IDX, None, "not a directory; data.path must be the folder holding the IDX files"),
    "idx_truncated": (IDX, setup_idx_truncated, "train-images-idx3-ubyte.gz: IDX file holds"),
    "idx_bad_gzip": (IDX, setup_idx_bad_gzip, "t10k-images-idx3-ubyte.gz: cannot read IDX file"),
    "idx_bad_magic": (IDX, setup_idx_bad_magic, "train-labels-idx1-ubyte.gz: not an unsigned-byte IDX file"),
    "idx_missing_file": (IDX, setup_idx_missing, "missing t10k-labels-idx1-ubyte.gz"),
    "idx_length_mismatch": (IDX, setup_idx_mismatch, "x_train has 32 samples but y_train has 5"),
    "csv_no_label": (CSV, setup_csv_no_label, "no column 'label' (columns: a, b, target)"),
    "csv_text_feature": (CSV, setup_csv_text_feature, "t.csv:3: non-numeric feature value 'x4'"),
    "csv_ragged": (CSV, setup_csv_ragged, "t.csv:3: row has 2 fields but the header has 3"),
    "csv_empty": (CSV, setup_csv_empty, "t.csv: the CSV needs a header row"),
    "csv_header_only": (CSV, setup_csv_header_only, "t.csv: the CSV needs a header row"),
    "builtin_path_wrong": ("data: {dataset: mnist, path: elsewhere}\n", None, "no mnist copy at data.path"),
    "cifar_corrupted": ("data: {dataset: cifar10, path: cifar-10-batches-py}\n", setup_cifar_corrupted, "data_batch_1: cannot read CIFAR batch"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(case, tmp_path, capsys, monkeypatch):
    text, setup, expected = CASES[case]
    monkeypatch.chdir(tmp_path)
    if setup == "features":
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "features.csv").write_text("a,b,label\n" + "\n".join(f"{i},{i % 3},{i % 2}" for i in range(20)) + "\n")
    elif setup is not None:
        setup(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text(text)
    runs_dir = tmp_path / "runs"
    code = cli.run(["fit", str(config), "--runs-dir", str(runs_dir)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1, err
    assert err[0].startswith("error: ") and "Traceback" not in err[0]
    assert expected in err[0], err[0]
    assert not runs_dir.exists() or not any(runs_dir.iterdir())


def test_corpus_is_large_enough():
    assert len(CASES) >= 40


# ----------------------------------------------------------------- model and checkpoint files


@pytest.fixture
def trained(tmp_path_factory):
    from dltrain.config import load_config
    from dltrain.training import fit

    d = tmp_path_factory.mktemp("trained")
    setup_good_npz(d)
    (d / "config.yaml").write_text(NPZ + "training: {epochs: 2}\n")
    return d, fit(load_config(d / "config.yaml"), runs_dir=d / "runs", verbose=0)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_corrupted_model_file(trained, damage, capsys, tmp_path):
    d, result = trained
    broken = tmp_path / "model.keras"
    raw = (result.run_dir / "model.keras").read_bytes()
    broken.write_bytes({"truncated": raw[: len(raw) // 3], "garbage": b"PK\x03\x04" + b"\x00" * 64, "empty": b""}[damage])
    assert cli.run(["evaluate", str(broken), "--config", str(d / "config.yaml")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "model.keras: cannot load the model" in line and "corrupted" in line


def test_h5_model_is_refused(trained, tmp_path, capsys):
    d, _ = trained
    (tmp_path / "model.h5").write_bytes(b"\x89HDF\r\n")
    assert cli.run(["evaluate", str(tmp_path / "model.h5"), "--config", str(d / "config.yaml")]) == 2
    assert "only .keras model files are loaded" in capsys.readouterr().err


def test_corrupted_resume_state(trained, capsys):
    import json

    d, result = trained
    state = json.loads((result.run_dir / "state" / "latest.json").read_text())
    truncate(result.run_dir / "state" / state["folder"] / "model.npz", 0.4)
    assert cli.run(["fit", "--resume", str(result.run_dir), "--set", "training.epochs=4", "--force"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "model.npz: the saved model state cannot be read" in line
