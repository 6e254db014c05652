"""The single-process run that distributed runs of the same config are compared with (a fixture to import)."""

from __future__ import annotations

import pytest

from conftest import REPO

DIGITS = REPO / "configs" / "digits_mlp.yaml"
EPOCHS = 5
# Test accuracy of digits_mlp after EPOCHS epochs: the 450 test digits give a standard error of about
# 0.01 at 0.95, and another sharding of the same batches moves it by about that much.
NOISE = 0.03


@pytest.fixture(scope="session")
def single_process_accuracy(tmp_path_factory) -> float:
    """Test accuracy of digits_mlp trained EPOCHS epochs in one process, on one device."""
    from dltrain.config import load_config
    from dltrain.training import fit

    config = load_config(DIGITS, [f"training.epochs={EPOCHS}"])
    return fit(config, runs_dir=tmp_path_factory.mktemp("single"), verbose=0).test_metrics["accuracy"]
