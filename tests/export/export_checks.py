"""Checks the export tests share: the Keras model's outputs recomputed here, export.json's entries."""

from __future__ import annotations

import json

import numpy as np

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
