"""``dltrain predict``: a run's saved model on new inputs, written as a CSV."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Optional

import typer

from dltrain.cli.console import emit, stage
from dltrain.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunArgument, RunsDirOption

LOADING = "loading TensorFlow"


def predict(
    run: RunArgument,
    inputs: Annotated[list[Path], typer.Argument(
        help=".npz files (an x or x_test array), CSV tables (the label column may be absent), image or text files, "
             "or folders of them.", metavar="INPUT...")],
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="The CSV to write (default: predictions-<time>.csv in the run directory).",
        metavar="FILE")] = None,
    model: Annotated[str, typer.Option(help="Which saved model: final (model.keras) or best (best.keras).",
                                       metavar="best|final")] = "final",
    top_k: Annotated[Optional[int], typer.Option(
        help="Write the K most probable classes and their probabilities instead of every class's.",
        metavar="K")] = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Predict with a run's saved model on new inputs; write a CSV of the predictions."""
    stage(LOADING, as_json)
    from dltrain.predict import predict as run_predict

    result = run_predict(run, inputs, output=output, model=model, top_k=top_k, runs_dir=runs_dir,
                         verbose=0 if as_json else None)
    emit(result, as_json, partial(_show, result))


def _show(result, console) -> None:
    from rich.table import Table

    table = Table(*result.columns[:2], title=f"first {len(result.first_rows)} of {result.inputs} predictions "
                  "(the probabilities are in the CSV)")
    for row in result.first_rows:
        table.add_row(*(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row[:2]))
    console.print(table)
    console.print(f"wrote {result.inputs} predictions to {result.output}", soft_wrap=True)
