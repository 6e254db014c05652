"""``dltrain init``: write a commented starter config."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Optional

import typer

from dltrain.cli.console import emit
from dltrain.cli.options import JsonOption


def init(
    path: Annotated[Path, typer.Argument(help="The config file to write.", metavar="PATH")] = Path("config.yaml"),
    preset: Annotated[str, typer.Option(help="mlp, cnn, sequential, functional or regression.",
                                        metavar="PRESET")] = "mlp",
    dataset: Annotated[Optional[str], typer.Option(help="data.dataset (default: digits; diabetes for regression).",
                                                   metavar="NAME")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file if it exists.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Write a commented starter config that passes `dltrain validate`."""
    from dltrain.init import init as write_starter

    result = write_starter(path, preset=preset, dataset=dataset, force=force)
    emit(result, as_json, partial(_show, result))


def _show(result, console) -> None:
    console.print(f"wrote {result.path} (preset {result.preset}, dataset {result.dataset}); next:\n"
                  f"  dltrain validate {result.path}\n  dltrain fit {result.path}", soft_wrap=True, highlight=False)
