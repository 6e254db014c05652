"""``dltrain runs ...`` (list, show, compare, clean) and ``dltrain report``: looking at runs."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Optional

import typer

from dltrain.cli.console import emit
from dltrain.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunArgument, RunsDirOption

runs_app = typer.Typer(help="Find, inspect, compare and clean runs.", no_args_is_help=True, rich_markup_mode=None)


def report(run: RunArgument, runs_dir: RunsDirOption = DEFAULT_RUNS_DIR, as_json: JsonOption = False) -> None:
    """(Re)write a run's plots, per-class scores and HTML report."""
    from dltrain import report as run_report
    from dltrain import runs

    written = run_report.write_run_report(runs.find_run(runs_dir, run))
    emit({"status": "ok", "written": [str(p) for p in written]}, as_json,
         lambda console: print(*written, sep="\n"))


@runs_app.command("list")
def list_runs(
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    name: Annotated[Optional[str], typer.Option(help="Only configs whose name contains this.")] = None,
    status: Annotated[Optional[str], typer.Option(
        help="Only this status: running, completed, failed, interrupted, killed, damaged.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List runs, newest first."""
    from dltrain import runs
    from dltrain.cli import tables

    infos = runs.list_runs(runs_dir, name, status)
    emit({"status": "ok", "runs": [i.as_dict() for i in infos]}, as_json, partial(tables.print_runs, infos, runs_dir))


@runs_app.command("show")
def show(run: RunArgument, runs_dir: RunsDirOption = DEFAULT_RUNS_DIR, as_json: JsonOption = False) -> None:
    """Everything about one run."""
    from dltrain import report, runs
    from dltrain.cli import tables

    details = report.run_details(runs.find_run(runs_dir, run))
    emit({"status": "ok", **details}, as_json, partial(tables.print_run_details, details))


@runs_app.command("compare")
def compare(
    run_refs: Annotated[list[str], typer.Argument(
        help="Two or more runs (directories, ids or unique id prefixes).", metavar="RUN...")],
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    out: Annotated[Optional[Path], typer.Option(
        help="Where to write the overlaid learning curves (PNG; default: in the runs directory).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Config differences, test metrics side by side, and overlaid learning curves."""
    from dltrain import report, runs
    from dltrain.cli import tables

    comparison = report.compare_runs([runs.find_run(runs_dir, ref) for ref in run_refs], out)
    emit({"status": "ok", **comparison}, as_json, partial(tables.print_comparison, comparison))


@runs_app.command("clean")
def clean(
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    smoke: Annotated[bool, typer.Option("--smoke", help="Remove smoke runs.")] = False,
    failed: Annotated[bool, typer.Option("--failed", help="Remove failed (and killed) runs.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
) -> None:
    """Remove smoke runs and/or failed runs."""
    from dltrain import runs

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
