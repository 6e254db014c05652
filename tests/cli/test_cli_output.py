"""What the commands print: summaries that say which model they describe, unbroken paths, --json.

The training functions are replaced by stand-ins returning hand-made results,
so these tests check the CLI's words and shapes without training anything.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
from pathlib import Path

import pytest

import dltrain
from conftest import CONFIGS
from dltrain import cli, runs
from dltrain.training.results import EvalResult, FitResult, ReproduceResult

STAGE = "loading TensorFlow…"


def fit_result(run_dir: Path, **changes) -> FitResult:
    """A run stopped early at epoch 22 of 60 whose best checkpoint is epoch 12."""
    result = FitResult(run_dir=run_dir, history={}, test_metrics={"loss": 0.31, "accuracy": 0.9012},
                       monitor="val_loss", best_value=0.25, epochs_run=22, seconds=12.3, parameters=1234,
                       epochs_planned=60, stopped_early=True, best_epoch=12,
                       best_test_metrics={"loss": 0.28, "accuracy": 0.9345}, restored_best_weights=True)
    return dataclasses.replace(result, **changes)


@pytest.fixture
def long_run_dir(tmp_path) -> Path:
    """A run directory whose path is far wider than any terminal."""
    return tmp_path / ("very-long-folder-name-" * 4) / "runs" / "20260101-000000-a_config_with_a_long_name"


@pytest.fixture
def training(monkeypatch):
    """Replaces dltrain.training by stand-ins; ``training.calls`` records each call, ``training.results`` feeds them."""
    fake = types.SimpleNamespace(calls={}, results={}, printed_before={})

    def stand_in(name):
        def call(*args, **kwargs):
            # What the command had printed when the library was called (capsys's stdout keeps it).
            fake.printed_before[name] = sys.stdout.getvalue() if hasattr(sys.stdout, "getvalue") else ""
            fake.calls[name] = (args, kwargs)
            return fake.results[name]
        return call

    for name in ("fit", "evaluate", "reproduce"):
        setattr(fake, name, stand_in(name))
    monkeypatch.setitem(sys.modules, "dltrain.training", fake)
    monkeypatch.setattr(dltrain, "training", fake, raising=False)
    return fake


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_fit_summary_says_which_model_each_metric_describes(training, tmp_path, capsys):
    training.results["fit"] = fit_result(tmp_path / "run")
    code, out, _ = run(capsys, "fit", str(CONFIGS / "digits_mlp.yaml"), "--runs-dir", str(tmp_path))
    assert code == 0
    assert "test (final model, model.keras)" in out and "0.9012" in out
    assert "test (best.keras, epoch 12)" in out and "0.9345" in out
    assert "best val_loss: 0.2500 at epoch 12, saved as best.keras" in out
    assert "stopped early by EarlyStopping at epoch 22 of 60" in out
    assert "EarlyStopping restored its best weights, so model.keras holds them" in out


def test_fit_summary_when_best_weights_were_not_restored(training, tmp_path, capsys):
    training.results["fit"] = fit_result(tmp_path / "run", restored_best_weights=False)
    _, out, _ = run(capsys, "fit", str(CONFIGS / "digits_mlp.yaml"))
    assert "best weights not restored, so model.keras holds the last epoch's weights" in out


def test_fit_summary_of_a_run_that_ran_every_epoch(training, tmp_path, capsys):
    training.results["fit"] = fit_result(tmp_path / "run", stopped_early=False, epochs_run=60,
                                         restored_best_weights=False, best_test_metrics=None)
    _, out, _ = run(capsys, "fit", str(CONFIGS / "digits_mlp.yaml"))
    assert "epochs: 60 of 60 in 12.3 s" in out
    assert "stopped early" not in out and "best.keras," not in out.replace("saved as best.keras", "")


@pytest.mark.parametrize("command", ["fit", "evaluate", "reproduce"])
def test_stage_line_before_tensorflow_loads_and_none_with_json(command, training, tmp_path, capsys):
    training.results.update(fit=fit_result(tmp_path / "run"),
                            evaluate=EvalResult(tmp_path / "model.keras", {"loss": 0.3}, tmp_path / "e.json"),
                            reproduce=ReproduceResult(tmp_path / "a", fit_result(tmp_path / "b"), {"loss": 0.31}, 0.02))
    args = [command, str(CONFIGS / "digits_mlp.yaml") if command == "fit" else "2026"]
    _, out, err = run(capsys, *args)
    assert STAGE in training.printed_before[command]  # printed before the library (and TensorFlow) loads
    assert err == ""  # stderr is for errors only
    _, out, err = run(capsys, *args, "--json")
    assert STAGE not in out + err and json.loads(out)["status"] == "completed"


@pytest.mark.parametrize("width", ["60", "160"])
def test_evaluate_never_splits_a_path(width, training, long_run_dir, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", width)
    model, written = long_run_dir / runs.MODEL, long_run_dir / runs.EVALUATION
    training.results["evaluate"] = EvalResult(model, {"loss": 0.3, "accuracy": 0.9}, written, {"loss": 0.3})
    code, out, _ = run(capsys, "evaluate", str(long_run_dir))
    assert code == 0
    lines = out.splitlines()
    assert f"model: {model}" in lines and f"written to: {written}" in lines
    assert max(len(ln) for ln in lines if "│" in ln) <= int(width)  # the table itself fits the terminal


@pytest.mark.parametrize("width", ["60", "160"])
def test_reproduce_and_fit_never_split_a_path(width, training, long_run_dir, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", width)
    rerun_dir = long_run_dir.with_name("20260102-000000-a_config_with_a_long_name")
    training.results["reproduce"] = ReproduceResult(long_run_dir, fit_result(rerun_dir), {"loss": 0.5}, 0.02)
    code, out, _ = run(capsys, "reproduce", "2026")
    assert code == 1  # 0.31 vs 0.5: not reproduced
    lines = out.splitlines()
    assert f"original: {long_run_dir}" in lines and f"re-run: {rerun_dir}" in lines
    assert "NOT reproduced: test metrics must agree within 0.02" in lines
    training.results["fit"] = fit_result(long_run_dir)
    _, out, _ = run(capsys, "fit", str(CONFIGS / "digits_mlp.yaml"))
    assert f"run: {long_run_dir}" in out.splitlines()


def test_run_arguments_go_to_the_library_as_given(training, tmp_path, capsys):
    training.results.update(evaluate=EvalResult(tmp_path / "m.keras", {"loss": 0.3}, tmp_path / "e.json"),
                            reproduce=ReproduceResult(tmp_path / "a", fit_result(tmp_path / "b"), {"loss": 0.31}, 0.02),
                            fit=fit_result(tmp_path / "a"))
    other = str(tmp_path / "elsewhere")
    assert run(capsys, "evaluate", "2026010", "--runs-dir", other)[0] == 0
    assert training.calls["evaluate"][0][0] == "2026010" and training.calls["evaluate"][1]["runs_dir"] == Path(other)
    assert run(capsys, "reproduce", "2026010", "--runs-dir", other)[0] == 0
    assert training.calls["reproduce"] == (("2026010",), {"runs_dir": Path(other), "verbose": None})
    assert run(capsys, "fit", "--resume", "2026010", "--runs-dir", other)[0] == 0
    args, kwargs = training.calls["fit"]
    assert args == (None,) and kwargs["resume"] == "2026010" and kwargs["runs_dir"] == Path(other)


def test_json_shapes_of_the_training_commands(training, tmp_path, capsys):
    training.results.update(fit=fit_result(tmp_path / "run"),
                            evaluate=EvalResult(tmp_path / "m.keras", {"loss": 0.3}, tmp_path / "e.json", {"loss": 0.3}),
                            reproduce=ReproduceResult(tmp_path / "a", fit_result(tmp_path / "b"), {"loss": 0.31}, 0.02))
    code, out, err = run(capsys, "fit", str(CONFIGS / "digits_mlp.yaml"), "--json")
    fit = json.loads(out)
    assert code == 0 and err == "" and "fit" in training.calls
    assert fit["stopped_early"] is True and fit["epochs"] == 22 and fit["epochs_planned"] == 60
    assert fit["best"] == {"monitor": "val_loss", "value": 0.25, "epoch": 12, "test": {"loss": 0.28, "accuracy": 0.9345}}
    assert fit["test"] == {"loss": 0.31, "accuracy": 0.9012} and fit["test_model"] == "model.keras"
    code, out, _ = run(capsys, "evaluate", "x", "--json")
    assert code == 0 and set(json.loads(out)) == {"status", "model", "test", "at_fit", "written_to"}
    code, out, _ = run(capsys, "reproduce", "x", "--json")
    assert code == 0 and json.loads(out)["matches"] is True and json.loads(out)["rerun"] == str(tmp_path / "b")


def make_run(root: Path, name: str, epochs: int = 2) -> Path:
    """A small finished run directory, written as training writes it."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    runs.write_json(run_dir / runs.RUN, {"status": "completed", "started": f"2026-01-01T00:00:0{epochs}+00:00"})
    runs.write_text(run_dir / runs.CONFIG, f"name: tiny\ntraining:\n  epochs: {epochs}\n")
    history = runs.HistoryFile(run_dir / runs.HISTORY)
    for epoch in range(epochs):
        history.append(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 1.1 / (epoch + 1)})
    runs.write_json(run_dir / runs.METRICS, {"test": {"loss": 0.3, "accuracy": 0.5 + epochs / 10}})
    return run_dir


def test_json_shapes_of_the_runs_commands(tmp_path, capsys):
    root = tmp_path / "runs"
    a, b = make_run(root, "20260101-000002-tiny", 2), make_run(root, "20260101-000003-tiny", 3)
    code, out, err = run(capsys, "runs", "list", "--runs-dir", str(root), "--json")
    assert code == 0 and err == "" and [r["id"] for r in json.loads(out)["runs"]] == [b.name, a.name]
    code, out, _ = run(capsys, "runs", "show", "20260101-000003", "--runs-dir", str(root), "--json")
    shown = json.loads(out)
    assert set(shown) == {"status", "run", "run_json", "metrics", "evaluation", "per_class", "environment",
                          "history", "config", "files"} and shown["run"]["path"] == str(b)
    code, out, _ = run(capsys, "runs", "compare", "20260101-000002", "20260101-000003", "--runs-dir", str(root), "--json")
    compared = json.loads(out)
    assert compared["config_differences"] == {"training.epochs": [2, 3]}
    assert compared["test"]["accuracy"] == [0.7, 0.8] and Path(compared["curves"]).is_file()
    code, out, _ = run(capsys, "report", "20260101-000002", "--runs-dir", str(root), "--json")
    assert code == 0 and json.loads(out) == {"status": "ok", "written": [str(a / runs.CURVES), str(a / runs.REPORT)]}


def test_ambiguous_run_prefix_is_one_json_error(tmp_path, capsys):
    root = tmp_path / "runs"
    make_run(root, "20260101-000002-tiny", 2), make_run(root, "20260101-000003-tiny", 3)
    code, out, _ = run(capsys, "runs", "show", "2026", "--runs-dir", str(root), "--json")
    assert code == 2
    (error,) = json.loads(out)["errors"]
    assert "'2026' matches 2 runs" in error["message"]


def test_runs_table_keeps_ids_whole_on_a_narrow_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    root = tmp_path / "runs"
    a = make_run(root, "20260101-000002-a_config_with_a_long_name", 2)
    code, out, _ = run(capsys, "runs", "list", "--runs-dir", str(root))
    assert code == 0 and a.name in out
