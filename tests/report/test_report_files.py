"""Plots, per-class scores and the HTML report of a real training run, checked in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from dltrain import cli, runs

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.slow  # every test here reads a run that a real fit wrote


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    from dltrain.config import config_from_data
    from dltrain.training import fit

    root = tmp_path_factory.mktemp("report")
    config = config_from_data({"seed": 1, "data": {"dataset": "digits"}, "model": {"hidden_units": [32]},
                               "training": {"epochs": 4}})
    return fit(config, runs_dir=root, verbose=0)


def test_every_run_gets_plots_scores_report_and_tensorboard(finished):
    run_dir = finished.run_dir
    for name in (runs.CURVES, runs.CONFUSION, runs.PER_CLASS, runs.REPORT, runs.PREDICTIONS):
        assert (run_dir / name).is_file(), name
    for name in (runs.CURVES, runs.CONFUSION):
        assert (run_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    events = list((run_dir / runs.TENSORBOARD).rglob("events.out.tfevents.*"))
    assert {p.parent.name for p in events} == {"train", "validation"}


def test_per_class_scores_match_the_test_accuracy(finished):
    scores = json.loads((finished.run_dir / runs.PER_CLASS).read_text())
    assert [k for k in scores if k not in ("accuracy", "macro avg", "weighted avg")] == [str(i) for i in range(10)]
    assert scores["accuracy"] == pytest.approx(finished.test_metrics["accuracy"], abs=1e-6)
    assert sum(s["support"] for k, s in scores.items() if k[0].isdigit()) == 450


def test_report_command_rewrites_from_the_run_directory(finished, capsys):
    (finished.run_dir / runs.CURVES).unlink()
    assert cli.run(["report", str(finished.run_dir)]) == 0
    assert (finished.run_dir / runs.CURVES).is_file()
    assert str(finished.run_dir / runs.REPORT) in capsys.readouterr().out


def test_report_is_self_contained(finished):
    page = (finished.run_dir / runs.REPORT).read_text()
    assert not re.search(r'(src|href)="(https?:)?//', page), "no network resources"
    assert page.count('src="data:image/png;base64,') == 2
    for text in ("Test metrics", "Learning curves", "Confusion matrix", "Per class", "Config", "Model", "Environment"):
        assert f"<h2>{text}</h2>" in page


def test_history_reading(finished):
    history = runs.read_history(finished.run_dir)
    assert history["epoch"] == [0, 1, 2, 3] and len(history["loss"]) == 4 and "val_accuracy" in history and "learning_rate" in history


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(finished, tmp_path):
    url = (finished.run_dir / runs.REPORT).resolve().as_uri()
    dom = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
         "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    ).stdout
    assert 'data-images="2"' in dom and 'data-images-loaded="2"' in dom, "both plots decode in the browser"
    assert '<b id="status">completed</b>' in dom
    assert f"{finished.test_metrics['accuracy']:.4f}" in dom
    assert "T-shirt" not in dom and ">9</th>" in dom  # per-class rows with digits' class names
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile2'}", "--window-size=1200,2000",
                    f"--screenshot={shot}", url], capture_output=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 50_000  # a page with pictures, not a blank one

