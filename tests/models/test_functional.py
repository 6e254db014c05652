"""model.type: functional — layers that name their inputs; graph errors at the layer's line."""

from __future__ import annotations

import pytest

from dltrain.config import load_config
from dltrain.errors import UserError
from dltrain.tf_quiet import keras
from dltrain.training import check_build

RESIDUAL = """
data: {dataset: digits}
model:
  type: functional
  layers:
    - Conv2D: {filters: 8, kernel_size: 3, padding: same, activation: relu, name: stem}
    - Conv2D: {filters: 8, kernel_size: 3, padding: same, name: branch}
    - Add: {inputs: [stem, branch]}
    - GlobalAveragePooling2D
    - Dense: {}
"""


def test_a_residual_block_builds_as_a_graph(write_config):
    model = check_build(load_config(write_config(RESIDUAL)))
    add = model.get_layer("add_2")
    assert isinstance(add, keras.layers.Add)
    assert {node.operation.name for node in add._inbound_nodes[0].parent_nodes} == {"stem", "branch"}
    assert model.output_shape == (None, 10) and model.count_params() == 80 + 584 + 90


def test_two_branches_concatenate(write_config):
    model = check_build(load_config(write_config("""
        data: {dataset: iris}
        model:
          type: functional
          layers:
            - Dense: {units: 4, name: left, inputs: [input]}
            - Dense: {units: 6, name: right, inputs: [input]}
            - Concatenate: {inputs: [left, right]}
            - Dense: {}
        """)))
    assert model.get_layer("concatenate_2").output.shape == (None, 10) and model.output_shape == (None, 3)


@pytest.mark.parametrize("layers, line, message", [
    ("- Dense: {units: 4, name: a}\n    - Dense: {inputs: [b]}\n", 6, "no layer named 'b' before this one"),
    ("- Dense: {units: 4, name: abc}\n    - Dense: {inputs: [abd]}\n", 6, "did you mean 'abc'"),
    ("- Dense: {units: 4, inputs: [later], name: first}\n    - Dense: {name: later}\n", 5,
     "input 'later' is a later layer"),
    ("- Dense: {units: 4, name: x, inputs: [input]}\n    - Dense: {units: 4, name: y, inputs: [input]}\n"
     "    - Dense: {inputs: [y]}\n", 5, "nothing consumes layer 'x'"),
    # A list among the inputs was a TypeError (unhashable) instead of this line.
    ("- Dense: {units: 4, name: a, inputs: [input]}\n    - Add: {inputs: [a, []]}\n", 6,
     "inputs must be layer names, got []"),
])
def test_graph_errors_point_at_the_layer_line(write_config, layers, line, message):
    text = f"data: {{dataset: iris}}\nmodel:\n  type: functional\n  layers:\n    {layers}"
    # The layers start on line 5; each case says which line is wrong.
    with pytest.raises(UserError) as info:
        load_config(write_config(text))
    assert any(f"config.yaml:{line}: model.layers[" in str(p) and message in str(p) for p in info.value.problems), \
        str(info.value)


def test_shapes_that_do_not_fit_name_the_merge_layer(write_config):
    config = load_config(write_config("""
        data: {dataset: iris}
        model:
          type: functional
          layers:
            - Dense: {units: 4, name: a, inputs: [input]}
            - Dense: {units: 5, name: b, inputs: [input]}
            - Add: {inputs: [a, b]}
            - Dense: {}
        """))
    with pytest.raises(UserError, match=r"config.yaml:7: model.layers\[2\]: Add cannot take its inputs of shape "
                                        r"\(None, 4\), \(None, 5\)"):
        check_build(config)
