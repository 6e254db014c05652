"""The model summary as plain text."""

from __future__ import annotations

import os

from dltrain.tf_quiet import keras


def summary_text(model: keras.Model) -> str:
    """The model summary (layers, output shapes, parameters) as plain text."""
    lines: list[str] = []
    # Keras renders the table with rich, which cuts it to the terminal's width
    # (80 columns when there is no terminal); give it room for the full table.
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "200"
    try:
        model.summary(print_fn=lambda line, line_break=True: lines.append(line))
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous
    return "\n".join(lines) + "\n"
