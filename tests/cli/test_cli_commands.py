"""The dltrain command, end to end: exit codes, one-line errors, no noise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CONFIGS, READY_CONFIGS, REPO
from dltrain import cli, runs

STAGE = "loading TensorFlow…"  # the line fit, evaluate, reproduce and validate --build print first
NOISE = ("oneDNN", "cuda", "CUDA", "absl", "I0000", "E0000", "W0000", "WARNING", "Traceback", "cpu_feature_guard")


def dltrain(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Runs the real console script in a fresh process."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DLTRAIN_TF_LOGS", None)
    return subprocess.run(
        [sys.executable, "-c", "from dltrain.cli import main; main()", *args],
        capture_output=True, text=True, cwd=cwd or REPO, env=env, timeout=300,
    )


@pytest.mark.slow  # starts a Python process
def test_help_and_validate_do_not_import_tensorflow():
    code = (
        "import sys; from dltrain import cli\n"
        "for args in (['--help'], ['validate', *sys.argv[1:]]):\n"
        "    assert cli.run(args) == 0\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    configs = [str(p) for p in READY_CONFIGS]
    done = subprocess.run([sys.executable, "-c", code, *configs], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_validate_ok_and_show(capsys):
    assert cli.run(["validate", str(CONFIGS / "mnist_mlp.yaml"), "--show"]) == 0
    out = capsys.readouterr().out
    assert "batch_size: 128" in out and "steps_per_execution: auto" in out


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
    # Stage lines ("loading TensorFlow…", "reading the data…") go to stdout; stderr holds the one error line.
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
    "missing_file": ("data: {dataset: npz, path: nowhere.npz}\n", "data.path: nowhere.npz: no such file or folder"),
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


@pytest.mark.slow
def test_fit_and_evaluate_in_process(tiny_config, tmp_path, capsys):
    assert cli.run(["fit", str(tiny_config), "--runs-dir", str(tmp_path / "runs")]) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    captured = capsys.readouterr()
    assert f"run: {run_dir}" in captured.out.splitlines() and "test (final model, model.keras)" in captured.out
    assert captured.out.startswith(STAGE) and captured.err == ""
    assert cli.run(["evaluate", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and f"model: {run_dir / runs.MODEL}" in out.splitlines()


def test_evaluate_missing_run_dir(tmp_path, capsys):
    assert cli.run(["evaluate", str(tmp_path / "nope")]) == 2
    line = one_error_line(capsys)
    assert f"no run '{tmp_path / 'nope'}': not a run directory, nor the start of a run id in runs" in line


@pytest.mark.slow
def test_digits_quickstart_end_to_end(tmp_path, capsys):
    """The README's first line, as a user runs it: accurate, quiet, and evaluable (in this process: a real
    process's quiet start is the fit's above, and tests/test_quiet.py's)."""
    done = dltrain("fit", "configs/digits_mlp.yaml", "--runs-dir", str(tmp_path / "runs"))
    assert done.returncode == 0, done.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert f"run: {run_dir}" in done.stdout.splitlines()  # whole, on a line of its own
    assert done.stdout.startswith(STAGE) and done.stderr == "", done.stderr
    assert not [w for w in NOISE if w in done.stderr], done.stderr
    assert not [w for w in NOISE if w in done.stdout]
    metrics = json.loads((run_dir / runs.METRICS).read_text())["test"]
    assert metrics["accuracy"] >= 0.95

    assert cli.run(["evaluate", str(run_dir)]) == 0
    assert capsys.readouterr().err == ""
    evaluated = json.loads((run_dir / runs.EVALUATION).read_text())["test"]
    assert evaluated["accuracy"] == pytest.approx(metrics["accuracy"], abs=1e-6)
    assert evaluated["loss"] == pytest.approx(metrics["loss"], rel=1e-5)


@pytest.mark.slow  # starts dltrain in a Python process
def test_user_error_in_a_real_process_is_one_line(tmp_path):
    (tmp_path / "bad.yaml").write_text("data: {dataset: npz, path: missing.npz}\n")
    done = dltrain("fit", str(tmp_path / "bad.yaml"), "--runs-dir", str(tmp_path / "runs"))
    assert done.returncode == 2
    (error,) = done.stderr.strip().splitlines()  # exactly one line
    assert done.stdout == ""  # caught as the config loads, before TensorFlow is even imported
    assert error.startswith("error: ") and "data.path: missing.npz: no such file or folder" in error
    assert not (tmp_path / "runs").exists()


# ----------------------------------------------------------------- smoke runs, overrides, --json


def run_json(capsys, *args: str) -> tuple[int, dict]:
    code = cli.run(list(args))
    captured = capsys.readouterr()
    return code, json.loads(captured.out)  # stdout must be one JSON document and nothing else


@pytest.mark.slow
def test_smoke_run_is_quick_marked_and_json(tmp_path, capsys):
    code, out = run_json(capsys, "fit", str(CONFIGS / "digits_mlp.yaml"), "--smoke", "--json", "--runs-dir", str(tmp_path))
    assert code == 0 and out["status"] == "completed" and out["smoke"] is True and out["epochs"] == 1
    run_dir = Path(out["run_dir"])
    assert run_dir.name.endswith("-digits_mlp-smoke")
    assert json.loads((run_dir / runs.RUN).read_text())["smoke"] is True
    assert len((run_dir / runs.HISTORY).read_text().splitlines()) == 2  # header + one epoch
    assert set(out["test"]) == {"loss", "accuracy"}
    best = json.loads((run_dir / runs.METRICS).read_text())["best"]
    assert best["epoch"] == 1 and best["test"] == out["test"]  # one epoch: best.keras is the final model


def test_smoke_never_swaps_in_other_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "k"))
    monkeypatch.delenv("DLTRAIN_DATA_DIR", raising=False)
    assert cli.run(["fit", str(CONFIGS / "mnist_cnn.yaml"), "--smoke", "--runs-dir", str(tmp_path / "r")]) == 2
    line = one_error_line(capsys)
    assert "dataset 'mnist' not found" in line and "(no download)" in line and "--synthetic" in line
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_smoke_synthetic_has_the_dataset_shape(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "k"))
    code, out = run_json(capsys, "fit", str(CONFIGS / "mnist_cnn.yaml"), "--smoke", "--synthetic", "--json",
                         "--runs-dir", str(tmp_path / "r"))
    assert code == 0
    run_dir = Path(out["run_dir"])
    assert json.loads((run_dir / runs.RUN).read_text())["synthetic_data"] is True
    assert "(None, 26, 26, 32)" in (run_dir / runs.SUMMARY).read_text()  # the real 28x28x1 input shape


def test_synthetic_needs_smoke_and_a_builtin(tiny_config, tmp_path, capsys):
    assert cli.run(["fit", str(CONFIGS / "mnist_cnn.yaml"), "--synthetic"]) == 2
    assert "--synthetic only goes with --smoke" in one_error_line(capsys)
    assert cli.run(["fit", str(tiny_config), "--smoke", "--synthetic", "--runs-dir", str(tmp_path / "r")]) == 2
    assert "generates data for built-in datasets" in one_error_line(capsys)


@pytest.mark.slow
def test_divergence_exits_1_and_marks_the_run_failed(tiny_config, tmp_path, capsys):
    code, out = run_json(capsys, "fit", str(tiny_config), "--json", "--runs-dir", str(tmp_path / "r"),
                         "--set", "optimizer={SGD: {learning_rate: 1.0e+30}}", "--set", "training.epochs=2")
    assert code == 1 and out["status"] == "failed" and "loss" in out["error"]
    (run_dir,) = (tmp_path / "r").iterdir()
    status = json.loads((run_dir / runs.RUN).read_text())
    assert status["status"] == "failed" and "TrainingFailed" in status["reason"]


@pytest.mark.slow
def test_overrides_are_used_and_recorded(tiny_config, tmp_path, capsys):
    code, out = run_json(capsys, "fit", str(tiny_config), "--json", "--runs-dir", str(tmp_path / "r"),
                         "--set", "training.epochs=2", "--set", "model.hidden_units=[4]")
    assert code == 0 and out["epochs"] == 2
    saved = (Path(out["run_dir"]) / runs.CONFIG).read_text()
    assert "# override: --set training.epochs=2" in saved and "# override: --set model.hidden_units=[4]" in saved
    from dltrain.config import load_config

    reloaded = load_config(Path(out["run_dir"]) / runs.CONFIG)
    assert reloaded.training.epochs == 2 and reloaded.model.hidden_units == [4]


def test_bad_override_is_a_one_line_error(tiny_config, capsys):
    assert cli.run(["fit", str(tiny_config), "--set", "training.bach_size=3"]) == 2
    assert "error: --set training.bach_size=3: training.bach_size: unknown key 'bach_size'; did you mean 'batch_size'?" in one_error_line(capsys)


def test_bad_input_as_json(tiny_config, capsys):
    code, out = run_json(capsys, "fit", str(tiny_config), "--json", "--set", "training.epochs=-1")
    assert code == 2 and out["status"] == "error"
    (err,) = out["errors"]
    assert err["key"] == "training.epochs" and err["file"] == "--set training.epochs=-1" and "greater than 0" in err["message"]


@pytest.mark.slow
def test_evaluate_json_and_overrides(tiny_config, tmp_path, capsys):
    code, out = run_json(capsys, "fit", str(tiny_config), "--json", "--runs-dir", str(tmp_path / "r"))
    code, ev = run_json(capsys, "evaluate", out["run_dir"], "--json", "--set", "training.batch_size=7")
    assert code == 0 and ev["test"]["accuracy"] == pytest.approx(out["test"]["accuracy"], abs=1e-6)


def test_validate_directories_and_globs(write_config, capsys):
    write_config("data: {dataset: digits}\n", name="a.yaml")
    folder = write_config("data: {dataset: iris}\n", name="b.yaml").parent
    assert cli.run(["validate", str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"ok {folder / 'a.yaml'}", f"ok {folder / 'b.yaml'}"]
    assert cli.run(["validate", str(CONFIGS / "mnist_*.yaml")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert cli.run(["validate", str(CONFIGS / "nothing_*.yaml")]) == 2
    assert "no config matches" in one_error_line(capsys)


def test_validate_json_lists_every_problem(write_config, capsys):
    bad = write_config("training: {epochs: 0, batch_size: 0}\n", name="bad.yaml")
    code, out = run_json(capsys, "validate", str(CONFIGS / "digits_mlp.yaml"), str(bad), "--json")
    assert code == 2 and out["status"] == "error" and len(out["errors"]) == 2
    good, wrong = out["configs"]
    assert good["ok"] and good["config"]["training"]["epochs"] == 60
    assert not wrong["ok"] and {e["key"] for e in wrong["errors"]} == {"training.epochs", "training.batch_size"}


def test_validate_show_origin(capsys):
    assert cli.run(["validate", str(CONFIGS / "fashion_mnist_cnn.yaml"), "--show", "--origin", "--set", "seed=3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    line_of = {ln.split(":")[0].strip(): ln for ln in lines if "#" in ln}
    assert line_of["seed"].endswith("# --set seed=3")
    assert line_of["dataset"].endswith("fashion_mnist_cnn.yaml:7")
    base_line = next(i for i, ln in enumerate((CONFIGS / "mnist_cnn.yaml").read_text().splitlines(), 1) if "batch_size:" in ln)
    assert line_of["batch_size"].endswith(f"mnist_cnn.yaml:{base_line}")  # inherited from the base
    assert line_of["test_split"].endswith("# default")
    assert line_of["name"].endswith("# the file's name")


def test_validate_build_prints_layers(capsys):
    assert cli.run(["validate", str(CONFIGS / "mnist_cnn.yaml"), "--build"]) == 0
    out = capsys.readouterr().out
    assert "(Conv2D)" in out and "(None, 26, 26, 32)" in out and "total parameters: 693,962" in out


def test_validate_build_catches_broken_shapes(capsys):
    code = cli.run(["validate", str(CONFIGS / "fashion_mnist_cnn.yaml"), "--build", "--set", "model.conv_blocks[0].pool_size=40"])
    assert code == 2
    line = one_error_line(capsys)
    assert "fashion_mnist_cnn.yaml" in line or "--set model.conv_blocks[0].pool_size=40" in line
    assert "cannot take inputs of shape (28, 28, 1)" in line


def test_validate_build_json(capsys):
    code, out = run_json(capsys, "validate", str(CONFIGS / "mnist_mlp.yaml"), "--build", "--json")
    assert code == 0 and out["configs"][0]["parameters"] == 669_706
    assert [layer["class"] for layer in out["configs"][0]["layers"]] == ["Dense", "Dense", "Dense"]


@pytest.mark.slow
def test_interrupt_exits_130_and_marks_the_run(tmp_path, npz_file):
    """Ctrl-C during a real fit: exit 130, run.json says interrupted."""
    import signal
    import time

    config = tmp_path / "long.yaml"
    config.write_text(f"data: {{dataset: npz, path: {npz_file}}}\nmodel: {{hidden_units: [512, 512]}}\n"
                      "training: {epochs: 100000, batch_size: 8}\n")
    proc = subprocess.Popen([sys.executable, "-c", "from dltrain.cli import main; main()", "fit", str(config),
                             "--runs-dir", str(tmp_path / "r")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list((tmp_path / "r").glob("*/history.csv")):
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    (run_dir,) = (tmp_path / "r").iterdir()
    assert json.loads((run_dir / runs.RUN).read_text())["status"] == "interrupted"
