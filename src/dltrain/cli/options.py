"""Options and arguments that several commands share, spelled once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

SetOption = Annotated[
    Optional[list[str]],
    typer.Option("--set", help="Override a config value: KEY.PATH=VALUE (VALUE is YAML). Repeatable.",
                 metavar="KEY=VALUE"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")]
RunsDirOption = Annotated[Path, typer.Option(help="The runs directory: where new runs go and RUN ids are looked up.")]
RunArgument = Annotated[
    str, typer.Argument(help="A run directory, a run id, or a unique prefix of one (looked up in --runs-dir).",
                        metavar="RUN"),
]

DEFAULT_RUNS_DIR = Path("runs")
