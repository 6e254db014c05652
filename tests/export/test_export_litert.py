"""LiteRT exports: run with ai-edge-litert's interpreter; recurrent layers refused up front."""

from __future__ import annotations

import numpy as np
import pytest
from export_checks import recorded, sample_and_reference, train  # noqa: F401  (a fixture)

from dltrain.errors import UserError

interpreter = pytest.importorskip("ai_edge_litert.interpreter")
pytestmark = pytest.mark.slow  # trains real runs


def test_litert_round_trips_with_its_parity_in_export_json(train):
    from dltrain.export import export

    result = export(train("mlp"), "litert")
    x, expected = sample_and_reference(result.run_dir)
    lite = interpreter.Interpreter(model_path=str(result.path))
    (given,) = lite.get_input_details()
    lite.resize_tensor_input(given["index"], x.shape)
    lite.allocate_tensors()
    lite.set_tensor(given["index"], x)
    lite.invoke()
    difference = float(np.max(np.abs(lite.get_tensor(lite.get_output_details()[0]["index"]) - expected)))
    entry = recorded(result)
    assert entry["format"] == "litert" and entry["samples"] == 64
    assert entry["max_abs_diff"] <= entry["tolerance"] == 1e-4
    assert difference == pytest.approx(entry["max_abs_diff"], abs=1e-7)


def test_recurrent_layers_are_refused_before_export(train):
    from dltrain.export import export

    run_dir = train("recurrent")
    with pytest.raises(UserError, match=r"cannot export to litert: recurrent layers \(LSTM\) need LiteRT's Flex"):
        export(run_dir, "litert")
    assert not (run_dir / "exports").exists()
