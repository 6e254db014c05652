"""The report from hand-made run directories: no training, no TensorFlow."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from dltrain import report, runs
from dltrain.errors import UserError

PNG = b"\x89PNG\r\n\x1a\n"


def make_run(root: Path, name: str, epochs: int = 3, hidden: int = 16, accuracy: float = 0.9) -> Path:
    """A finished run directory as training leaves it: status, config, history, metrics, predictions."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    runs.write_json(run_dir / runs.RUN, {"status": "completed", "started": f"2026-01-01T00:00:0{epochs}+00:00",
                                         "duration_seconds": 4.5})
    runs.write_text(run_dir / runs.CONFIG, f"name: tiny\nmodel:\n  hidden_units: [{hidden}]\ntraining:\n"
                                           f"  epochs: {epochs}\n")
    history = runs.HistoryFile(run_dir / runs.HISTORY)
    for epoch in range(epochs):
        history.append(epoch, {"loss": 1.0 / (epoch + 1), "accuracy": 0.5 + 0.1 * epoch,
                               "val_loss": 1.2 / (epoch + 1), "val_accuracy": 0.4 + 0.1 * epoch,
                               "learning_rate": 0.01})
    runs.write_json(run_dir / runs.METRICS, {
        "test": {"loss": 0.3, "accuracy": accuracy},
        "best": {"monitor": "val_loss", "value": 0.4, "epoch": epochs, "test": {"loss": 0.25, "accuracy": 0.95}}})
    np.savez(run_dir / runs.PREDICTIONS, y_true=np.array([0, 0, 1, 1, 2, 2]), y_pred=np.array([0, 1, 1, 1, 2, 0]),
             class_names=np.array(["cat", "dog", "emu"]))
    runs.write_json(run_dir / runs.ENVIRONMENT, {"keras": "3.99", "seed": 7})
    return run_dir


@pytest.fixture
def run_dir(tmp_path) -> Path:
    return make_run(tmp_path / "runs", "20260101-000003-tiny")


def test_report_writes_plots_scores_and_page(run_dir):
    written = report.write_run_report(run_dir)
    assert [p.name for p in written] == [runs.CURVES, runs.CONFUSION, runs.PER_CLASS, runs.REPORT]
    for name in (runs.CURVES, runs.CONFUSION):
        assert (run_dir / name).read_bytes()[:8] == PNG
    page = (run_dir / runs.REPORT).read_text()
    assert page.count('src="data:image/png;base64,') == 2
    assert ">emu</th>" in page and "hidden_units: [16]" in page


def test_report_says_which_model_each_metric_describes(run_dir):
    report.write_run_report(run_dir)
    page = (run_dir / runs.REPORT).read_text()
    assert "final model (model.keras)" in page and "best checkpoint (best.keras, epoch 3)" in page
    assert "0.9500" in page  # best.keras's accuracy, not only the final model's 0.9000


def test_per_class_scores_name_every_class_even_absent_ones():
    scores = report.per_class_scores([0, 0, 1], [0, 1, 1], ["cat", "dog", "emu"])
    assert list(report.class_rows(scores)) == ["cat", "dog", "emu"]
    assert scores["emu"]["support"] == 0 and scores["cat"]["recall"] == 0.5


def test_report_reads_history_through_runs(run_dir, monkeypatch):
    seen = []
    real = runs.read_history
    monkeypatch.setattr(runs, "read_history", lambda d: seen.append(Path(d)) or real(d))
    report.write_run_report(run_dir)
    assert seen == [run_dir]


def test_report_of_a_failed_run_says_so(tmp_path):
    run_dir = tmp_path / "20260101-000000-broken"
    run_dir.mkdir()
    runs.write_json(run_dir / runs.RUN, {"status": "failed", "reason": "TrainingFailed: the loss became nan"})
    assert [p.name for p in report.write_run_report(run_dir)] == [runs.REPORT]
    page = (run_dir / runs.REPORT).read_text()
    assert '<b id="status">failed</b>' in page and "the loss became nan" in page


def test_damaged_metrics_is_a_user_error_naming_the_file(run_dir):
    (run_dir / runs.METRICS).write_text('{"test": {"loss": 0.')
    with pytest.raises(UserError, match="metrics.json: cannot read the file: not valid JSON"):
        report.write_run_report(run_dir)


def test_run_details_gathers_every_file(run_dir):
    report.write_run_report(run_dir)
    details = report.run_details(run_dir)
    assert details["run"]["id"] == run_dir.name and details["run"]["status"] == "completed"
    assert details["metrics"]["test"]["accuracy"] == 0.9 and details["evaluation"] is None
    assert details["history"]["epoch"] == [0.0, 1.0, 2.0] and details["history"]["val_accuracy"][2] == pytest.approx(0.6)
    assert set(details["files"]) >= {runs.RUN, runs.CONFIG, runs.HISTORY, runs.REPORT, runs.PER_CLASS}
    assert "hidden_units: [16]" in details["config"]
    json.dumps(details)  # --json prints it as is


def test_compare_runs_lists_only_differences(tmp_path):
    a = make_run(tmp_path / "runs", "20260101-000002-tiny", epochs=2)
    b = make_run(tmp_path / "runs", "20260101-000004-tiny", epochs=4, hidden=32, accuracy=0.8)
    comparison = report.compare_runs([a, b])
    assert comparison["config_differences"] == {"training.epochs": [2, 4], "model.hidden_units": [[16], [32]]}
    assert comparison["test"] == {"accuracy": [0.9, 0.8], "loss": [0.3, 0.3]}
    png = Path(comparison["curves"])
    assert png.parent == tmp_path / "runs" and png.read_bytes()[:8] == PNG


def test_compare_needs_two_runs(run_dir):
    with pytest.raises(UserError, match="at least two runs; received 1"):
        report.compare_runs([run_dir])


@pytest.mark.slow  # starts a Python process
def test_report_imports_no_tensorflow_and_no_rich():
    import subprocess

    code = "import sys, dltrain.report; assert not {'tensorflow', 'keras', 'rich'} & set(sys.modules), sys.modules"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
