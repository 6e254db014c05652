"""mirrored: every local device, on TensorFlow (MirroredStrategy) and on jax (DataParallel)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dltrain.data.pipeline import sharded, training_dataset
from single_process import DIGITS, EPOCHS, NOISE, single_process_accuracy  # noqa: F401  (a fixture)

CLI = [sys.executable, "-c", "from dltrain.cli import main; main()"]


def test_shares_of_full_batches_put_together_are_the_global_batches():
    x = np.arange(22, dtype=np.float32).reshape(11, 2)
    y = np.arange(11, dtype=np.int32)
    whole = [b[1].numpy() for b in training_dataset(x, y, 4, seed=1).dataset]
    shares = [sharded(training_dataset(x, y, 4, seed=1), 11, 4, 2, index) for index in (0, 1)]
    assert all(s.steps_per_epoch == 2 for s in shares)  # 11 // 4: the short batch of 3 is dropped
    parts = [[b[1].numpy() for b in s.dataset] for s in shares]
    assert [len(p) for p in parts] == [2, 2]
    for step in range(2):
        np.testing.assert_array_equal(np.concatenate([parts[0][step], parts[1][step]]), whole[step])
    assert len(whole) == 3 and len(whole[2]) == 3


@pytest.mark.slow
@pytest.mark.parametrize("backend, env", [
    ("tensorflow", {"DLTRAIN_CPU_DEVICES": "2"}),
    ("jax", {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}),
])
def test_mirrored_trains_on_two_local_devices(tmp_path: Path, backend: str, env: dict, single_process_accuracy):
    done = subprocess.run([*CLI, "fit", str(DIGITS), "--distribute", "mirrored", "--set", f"backend={backend}",
                           "--set", f"training.epochs={EPOCHS}", "--runs-dir", str(tmp_path), "--json"],
                          capture_output=True, text=True, timeout=300, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert [p.name for p in tmp_path.iterdir()] == [Path(result["run_dir"]).name]  # one run directory
    info = json.loads((Path(result["run_dir"]) / "run.json").read_text())
    assert info["status"] == "completed" and info["backend"] == backend
    assert info["distribution"]["devices"] == 2
    speed = info["throughput"]  # what scaling efficiency is computed from (README)
    assert speed["devices"] == 2 and speed["per_device"] == pytest.approx(speed["samples_per_second"] / 2, abs=0.1)
    assert info["distribution"]["engine"] == ("tf.distribute.MirroredStrategy" if backend == "tensorflow"
                                              else "keras.distribution.DataParallel")
    assert abs(result["test"]["accuracy"] - single_process_accuracy) <= NOISE, \
        (result["test"]["accuracy"], single_process_accuracy)
