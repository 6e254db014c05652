"""``dltrain script CONFIG``: print the plain Keras script a config stands for."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dltrain.cli.options import SetOption


def script(
    config: Annotated[Path, typer.Argument(help="The YAML config file.")],
    set_: SetOption = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the script to this file.")] = None,
) -> None:
    """Print a self-contained Keras script that trains the same model on the same data.

    Uses only keras, numpy and the loader the dataset needs; run it with
    DLTRAIN_SCRIPT_SMOKE=1 for a quick check on a few samples.
    """
    from dltrain.config import load_config
    from dltrain.script import render_script

    text = render_script(load_config(config, set_ or []))
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
