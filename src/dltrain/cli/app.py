"""The ``dltrain`` Typer app, and running it: errors become one line each and an exit code."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

from dltrain.cli.init import init
from dltrain.cli.launch import launch
from dltrain.cli.predict import predict
from dltrain.cli.export import export
from dltrain.cli.runs import report, runs_app
from dltrain.cli.script import script
from dltrain.cli.train import evaluate, fit, reproduce
from dltrain.cli.tune import tune
from dltrain.cli.validate import validate
from dltrain.cli.console import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USER_ERROR,
    print_json,
    print_problems,
    problem_dict,
)
from dltrain.errors import Interrupted, TrainingFailed, UserError

app = typer.Typer(
    help="Train Keras models from YAML config files.",
    no_args_is_help=True,
    add_completion=True,  # Typer's own: --install-completion, --show-completion
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: importing rich's help renderer costs ~80 ms per call
)
app.command()(fit)
app.command()(evaluate)
app.command()(reproduce)
app.command()(launch)
app.command()(tune)
app.command()(validate)
app.command()(report)
app.command()(script)
app.command()(export)
app.command()(predict)
app.command()(init)
app.add_typer(runs_app, name="runs")


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"dltrain {version('dltrain')}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                       help="Print dltrain's version and exit.")) -> None:
    """Train Keras models from YAML config files."""


def _interrupted_hint(err: Interrupted) -> str:
    # errors.Interrupted says itself whether the run can be resumed; older ones always could.
    return getattr(err, "hint", None) or ("the state of the last complete epoch is saved. Resume with:\n"
                                          f"  dltrain fit --resume {err.run_dir}")


def _failure(err: BaseException, command: str = "") -> tuple[int, dict, str | None]:
    """The exit code, the JSON document and the stderr text for an error that ends a command."""
    if isinstance(err, UserError):
        return EXIT_USER_ERROR, {"status": "error", "errors": [problem_dict(p) for p in err.problems]}, None
    if isinstance(err, TrainingFailed):
        return EXIT_FAILED, {"status": "failed", "error": str(err)}, f"training failed: {err}"
    if isinstance(err, Interrupted):
        code = EXIT_TERMINATED if err.signal_name == "SIGTERM" else EXIT_INTERRUPTED
        data = {"status": "interrupted", "signal": err.signal_name, "run_dir": str(err.run_dir),
                "resumable": getattr(err, "resumable", True), "hint": _interrupted_hint(err)}
        return code, data, f"interrupted ({err.signal_name}); {_interrupted_hint(err)}"
    # Ctrl-C outside training (for fit: while loading TensorFlow or the data, before its run directory exists).
    text = "interrupted before training started; no run was written" if command == "fit" else "interrupted"
    return EXIT_INTERRUPTED, {"status": "interrupted"}, text


def run(args: list[str] | None = None) -> int:
    """Runs one dltrain command in-process and returns its exit code.

    User errors print one line each (``error: FILE:LINE: KEY: message``), or
    a JSON document with ``--json``. Other exceptions are dltrain's bugs and
    keep their traceback.

    Args:
        args: the command line after ``dltrain`` (default: ``sys.argv[1:]``).

    Returns:
        0 success, 1 training failed (or not reproduced), 2 bad input, 130
        interrupted, 143 terminated.
    """
    args = list(sys.argv[1:] if args is None else args)
    try:
        result = app(args=args, standalone_mode=False, prog_name="dltrain")
        if result == EXIT_INTERRUPTED:  # Typer turns a Ctrl-C outside training into a silent exit 130
            raise KeyboardInterrupt
    except (UserError, TrainingFailed, Interrupted, KeyboardInterrupt, typer.Abort) as err:
        code, data, text = _failure(err, args[0] if args else "")
        if "--json" in args:
            print_json(data)
        elif isinstance(err, UserError):
            print_problems(err.problems)
        else:
            print(text, file=sys.stderr, flush=True)
        return code
    except typer.Exit as exit_:
        return exit_.exit_code
    except typer.TyperException as err:  # usage errors: unknown command or option, missing argument
        err.show(file=sys.stderr)
        return EXIT_USER_ERROR
    return result if isinstance(result, int) else EXIT_OK


def main() -> None:
    """The console script."""
    from dltrain import signals

    signals.install()
    args = sys.argv[1:]
    if args[:1] in (["fit"], ["evaluate"], ["reproduce"], ["predict"], ["export"], ["script"], ["tune"]) or "--build" in args:
        from dltrain.quiet import silence_native_stderr
        from dltrain.startup import skip_unused_imports

        silence_native_stderr()  # before TensorFlow is imported: it prints while loading
        skip_unused_imports()
    exit_process(run(args))


def exit_process(code: int) -> NoReturn:
    """Ends the process with ``code`` as Python's exit does, less its teardown of every module.

    Python's exit waits for the non-daemon threads, runs the atexit functions, then frees
    every module and object. With TensorFlow loaded that last part took 1.3 s of a 9.5 s
    ``dltrain fit --smoke`` (measured on CPython 3.11, TensorFlow 2.21), and a finished
    command needs nothing from it: its files are written and closed by then. Without
    TensorFlow (``--help``, ``validate``) the ordinary exit is as quick.
    """
    if "tensorflow" not in sys.modules:
        sys.exit(code)
    import atexit
    import os
    import threading

    threading._shutdown()  # what the interpreter's exit runs first: joins non-daemon threads and executors
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`dltrain ... | head`) or stream
            pass
    os._exit(code)
