"""The dltrain command, end to end: exit codes, one-line errors, no noise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CONFIGS, REPO
from dltrain import cli, runs

NOISE = ("oneDNN", "cuda", "CUDA", "absl", "I0000", "E0000", "W0000", "WARNING", "Traceback", "cpu_feature_guard")


def dltrain(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Runs the real console script in a fresh process."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DLTRAIN_TF_LOGS", None)
    return subprocess.run(
        [sys.executable, "-c", "from dltrain.cli import main; main()", *args],
        capture_output=True, text=True, cwd=cwd or REPO, env=env, timeout=300,
    )


def test_help_and_validate_do_not_import_tensorflow():
    code = (
        "import sys; from dltrain import cli\n"
        "for args in (['--help'], ['validate', *sys.argv[1:]]):\n"
        "    assert cli.run(args) == 0\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    configs = [str(p) for p in sorted(CONFIGS.glob("*.yaml"))]
    done = subprocess.run([sys.executable, "-c", code, *configs], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_validate_ok_and_show(capsys):
    assert cli.run(["validate", str(CONFIGS / "mnist_mlp.yaml"), "--show"]) == 0
    out = capsys.readouterr().out
    assert "batch_size: 128" in out and "steps_per_execution: 1" in out


def test_validate_reports_every_problem_of_every_file(write_config, capsys):
    bad = write_config("training:\n  epochs: 0\n  batch_sise: 3\n", name="bad.yaml")
    worse = write_config("model: {type: cnn, dropout: 2}\n", name="worse.yaml")
    assert cli.run(["validate", str(CONFIGS / "digits_mlp.yaml"), str(bad), str(worse)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err)
    assert "bad.yaml:2: training.epochs" in err[0] and "bad.yaml:3: training.batch_sise" in err[1]
    assert "worse.yaml:1: model.dropout" in err[2]


def test_usage_errors_exit_2(capsys):
    assert cli.run(["fit"]) == 2
    assert cli.run(["no-such-command"]) == 2


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: ") and "Traceback" not in err[0]
    return err[0]


BAD_CONFIGS = {
    "yaml_syntax": ("data:\n  dataset: digits\n   scale: unit\n", "bad.yaml:3: YAML syntax error"),
    "unknown_key": ("data: {dataset: digits}\ntraining: {epochz: 2}\n", "bad.yaml:2: training.epochz: unknown key 'epochz'; did you mean 'epochs'?"),
    "wrong_type": ("training:\n  batch_size: big\n", "bad.yaml:2: training.batch_size: input should be a valid integer"),
    "bad_value": ("data:\n  validation_split: 1.5\n", "bad.yaml:2: data.validation_split: input should be less than 1"),
    "unknown_layer": ("model:\n  layers:\n    - Convolution9D: {filters: 3}\n", "bad.yaml:3: model.layers[0]: unknown layer 'Convolution9D'"),
    "unknown_loss": ("loss: crossentropy_categorical\n", "bad.yaml:1: loss: unknown loss"),
    "unknown_optimizer": ("optimizer: {Adamz: {learning_rate: 0.1}}\n", "bad.yaml:1: optimizer: unknown optimizer 'Adamz'"),
    "unknown_metric": ("metrics: [acuracy]\n", "bad.yaml:1: metrics[0]: unknown metric 'acuracy'; did you mean 'accuracy'"),
    "layer_argument": ("model:\n  layers:\n    - Flatten\n    - Dense: {units: 10, activaton: relu}\n", "bad.yaml:4: model.layers[1].Dense: Dense:"),
    "missing_file": ("data: {dataset: npz, path: nowhere.npz}\n", "nowhere.npz: file not found; check data.path"),
    "cnn_on_1d": ("data: {dataset: csv, path: table.csv, label_column: species}\nmodel: {type: cnn}\n", "bad.yaml:2: model.type: a cnn needs images"),
    "output_size": ("model:\n  layers:\n    - Flatten\n    - Dense: {units: 4, activation: softmax}\n", "bad.yaml:4: model.layers[1]: the output layer has 4 units but the data has 10 classes"),
    "pool_too_big": ("model:\n  type: cnn\n  conv_blocks:\n    - {filters: 4, kernel_size: 3, pool_size: 12}\n", "bad.yaml:3: model.conv_blocks: the model cannot take inputs of shape (8, 8, 1)"),
    "monitor": ("training: {epochs: 1, monitor: val_auc}\n", "bad.yaml:1: training.monitor: monitor 'val_auc' is not logged; valid names:"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_one_line_exit_2_no_run_dir(case, write_config, csv_file, tmp_path, capsys):
    text, expected = BAD_CONFIGS[case]
    path = write_config(text, name="bad.yaml")
    runs_dir = tmp_path / "runs"
    assert cli.run(["fit", str(path), "--runs-dir", str(runs_dir)]) == 2
    line = one_error_line(capsys)
    if expected:
        assert expected in line
    assert not runs_dir.exists() or not any(runs_dir.iterdir())


def test_unknown_optimizer_suggests_the_right_case(write_config, capsys):
    path = write_config("optimizer: {Adamx: {learning_rate: 0.1}}\n", name="bad.yaml")
    assert cli.run(["validate", str(path)]) == 2
    assert "unknown optimizer 'Adamx'; did you mean 'Adamax'" in one_error_line(capsys)


def test_fit_and_evaluate_in_process(tiny_config, tmp_path, capsys):
    assert cli.run(["fit", str(tiny_config), "--runs-dir", str(tmp_path / "runs")]) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    out = capsys.readouterr().out
    assert run_dir.name in out and "test accuracy" in out
    assert cli.run(["evaluate", str(run_dir)]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_evaluate_missing_run_dir(tmp_path, capsys):
    assert cli.run(["evaluate", str(tmp_path / "nope")]) == 2
    assert "pass --config" in one_error_line(capsys)


def test_digits_quickstart_end_to_end(tmp_path):
    """The README's first line, as a user runs it: accurate, quiet, and evaluable."""
    done = dltrain("fit", "configs/digits_mlp.yaml", "--runs-dir", str(tmp_path / "runs"))
    assert done.returncode == 0, done.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert run_dir.name in done.stdout.replace("\n", "").replace(" ", "").replace("│", "")
    assert not [w for w in NOISE if w in done.stderr], done.stderr
    assert not [w for w in NOISE if w in done.stdout]
    metrics = json.loads((run_dir / runs.METRICS).read_text())["test"]
    assert metrics["accuracy"] >= 0.95

    again = dltrain("evaluate", str(run_dir))
    assert again.returncode == 0, again.stderr
    assert not [w for w in NOISE if w in again.stderr], again.stderr
    evaluated = json.loads((run_dir / runs.EVALUATION).read_text())["test"]
    assert evaluated["accuracy"] == pytest.approx(metrics["accuracy"], abs=1e-6)
    assert evaluated["loss"] == pytest.approx(metrics["loss"], rel=1e-5)


def test_user_error_in_a_real_process_is_one_line(tmp_path):
    (tmp_path / "bad.yaml").write_text("data: {dataset: npz, path: missing.npz}\n")
    done = dltrain("fit", str(tmp_path / "bad.yaml"), "--runs-dir", str(tmp_path / "runs"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert done.stderr.startswith("error: ") and "missing.npz: file not found" in done.stderr
    assert not (tmp_path / "runs").exists()
