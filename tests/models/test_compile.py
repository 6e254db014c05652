"""Compiling: how many steps one call into the backend runs (``steps_per_execution``)."""

from __future__ import annotations

import pytest

from dltrain.config import config_from_data
from dltrain.models import build_model, compile_model
from dltrain.models.compile import MULTI_STEP_MIN_BATCHES, steps_per_execution


@pytest.mark.parametrize(("samples", "epochs", "batch", "expected"), [
    (1_347, 60, 32, 32),    # the digits quickstart: 2,580 batches repay the 32-step loop's trace
    (1_347, 2, 32, 1),      # two of its epochs: 86 batches
    (60_000, 1, 128, 32),   # one Fashion-MNIST epoch: 469 batches
    (240, 3, 32, 1),        # a small table
    (12_800, 1, 32, 32),    # exactly the threshold
    (12_799, 1, 32, 1),
    (None, 1, 32, 32),      # without a data size (validate --build, evaluate)
])
def test_auto_runs_one_step_per_call_for_a_short_training(samples, epochs, batch, expected):
    cfg = config_from_data({"training": {"epochs": epochs, "batch_size": batch}})
    assert cfg.training.steps_per_execution == "auto"
    assert steps_per_execution(cfg, samples) == expected
    assert MULTI_STEP_MIN_BATCHES == 400


def test_a_number_is_kept_and_mirrored_tensorflow_runs_one(monkeypatch):
    cfg = config_from_data({"training": {"steps_per_execution": 8}})
    assert steps_per_execution(cfg, 10) == 8  # the config's number, however short the training
    mirrored = config_from_data({"training": {"distribute": "mirrored"}})
    assert steps_per_execution(mirrored, 10**6) == 1


def test_on_jax_auto_is_32(monkeypatch):
    """JAX runs one jitted step in a Python loop: a short training has no loop to trace."""
    monkeypatch.setattr("keras.backend.backend", lambda: "jax")
    assert steps_per_execution(config_from_data({}), 10) == 32


def test_the_compiled_model_gets_it():
    cfg = config_from_data({"training": {"epochs": 2, "batch_size": 32}})
    model = build_model(cfg, (4,), 3, "sparse")
    compile_model(model, cfg, samples_per_epoch=100, epochs=2)
    assert model.steps_per_execution == 1
    compile_model(model, cfg, samples_per_epoch=100_000, epochs=2)
    assert model.steps_per_execution == 32
