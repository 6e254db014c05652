"""ONNX exports: run back with ONNX Runtime; Normalization's extra inputs and augmentation refused."""

from __future__ import annotations

import numpy as np
import pytest
from export_checks import recorded, sample_and_reference, train  # noqa: F401  (a fixture)

from dltrain.errors import UserError

pytest.importorskip("tf2onnx")
pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.slow  # trains real runs


def test_onnx_round_trips_with_its_parity_in_export_json(train):
    from dltrain.export import export

    result = export(train("mlp"), "onnx")
    x, expected = sample_and_reference(result.run_dir)
    session = onnxruntime.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    (given,) = session.get_inputs()
    difference = float(np.max(np.abs(session.run(None, {given.name: x})[0] - expected)))
    entry = recorded(result)
    assert entry["format"] == "onnx" and entry["samples"] == 64
    assert entry["max_abs_diff"] <= entry["tolerance"] == 1e-4
    assert difference == pytest.approx(entry["max_abs_diff"], abs=1e-7)


def test_a_graph_with_normalization_statistics_as_inputs_fails_and_is_removed(train):
    from dltrain.export import export

    run_dir = train("standardized")
    with pytest.raises(UserError, match=r"the onnx export wants 3 inputs but the model takes 1 .*Normalization"):
        export(run_dir, "onnx")
    assert not list((run_dir / "exports").glob("*onnx*"))


def test_augmentation_layers_are_refused_before_export(train):
    from dltrain.export import export

    run_dir = train("augmented")
    with pytest.raises(UserError, match=r"cannot export to onnx: augmentation layers \(RandomFlip, RandomRotation\)"):
        export(run_dir, "onnx")
    assert not (run_dir / "exports").exists()
