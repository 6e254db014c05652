"""The single-process run that distributed runs of the same config are compared with (a fixture to import)."""

from __future__ import annotations

import fcntl
import json

import pytest

from conftest import REPO

DIGITS = REPO / "configs" / "digits_mlp.yaml"
EPOCHS = 5
# Test accuracy of digits_mlp after EPOCHS epochs: the 450 test digits give a standard error of about
# 0.01 at 0.95, and another sharding of the same batches moves it by about that much.
NOISE = 0.03


def _train_once(runs_dir) -> float:
    from dltrain.config import load_config
    from dltrain.training import fit

    config = load_config(DIGITS, [f"training.epochs={EPOCHS}"])
    return fit(config, runs_dir=runs_dir, verbose=0).test_metrics["accuracy"]


@pytest.fixture(scope="session")
def single_process_accuracy(tmp_path_factory, worker_id) -> float:
    """Test accuracy of digits_mlp trained EPOCHS epochs in one process, on one device.

    Under pytest-xdist the run is shared: the first worker to ask trains it and leaves the figure in
    the session's temporary folder (which every worker of this session shares), the others read it.
    """
    if worker_id == "master":
        return _train_once(tmp_path_factory.mktemp("single"))
    shared = tmp_path_factory.getbasetemp().parent
    with open(shared / "single_process_accuracy.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        figure = shared / "single_process_accuracy.json"
        if not figure.is_file():
            figure.write_text(json.dumps(_train_once(tmp_path_factory.mktemp("single"))))
        return json.loads(figure.read_text())
