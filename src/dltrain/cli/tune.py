"""``dltrain tune``: a hyperparameter search on Optuna, each trial an ordinary run."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Optional

import typer

from dltrain.cli.console import EXIT_FAILED, EXIT_OK, emit
from dltrain.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunsDirOption, SetOption
from dltrain.errors import UserError


def _seconds(text: str | None) -> float | None:
    from dltrain.config.search import duration_seconds

    try:
        return duration_seconds(text)
    except ValueError as err:
        raise UserError(f"--timeout: {err}") from None


def print_tune(result, console) -> None:
    """The study's outcome after its per-trial lines: counts, the best trial, where its files are."""
    c = result.counts
    console.print(f"study {result.study}: {result.done} of {result.target} trials done ({c['complete']} complete, "
                  f"{c['pruned']} pruned, {c['fail']} failed) in {result.seconds:.1f} s; stopped: {result.stopped}",
                  highlight=False, markup=False, soft_wrap=True)
    if result.best:
        console.print(f"best: trial {result.best['number']}, {result.metric} {result.best['value']:.4f}  "
                      f"(run {result.best['run_dir']})", highlight=False, markup=False, soft_wrap=True)
        for key, value in result.best["params"].items():
            console.print(f"  {key}: {value}", highlight=False, markup=False, soft_wrap=True)
    if result.best_config:
        console.print(f"best config: {result.best_config}  (train it: dltrain fit {result.best_config})",
                      highlight=False, markup=False, soft_wrap=True)
    console.print(f"report: {result.report}; trials: dltrain runs list --runs-dir {result.study_dir}",
                  highlight=False, markup=False, soft_wrap=True)


def tune(
    config: Annotated[Path, typer.Argument(help="A config with a search section.", metavar="CONFIG")],
    trials: Annotated[Optional[int], typer.Option(
        help="Trials the study should reach, completed and pruned (default: search.trials); "
             "a re-run continues the study up to it.")] = None,
    jobs: Annotated[int, typer.Option(help="Processes running trials at once, sharing the study's storage.")] = 1,
    study: Annotated[Optional[str], typer.Option(help="The study's name (default: the config's name).")] = None,
    storage: Annotated[Optional[str], typer.Option(
        help="An Optuna storage URL, e.g. postgresql://user:password@host/db to share a study between machines "
             "(default: study.db in the study directory).", metavar="URL")] = None,
    timeout: Annotated[Optional[str], typer.Option(
        help="A time budget: no trial starts after it (seconds, or 90s, 30m, 2h; default: search.timeout).")] = None,
    smoke: Annotated[bool, typer.Option("--smoke", help="A throwaway study of two trials in fit --smoke mode (CI), in a new folder each time.")] = False,
    synthetic: Annotated[bool, typer.Option("--synthetic", help="With --smoke: generated data of the dataset's shape.")] = False,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    overrides: SetOption = None,
    as_json: JsonOption = False,
) -> int:
    """Search hyperparameters with Optuna: each trial an ordinary run, grouped in a study directory."""
    from dltrain.tune import tune as run_tune

    if synthetic and not smoke:
        raise UserError("--synthetic only goes with --smoke: real trials never use generated data")
    result = run_tune(config, trials=trials, runs_dir=runs_dir, study=study, storage=storage, jobs=jobs, smoke=smoke,
                      synthetic=synthetic, timeout=_seconds(timeout), overrides=overrides or [], quiet=as_json)
    emit(result, as_json, partial(print_tune, result))
    return EXIT_OK if result.ok else EXIT_FAILED
