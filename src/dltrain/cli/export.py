"""``dltrain export``: a run's model in another format, checked against the Keras model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dltrain.cli.console import emit, stage
from dltrain.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunArgument, RunsDirOption

FormatOption = Annotated[str, typer.Option(
    "--format", help="savedmodel, onnx (pip install 'dltrain[onnx]'), litert (pip install 'dltrain[litert]') or keras.")]


def export(
    run: RunArgument,
    format: FormatOption,
    model: Annotated[str, typer.Option(help="final (model.keras) or best (best.keras).")] = "final",
    output: Annotated[Optional[Path], typer.Option(help="Where to write it (default: RUN/exports/).")] = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Export a run's model; reload the export and check its predictions match (written to export.json)."""
    stage("loading TensorFlow", as_json)
    from dltrain.export import export as export_run

    result = export_run(run, format, runs_dir=runs_dir, model=model, output=output)
    emit(result, as_json, lambda console: console.print(
        f"{result.format}: {result.path}\nlargest absolute difference from the Keras model on {result.samples} "
        f"test samples: {result.max_abs_diff:.3g} (tolerance {result.tolerance:g})", highlight=False))
