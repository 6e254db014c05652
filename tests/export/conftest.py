"""Tiny real runs to export: digits, one epoch, each model kind the formats treat differently."""

from __future__ import annotations

import pytest

KINDS = {
    "mlp": {"model": {"hidden_units": [16]}},
    "standardized": {"data": {"dataset": "digits", "scale": "standard"}, "model": {"hidden_units": [16]}},
    "augmented": {"model": {"type": "sequential", "layers": [
        {"Reshape": {"target_shape": [8, 8, 1]}}, {"RandomFlip": {"mode": "horizontal"}},
        {"RandomRotation": {"factor": 0.2}}, "Flatten", {"Dense": {"units": 16, "activation": "relu"}}, "Dense"]}},
    "recurrent": {"model": {"type": "sequential", "layers": [
        {"Reshape": {"target_shape": [8, 8]}}, {"LSTM": {"units": 8}}, "Dense"]}},
}


@pytest.fixture(scope="module")
def train(tmp_path_factory):
    """Trains a one-epoch digits run of a kind in ``KINDS`` (once per module and kind); returns its directory."""
    from dltrain.config import config_from_data
    from dltrain.training import fit

    done = {}

    def run(kind: str):
        if kind not in done:
            data = {"name": kind, "seed": 1, "data": {"dataset": "digits"}, "training": {"epochs": 1}, **KINDS[kind]}
            done[kind] = fit(config_from_data(data), runs_dir=tmp_path_factory.mktemp(kind), verbose=0).run_dir
        return done[kind]

    return run
