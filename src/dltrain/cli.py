"""The ``dltrain`` command: parses, calls the library, prints.

TensorFlow is imported only inside the commands that need it (``fit``,
``evaluate``, ``validate --build``), so ``dltrain --help`` and ``dltrain
validate`` stay fast. With ``--json`` a command prints one JSON document on
stdout and nothing else, errors included.

Exit codes, the same for every command: 0 success, 1 training failed (a
non-finite loss), 2 bad input (config, data, arguments), 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import glob
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from dltrain.errors import Interrupted, Problem, TrainingFailed, UserError

EXIT_OK, EXIT_FAILED, EXIT_USER_ERROR, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143

app = typer.Typer(
    help="Train Keras models from YAML config files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: importing rich's help renderer costs ~80 ms per call
)

SetOption = Annotated[
    Optional[list[str]],
    typer.Option("--set", help="Override a config value: KEY.PATH=VALUE (VALUE is YAML). Repeatable.",
                 metavar="KEY=VALUE"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")]


def _print_json(data: dict) -> None:
    print(json.dumps(data, indent=2, default=str))


def _problem_dict(problem: Problem) -> dict:
    return {"file": problem.file, "line": problem.line, "key": problem.key, "message": problem.message}


@app.command()
def fit(
    config: Annotated[Optional[Path], typer.Argument(help="The YAML config to train.", metavar="CONFIG")] = None,
    runs_dir: Annotated[Path, typer.Option(help="Where run directories are created.")] = Path("runs"),
    overrides: SetOption = None,
    resume: Annotated[Optional[Path], typer.Option(help="Continue this run from its last completed epoch, in place.",
                                                   metavar="RUN_DIR")] = None,
    force: Annotated[bool, typer.Option("--force", help="With --resume: accept a config that differs from the run's.")] = False,
    smoke: Annotated[bool, typer.Option("--smoke", help="Quick check: 1 epoch of 2 batches on a slice of the data.")] = False,
    synthetic: Annotated[bool, typer.Option("--synthetic", help="With --smoke: generated data of the dataset's shape.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Train the model a config describes; write a new run directory (or --resume one)."""
    from dltrain.config import load_config

    if synthetic and not smoke:
        raise UserError("--synthetic only goes with --smoke: real training never uses generated data")
    if config is None and resume is None:
        raise UserError("give a CONFIG to train, or --resume RUN_DIR")
    if resume is not None and smoke:
        raise UserError("--smoke runs are not resumed; run the smoke check again")
    if resume is not None and config is None:
        config = resume / "config.yaml"
        cfg = load_config(config, overrides) if overrides else None
    else:
        cfg = load_config(config, overrides or [])
    from dltrain import report, training

    result = training.fit(cfg, runs_dir=runs_dir, smoke=smoke, synthetic=synthetic, resume=resume, force=force,
                          verbose=0 if as_json else None)
    if as_json:
        _print_json(result.as_dict())
    else:
        report.print_table(report.fit_summary(result))


@app.command()
def evaluate(
    target: Annotated[Path, typer.Argument(help="A run directory or a .keras model file.", metavar="RUN_DIR|MODEL.keras")],
    config: Annotated[Optional[Path], typer.Option(help="Config describing the test data (default: the run's).")] = None,
    overrides: SetOption = None,
    unsafe: Annotated[bool, typer.Option(help="Allow models that contain code (Lambda layers).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Reload a trained model and report its test metrics."""
    from dltrain import report, training

    result = training.evaluate(target, config, unsafe=unsafe, overrides=overrides or [])
    if as_json:
        _print_json(result.as_dict())
    else:
        report.print_table(report.evaluation_summary(result))


@app.command()
def reproduce(
    run_dir: Annotated[Path, typer.Argument(help="A finished run directory.", metavar="RUN_DIR")],
    runs_dir: Annotated[Optional[Path], typer.Option(help="Where the new run goes (default: beside the old one).")] = None,
    as_json: JsonOption = False,
) -> int:
    """Re-run a finished run's saved config and check its test metrics match."""
    from dltrain import report, training

    result = training.reproduce(run_dir, runs_dir, verbose=0 if as_json else None)
    if as_json:
        _print_json(result.as_dict())
    else:
        report.print_table(report.reproduce_summary(result))
    return EXIT_OK if result.matches else EXIT_FAILED


@app.command("report")
def report_command(
    run: Annotated[str, typer.Argument(help="A run directory or a unique prefix of its id.", metavar="RUN")],
    runs_dir: Annotated[Path, typer.Option(help="Where to look for run ids.")] = Path("runs"),
) -> None:
    """(Re)write a run's plots, per-class scores and HTML report."""
    from dltrain import report, runs

    for path in report.write_run_report(runs.find_run(runs_dir, run)):
        print(path)


runs_app = typer.Typer(help="Find, inspect, compare and clean runs.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(runs_app, name="runs")
RunsDir = Annotated[Path, typer.Option(help="The runs directory.")]


@runs_app.command("list")
def runs_list(
    runs_dir: RunsDir = Path("runs"),
    name: Annotated[Optional[str], typer.Option(help="Only configs whose name contains this.")] = None,
    status: Annotated[Optional[str], typer.Option(help="Only this status: running, completed, failed, interrupted, killed.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List runs, newest first."""
    from dltrain import report, runs

    infos = runs.list_runs(runs_dir, name, status)
    if as_json:
        _print_json({"status": "ok", "runs": [i.as_dict() for i in infos]})
    else:
        report.print_table(report.runs_table(infos, runs_dir))


@runs_app.command("show")
def runs_show(
    run: Annotated[str, typer.Argument(help="A run directory or a unique prefix of its id.", metavar="RUN")],
    runs_dir: RunsDir = Path("runs"),
    as_json: JsonOption = False,
) -> None:
    """Everything about one run."""
    from dltrain import report, runs

    details = report.run_details(runs.find_run(runs_dir, run))
    if as_json:
        _print_json({"status": "ok", **details})
    else:
        report.print_run_details(details)


@runs_app.command("compare")
def runs_compare(
    run_refs: Annotated[list[str], typer.Argument(help="Two or more runs (directories or id prefixes).", metavar="RUN...")],
    runs_dir: RunsDir = Path("runs"),
    out: Annotated[Optional[Path], typer.Option(help="Where to write the overlaid learning curves (PNG).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Config differences, test metrics side by side, and overlaid learning curves."""
    from dltrain import report, runs

    if len(run_refs) < 2:
        raise UserError("runs compare needs at least two runs")
    paths = [runs.find_run(runs_dir, ref) for ref in run_refs]
    comparison = report.compare_runs(paths, out or Path(runs_dir) / f"compare-{'-vs-'.join(p.name[:15] for p in paths)}.png")
    if as_json:
        _print_json({"status": "ok", **comparison})
    else:
        report.print_comparison(comparison)


@runs_app.command("clean")
def runs_clean(
    runs_dir: RunsDir = Path("runs"),
    smoke: Annotated[bool, typer.Option("--smoke", help="Remove smoke runs.")] = False,
    failed: Annotated[bool, typer.Option("--failed", help="Remove failed (and killed) runs.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
) -> None:
    """Remove smoke runs and/or failed runs."""
    from dltrain import runs

    if not (smoke or failed):
        raise UserError("say what to remove: --smoke, --failed, or both")
    doomed = runs.runs_to_clean(runs_dir, smoke, failed)
    if not doomed:
        print("nothing to remove")
        return
    for info in doomed:
        print(f"  {info.id}  ({'smoke' if info.smoke else info.status})")
    if not yes and not typer.confirm(f"remove these {len(doomed)} run directories?", default=False):
        print("nothing removed")
        return
    for info in doomed:
        runs.remove_run(info)
    print(f"removed {len(doomed)} runs")


def expand_config_paths(args: list[Path]) -> list[Path]:
    """Config files named by paths, directories (searched for *.yaml/*.yml) and globs."""
    found: list[Path] = []
    for arg in args:
        if arg.is_dir():
            found += sorted(p for p in arg.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        elif not arg.exists() and glob.has_magic(str(arg)):
            matches = sorted(Path(m) for m in glob.glob(str(arg), recursive=True))
            if not matches:
                raise UserError(f"no config matches {arg}")
            found += matches
        else:
            found.append(arg)
    if not found:
        raise UserError(f"no .yaml configs in {', '.join(map(str, args))}")
    return found


@app.command()
def validate(
    configs: Annotated[list[Path], typer.Argument(help="Config files, directories or globs.", metavar="CONFIG")],
    overrides: SetOption = None,
    show: Annotated[bool, typer.Option("--show", help="Print the resolved config, every default filled in.")] = False,
    origin: Annotated[bool, typer.Option("--origin", help="With --show: where each value came from.")] = False,
    build: Annotated[bool, typer.Option("--build", help="Also build the model with Keras (no data loaded).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Check configs (without TensorFlow unless --build); report every problem."""
    from dltrain import report
    from dltrain.config import load_config

    problems: list[Problem] = []
    checked: list[dict] = []
    for path in expand_config_paths(configs):
        entry: dict = {"path": str(path), "ok": False}
        checked.append(entry)
        try:
            cfg = load_config(path, overrides or [])
            if build:
                from dltrain import training

                model = training.check_build(cfg)
                entry.update(parameters=model.count_params(), layers=report.layer_rows(model))
        except UserError as err:
            problems += err.problems
            entry["errors"] = [_problem_dict(p) for p in err.problems]
            continue
        entry.update(ok=True, config=cfg.resolved())
        if as_json:
            continue
        if show:
            print(f"# {path}")
            print(report.config_with_origins(cfg) if origin else cfg.to_yaml())
        else:
            print(f"ok {path}")
        if build:
            print(report.layer_table_text(model))
    if as_json:
        _print_json({"status": "error" if problems else "ok", "configs": checked,
                     "errors": [_problem_dict(p) for p in problems]})
        raise typer.Exit(EXIT_USER_ERROR if problems else EXIT_OK)
    if problems:
        raise UserError(problems)


def run(args: list[str] | None = None) -> int:
    """Runs one dltrain command in-process and returns its exit code.

    User errors print one line each (``error: FILE:LINE: KEY: message``), or
    a JSON document with ``--json``. Other exceptions are dltrain's bugs and
    keep their traceback.
    """
    args = list(sys.argv[1:] if args is None else args)
    as_json = "--json" in args
    try:
        result = app(args=args, standalone_mode=False, prog_name="dltrain")
    except UserError as err:
        if as_json:
            _print_json({"status": "error", "errors": [_problem_dict(p) for p in err.problems]})
        else:
            for problem in err.problems:
                print(f"error: {problem}", file=sys.stderr, flush=True)
        return EXIT_USER_ERROR
    except TrainingFailed as err:
        _print_json({"status": "failed", "error": str(err)}) if as_json else print(
            f"training failed: {err}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    except Interrupted as err:
        hint = f"dltrain fit --resume {err.run_dir}"
        if as_json:
            _print_json({"status": "interrupted", "signal": err.signal_name, "run_dir": str(err.run_dir), "resume": hint})
        else:
            print(f"interrupted ({err.signal_name}); the state of the last complete epoch is saved. Resume with:\n"
                  f"  {hint}", file=sys.stderr, flush=True)
        return EXIT_TERMINATED if err.signal_name == "SIGTERM" else EXIT_INTERRUPTED
    except (KeyboardInterrupt, typer.Abort):
        _print_json({"status": "interrupted"}) if as_json else print("interrupted", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except typer.Exit as exit_:
        return exit_.exit_code
    except typer.TyperException as err:  # usage errors: unknown command or option, missing argument
        err.show(file=sys.stderr)
        return EXIT_USER_ERROR
    return result if isinstance(result, int) else EXIT_OK


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so training stops the same way."""

    signal_name = "SIGTERM"


def _raise_terminated(signum, frame):
    raise Terminated()


def main() -> None:
    """The console script."""
    import signal

    signal.signal(signal.SIGTERM, _raise_terminated)
    args = sys.argv[1:]
    if args[:1] in (["fit"], ["evaluate"], ["reproduce"]) or "--build" in args:
        from dltrain.quiet import silence_native_stderr

        silence_native_stderr()  # before TensorFlow is imported: it prints while loading
    sys.exit(run(args))


if __name__ == "__main__":
    main()
