"""training.mixed_precision: Keras's mixed_float16 where there is an accelerator, float32 and one line without."""

from __future__ import annotations

import numpy as np
import pytest

from dltrain import runs
from dltrain.config import load_config
from dltrain.models import precision
from dltrain.tf_quiet import keras
from dltrain.training import fit

CONFIG = """
seed: 1
data: {{dataset: npz, path: {npz}, validation_split: 0.2}}
model: {{type: mlp, hidden_units: [16]}}
training: {{epochs: 2, batch_size: 32, mixed_precision: {mixed}}}
"""


def _config(write_config, npz_file, mixed: bool):
    return load_config(write_config(CONFIG.format(npz=npz_file, mixed=str(mixed).lower())))


def test_without_an_accelerator_it_says_so_in_one_line_and_trains_in_float32(write_config, npz_file, tmp_path,
                                                                            capsys, monkeypatch):
    monkeypatch.setattr(precision, "accelerator", lambda: None)
    result = fit(_config(write_config, npz_file, True), runs_dir=tmp_path, verbose=2)
    notes = [line for line in capsys.readouterr().err.splitlines() if "mixed_precision" in line]
    assert notes == ["note: training.mixed_precision needs a GPU or TPU and none is visible; training in float32"]
    model = keras.saving.load_model(result.run_dir / runs.MODEL)
    assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}
    assert keras.config.dtype_policy().name == "float32"


def test_on_a_gpu_layers_compute_in_float16_with_a_float32_output(write_config, npz_file, tmp_path, monkeypatch):
    monkeypatch.setattr(precision, "accelerator", lambda: "gpu")  # float16 kernels run on CPU too, slowly
    plain = fit(_config(write_config, npz_file, False), runs_dir=tmp_path / "plain", verbose=0)
    mixed = fit(_config(write_config, npz_file, True), runs_dir=tmp_path / "mixed", verbose=0)
    assert keras.config.dtype_policy().name == "float32"  # the policy was the run's only
    model = keras.saving.load_model(mixed.run_dir / runs.MODEL)  # Keras alone
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert dense and all(layer.dtype_policy.name == "mixed_float16" for layer in dense)
    assert model.layers[-1].name == precision.OUTPUT_CAST and model.layers[-1].dtype_policy.name == "float32"
    assert type(model.optimizer).__name__ == "LossScaleOptimizer"  # Keras scales the float16 loss
    assert mixed.parameters == plain.parameters  # the cast adds no weight
    x = np.load(npz_file)["x_test"][:8]
    assert str(model.predict(x, verbose=0).dtype) == "float32"
    assert np.isfinite(mixed.test_metrics["loss"])


def test_a_tpu_gets_bfloat16(monkeypatch, write_config, npz_file):
    monkeypatch.setattr(precision, "accelerator", lambda: "tpu")
    assert precision.precision_policy(_config(write_config, npz_file, True)) == "mixed_bfloat16"
    assert precision.precision_policy(_config(write_config, npz_file, False)) == "float32"
