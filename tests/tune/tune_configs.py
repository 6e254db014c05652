"""Tiny study configs on scikit-learn's digits, shared by the tune tests (a module: a second conftest would shadow the suite's)."""

from __future__ import annotations

import textwrap
from pathlib import Path

BASE = """\
name: {name}
seed: 3
data: {{dataset: digits, validation_split: 0.2}}
model: {{type: mlp, hidden_units: [16]}}
optimizer: {{Adam: {{learning_rate: 0.01}}}}
training: {{epochs: {epochs}, batch_size: 64, monitor: val_accuracy, jit_compile: false}}
"""


def study_config(folder: Path, search: str, name: str = "tiny_tune", epochs: int = 3) -> Path:
    """Writes a digits config (an MLP of 16 units, a few epochs) with the given ``search:`` body."""
    path = folder / f"{name}.yaml"
    path.write_text(BASE.format(name=name, epochs=epochs) + "search:\n" + textwrap.indent(textwrap.dedent(search), "  "))
    return path
