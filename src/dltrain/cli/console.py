"""What a command prints and the code it exits with.

A command's result goes out through :func:`emit`, the one place that knows
``--json``: one JSON document on stdout and nothing else, or the human view.
Stage lines ("loading TensorFlow…") and errors go to stderr, so stdout stays
a table or a JSON document.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, Callable

from dltrain.errors import Problem

if TYPE_CHECKING:  # rich costs ~80 ms to import: only commands that print tables pay for it
    from rich.console import Console

EXIT_OK, EXIT_FAILED, EXIT_USER_ERROR, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143

# Piped into a file or a CI log, rich would assume 80 columns and fold run ids.
_PIPE_WIDTH = 160


def console() -> Console:
    """The console for stdout: the terminal's width, else ``$COLUMNS``, else 160 columns."""
    from rich.console import Console

    wide = sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit()
    return Console(width=None if wide else _PIPE_WIDTH)


def print_json(data: dict) -> None:
    """Prints one JSON document on stdout."""
    print(json.dumps(data, indent=2, default=str), flush=True)


def emit(result: Any, as_json: bool, show: Callable[[Console], None]) -> None:
    """Prints a command's result: its JSON with ``--json``, else its human view.

    Args:
        result: a dict, or an object with ``as_dict()`` (the training results).
        as_json: whether ``--json`` was given.
        show: prints the human view on the console it is given.
    """
    if as_json:
        print_json(result.as_dict() if hasattr(result, "as_dict") else result)
    else:
        show(console())


def stage(message: str, as_json: bool) -> None:
    """One line on stdout saying what takes time now, so a silent wait is never a mystery.

    On stdout, with the epoch lines, so that stderr holds only errors (one line
    each); nothing with ``--json``, whose stdout is one JSON document.
    """
    if not as_json:
        print(f"{message}…", flush=True)


def problem_dict(problem: Problem) -> dict:
    """A problem as JSON-ready data."""
    return {"file": problem.file, "line": problem.line, "key": problem.key, "message": problem.message}


def print_problems(problems: list[Problem]) -> None:
    """Prints each problem on one line of stderr: ``error: FILE:LINE: KEY: message``."""
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr, flush=True)
