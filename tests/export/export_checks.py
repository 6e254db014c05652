"""Checks the export tests share: the Keras model's outputs recomputed here, export.json's entries."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dltrain import runs


def sample_and_reference(run_dir):
    """The first 64 raw test samples and the Keras model's outputs on them, computed here, not by dltrain.export."""
    import keras

    from dltrain.config import load_config
    from dltrain.data import load_bundle

    config = load_config(run_dir / runs.CONFIG)
    x = np.concatenate([np.asarray(batch) for batch, _ in load_bundle(config, config.seed, smoke=True).test])[:64]
    model = keras.saving.load_model(run_dir / runs.MODEL, safe_mode=True)
    return x, np.asarray(model(x, training=False))


def recorded(result) -> dict:
    """The export's entry in its run's export.json."""
    entries = json.loads((result.run_dir / runs.EXPORT).read_text())
    (entry,) = [e for e in entries.values() if e["path"] == str(result.path)]
    return entry

KINDS = {
    "mlp": {"model": {"hidden_units": [16]}},
    "standardized": {"data": {"dataset": "digits", "scale": "standard"}, "model": {"hidden_units": [16]}},
    "augmented": {"model": {"type": "sequential", "layers": [
        {"Reshape": {"target_shape": [8, 8, 1]}}, {"RandomFlip": {"mode": "horizontal"}},
        {"RandomRotation": {"factor": 0.2}}, "Flatten", {"Dense": {"units": 16, "activation": "relu"}}, "Dense"]}},
    "recurrent": {"model": {"type": "sequential", "layers": [
        {"Reshape": {"target_shape": [8, 8]}}, {"LSTM": {"units": 8}}, "Dense"]}},
}


@pytest.fixture(scope="session")
def train(tmp_path_factory):
    """Trains a one-epoch digits run of a kind in ``KINDS`` (once per test process and kind); returns its directory."""
    from dltrain.config import config_from_data
    from dltrain.training import fit

    done = {}

    def run(kind: str):
        if kind not in done:
            data = {"name": kind, "seed": 1, "data": {"dataset": "digits"}, "training": {"epochs": 1}, **KINDS[kind]}
            done[kind] = fit(config_from_data(data), runs_dir=tmp_path_factory.mktemp(kind), verbose=0).run_dir
        return done[kind]

    return run
