"""The ``dltrain`` command: parses, calls the library, prints.

TensorFlow is imported only inside the commands that train or evaluate, so
``dltrain --help`` and ``dltrain validate`` stay fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from dltrain.errors import UserError

# Exit codes, the same for every command.
EXIT_OK, EXIT_FAILED, EXIT_USER_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130

app = typer.Typer(
    help="Train Keras models from YAML config files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: importing rich's help renderer costs ~80 ms per call
)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@app.command()
def fit(
    config: Annotated[Path, typer.Argument(help="The YAML config to train.", metavar="CONFIG")],
    runs_dir: Annotated[Path, typer.Option(help="Where run directories are created.")] = Path("runs"),
) -> None:
    """Train the model a config describes; write a new run directory."""
    from dltrain.config import load_config

    cfg = load_config(config)
    from dltrain import report, training

    result = training.fit(cfg, runs_dir=runs_dir)
    report.print_table(report.fit_summary(result))


@app.command()
def evaluate(
    target: Annotated[Path, typer.Argument(help="A run directory or a .keras model file.", metavar="RUN_DIR|MODEL.keras")],
    config: Annotated[Optional[Path], typer.Option(help="Config describing the test data (default: the run's).")] = None,
    unsafe: Annotated[bool, typer.Option(help="Allow models that contain code (Lambda layers).")] = False,
) -> None:
    """Reload a trained model and report its test metrics."""
    from dltrain import report, training

    result = training.evaluate(target, config, unsafe=unsafe)
    report.print_table(report.evaluation_summary(result))


@app.command()
def validate(
    configs: Annotated[list[Path], typer.Argument(help="Config files to check.", metavar="CONFIG")],
    show: Annotated[bool, typer.Option(help="Print the resolved config, every default filled in.")] = False,
) -> None:
    """Check configs without importing TensorFlow; print every problem."""
    from dltrain.config import load_config

    problems = []
    for path in configs:
        try:
            cfg = load_config(path)
        except UserError as err:
            problems += err.problems
            continue
        if show:
            print(f"# {path}\n{cfg.to_yaml()}")
        else:
            print(f"ok {path}")
    if problems:
        raise UserError(problems)


def run(args: list[str] | None = None) -> int:
    """Runs one dltrain command in-process and returns its exit code.

    User errors print one line each (``error: FILE:LINE: KEY: message``) and
    give exit code 2; a training failure 1; an interrupt 130. Other
    exceptions are dltrain's bugs and keep their traceback.
    """
    try:
        result = app(args=args, standalone_mode=False, prog_name="dltrain")
    except UserError as err:
        for problem in err.problems:
            _err(f"error: {problem}")
        return EXIT_USER_ERROR
    except (KeyboardInterrupt, typer.Abort):
        _err("interrupted")
        return EXIT_INTERRUPTED
    except typer.Exit as exit_:
        return exit_.exit_code
    except typer.TyperException as err:  # usage errors: unknown command or option, missing argument
        err.show(file=sys.stderr)
        return EXIT_USER_ERROR
    return result if isinstance(result, int) else EXIT_OK


def main() -> None:
    """The console script."""
    if len(sys.argv) > 1 and sys.argv[1] in ("fit", "evaluate"):
        from dltrain.quiet import silence_native_stderr

        silence_native_stderr()  # before TensorFlow is imported: it prints while loading
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
