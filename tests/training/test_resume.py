"""Resume, interrupts, divergence and reproducibility: no lost work."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dltrain import runs
from dltrain.config import load_config
from dltrain.errors import TrainingFailed, UserError
from dltrain.training import fit, reproduce
from dltrain.training.callbacks import EpochStats, NonFiniteGuard
from dltrain.training.resume import latest_state

# Each test trains a real (tiny) model in-process: seconds each, so the whole module is in the slow part.
pytestmark = pytest.mark.slow

DETERMINISTIC = """
seed: 3
data: {{dataset: npz, path: {npz}, validation_split: 0.2}}
model: {{type: mlp, hidden_units: [{units}], dropout: 0.3}}
optimizer: {{Adam: {{learning_rate: 0.003}}}}
training:
  epochs: {epochs}
  batch_size: {batch}
  deterministic: true
  callbacks:
    - ReduceLROnPlateau: {{monitor: loss, factor: 0.5, patience: 0, min_delta: 0.05}}
    - EarlyStopping: {{monitor: val_loss, patience: 5, restore_best_weights: true}}
"""


def history(run_dir: Path) -> list[dict]:
    rows = list(csv.DictReader(open(run_dir / runs.HISTORY)))
    for row in rows:
        row.pop("epoch_seconds")
    return rows


def best_section(run_dir: Path) -> dict:
    """metrics.json's best checkpoint: monitor, value, epoch and best.keras's test scores."""
    return json.loads((run_dir / runs.METRICS).read_text())["best"]


@pytest.fixture
def det_config(write_config, npz_file):
    def make(epochs=6, units=32, batch=16, name="det.yaml"):
        return write_config(DETERMINISTIC.format(npz=npz_file, epochs=epochs, units=units, batch=batch), name=name)

    return make


def test_resume_continues_exactly_where_an_uninterrupted_run_goes(det_config, tmp_path):
    """Dropout, ReduceLROnPlateau and EarlyStopping state all survive a resume."""
    full = fit(load_config(det_config()), runs_dir=tmp_path / "a", verbose=0)
    part = fit(load_config(det_config(epochs=3)), runs_dir=tmp_path / "b", verbose=0)
    assert latest_state(part.run_dir).epochs_done == 3
    resumed = fit(load_config(det_config()), resume=part.run_dir, force=True, verbose=0)
    assert resumed.run_dir == part.run_dir  # the same directory, not a new one
    assert history(resumed.run_dir) == history(full.run_dir)
    assert resumed.test_metrics == full.test_metrics
    assert best_section(resumed.run_dir) == best_section(full.run_dir)
    lrs = [float(r["learning_rate"]) for r in history(full.run_dir)]
    assert len(set(lrs)) > 1, "the test needs ReduceLROnPlateau to act"
    status = json.loads((part.run_dir / runs.RUN).read_text())
    assert status["status"] == "completed" and status["resumes"][0]["from_epoch"] == 3
    assert status["resumes"][0]["changes"] == ["training.epochs: 3 -> 6"]


def test_resume_refuses_a_changed_config_and_lists_the_changes(det_config, tmp_path):
    part = fit(load_config(det_config(epochs=2)), runs_dir=tmp_path, verbose=0)
    changed = load_config(det_config(epochs=2), ["training.batch_size=8", "optimizer={Adam: {learning_rate: 0.1}}"])
    with pytest.raises(UserError) as info:
        fit(changed, resume=part.run_dir, verbose=0)
    msg = str(info.value)
    assert "the config differs from the run's" in msg and "training.batch_size: 16 -> 8" in msg
    assert "optimizer.Adam.learning_rate: 0.003 -> 0.1" in msg and "--force" in msg


def test_resume_of_a_finished_run(det_config, tmp_path):
    done = fit(load_config(det_config(epochs=1)), runs_dir=tmp_path, verbose=0)
    with pytest.raises(UserError, match=r"the run is completed \(1 of 1 epochs\).*--set training.epochs=N --force"):
        fit(None, resume=done.run_dir, verbose=0)


def test_resume_of_something_else(tmp_path):
    with pytest.raises(UserError, match="no run"):
        fit(None, resume=tmp_path, verbose=0)


def dltrain(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from dltrain.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_epochs(root: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> Path:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for pointer in root.glob("*/state/latest.json"):
            try:
                if json.loads(pointer.read_text())["epochs_done"] >= n:
                    return pointer.parents[1]
            except (ValueError, OSError):
                pass
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("training did not get far enough")


def test_sigkill_mid_epoch_then_resume_matches_an_uninterrupted_run(det_config, tmp_path):
    config = det_config(epochs=8, units=256, batch=4)  # slow enough to be killed inside an epoch
    victim = dltrain("fit", str(config), "--runs-dir", str(tmp_path / "kill"))
    run_dir = wait_for_epochs(tmp_path / "kill", 3, victim)
    time.sleep(0.3)  # into the next epoch
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate(timeout=60)
    assert json.loads((run_dir / runs.RUN).read_text())["status"] == "running"  # killed: nothing could record it

    resumed = dltrain("fit", "--resume", str(run_dir), "--json")
    expected = fit(load_config(config), runs_dir=tmp_path / "ref", verbose=0)  # uninterrupted, meanwhile
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    result = json.loads(out)
    rows = history(run_dir)
    assert [int(r["epoch"]) for r in rows] == list(range(8))  # each epoch exactly once
    assert rows == history(expected.run_dir)
    assert result["test"] == expected.test_metrics
    assert best_section(run_dir) == best_section(expected.run_dir)  # best.keras: the same epoch, the same scores


def test_sigterm_marks_the_run_interrupted_and_exits_143(det_config, tmp_path):
    proc = dltrain("fit", str(det_config(epochs=200, units=256, batch=4)), "--runs-dir", str(tmp_path))
    run_dir = wait_for_epochs(tmp_path, 1, proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and f"dltrain fit --resume {run_dir}" in err
    status = json.loads((run_dir / runs.RUN).read_text())
    assert status["status"] == "interrupted" and "SIGTERM" in status["reason"]


def test_divergence_names_epoch_and_batch():
    guard = NonFiniteGuard()
    guard.on_epoch_begin(1)
    guard.on_train_batch_end(3, {"loss": 1.5})
    with pytest.raises(TrainingFailed, match=r"the loss became nan in epoch 2, batch 5"):
        guard.on_train_batch_end(4, {"loss": float("nan")})


def test_divergence_keeps_the_last_good_state(write_config, npz_file, tmp_path):
    # The learning rate multiplies by 1e6 every 8 steps: fine for an epoch, then it explodes.
    config = write_config(
        f"data: {{dataset: npz, path: {npz_file}, validation_split: 0}}\n"
        "optimizer: {SGD: {learning_rate: {ExponentialDecay: {initial_learning_rate: 0.000001, decay_steps: 8, decay_rate: 1.0e+6}}}}\n"
        "training: {epochs: 20, batch_size: 30}\n"
    )
    with pytest.raises(TrainingFailed) as info:
        fit(load_config(config), runs_dir=tmp_path / "runs", verbose=0)
    assert "batch" in str(info.value)
    (run_dir,) = (tmp_path / "runs").iterdir()
    state = latest_state(run_dir)
    assert state is not None and state.epochs_done >= 1
    with np.load(state.folder / "model.npz") as saved:
        assert all(np.isfinite(saved[k]).all() for k in saved.files)
    assert json.loads((run_dir / runs.RUN).read_text())["status"] == "failed"


def test_deterministic_runs_are_bit_identical(det_config, tmp_path):
    a = fit(load_config(det_config(epochs=3)), runs_dir=tmp_path / "a", verbose=0)
    b = fit(load_config(det_config(epochs=3)), runs_dir=tmp_path / "b", verbose=0)
    assert history(a.run_dir) == history(b.run_dir) and a.test_metrics == b.test_metrics


def test_reproduce_deterministic_run_and_a_mismatch(det_config, tmp_path):
    original = fit(load_config(det_config(epochs=2)), runs_dir=tmp_path, verbose=0)
    result = reproduce(original.run_dir, verbose=0)
    assert result.tolerance == 0 and result.matches and result.rerun.run_dir != original.run_dir

    metrics = json.loads((original.run_dir / runs.METRICS).read_text())
    metrics["test"]["accuracy"] -= 0.5
    (original.run_dir / runs.METRICS).write_text(json.dumps(metrics))
    assert not reproduce(original.run_dir, verbose=0).matches


def test_unwritable_runs_dir_is_one_clear_error(tiny_config, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(UserError, match="cannot create a run directory"):
        fit(load_config(tiny_config), runs_dir=blocker / "runs", verbose=0)


def test_nan_weights_fail_the_epoch_even_with_a_finite_loss():
    """With oneDNN a Dense(relu) can hide NaN weights behind a finite loss (seen on TF 2.21 CPU: NaN inputs became 0)."""
    from dltrain.tf_quiet import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    stats = EpochStats()
    stats.set_model(model)
    stats.on_epoch_begin(0)
    stats.on_epoch_end(0, {"loss": 1.0})  # finite weights: fine
    kernel = model.layers[0].kernel
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))
    stats.on_epoch_begin(1)
    with pytest.raises(TrainingFailed, match="weights became NaN or infinite in epoch 2"):
        stats.on_epoch_end(1, {"loss": 1.0})
