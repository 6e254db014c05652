"""``dltrain fit``, ``evaluate`` and ``reproduce``: the commands that load TensorFlow."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Optional

import typer

from dltrain.cli.console import EXIT_FAILED, EXIT_OK, emit, stage
from dltrain.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunArgument, RunsDirOption, SetOption

LOADING = "loading TensorFlow"


def fit(
    config: Annotated[Optional[Path], typer.Argument(help="The YAML config to train.", metavar="CONFIG")] = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    overrides: SetOption = None,
    resume: Annotated[Optional[str], typer.Option(
        help="Continue this run (a directory, id or unique id prefix) from its last completed epoch, in place.",
        metavar="RUN")] = None,
    force: Annotated[bool, typer.Option("--force", help="With --resume: accept a config that differs from the run's.")] = False,
    smoke: Annotated[bool, typer.Option("--smoke", help="Quick check: 1 epoch of 2 batches on a slice of the data.")] = False,
    synthetic: Annotated[bool, typer.Option("--synthetic", help="With --smoke: generated data of the dataset's shape.")] = False,
    distribute: Annotated[Optional[str], typer.Option(
        help="none, mirrored or multi_worker: the config's training.distribute, for this run.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Train the model a config describes; write a new run directory (or --resume one)."""
    if distribute is not None:
        overrides = [*(overrides or []), f"training.distribute={distribute}"]
    from dltrain.cli import tables

    from dltrain.config import load_config

    from dltrain.backend import backend_of_run, resolve_backend, use_backend

    cfg = load_config(config, overrides or []) if config is not None else None
    # Keras reads KERAS_BACKEND once, at its import: choose it from the config first.
    use_backend(resolve_backend(cfg) if cfg is not None else backend_of_run(runs_dir, resume))
    stage(LOADING, as_json)
    from dltrain import training

    result = training.fit(cfg, runs_dir=runs_dir, smoke=smoke, synthetic=synthetic, resume=resume, force=force,
                          verbose=0 if as_json else None, overrides=(overrides or []) if cfg is None else ())
    emit(result, as_json, partial(tables.print_fit, result))


def evaluate(
    target: Annotated[str, typer.Argument(
        help="A run (directory, id or unique id prefix) or a .keras model file.", metavar="RUN|MODEL.keras")],
    config: Annotated[Optional[Path], typer.Option(help="Config describing the test data (default: the run's).")] = None,
    overrides: SetOption = None,
    unsafe: Annotated[bool, typer.Option(help="Allow models that contain code (Lambda layers).")] = False,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Reload a trained model and report its test metrics."""
    from dltrain.backend import backend_of_run, use_backend
    from dltrain.cli import tables

    if not target.endswith(".keras"):
        use_backend(backend_of_run(runs_dir, target))  # a run is scored on the backend it trained on
    stage(LOADING, as_json)
    from dltrain import training

    result = training.evaluate(target, config, unsafe=unsafe, overrides=overrides or [], runs_dir=runs_dir)
    emit(result, as_json, partial(tables.print_evaluation, result))


def reproduce(
    run: RunArgument,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> int:
    """Re-run a finished run's saved config (into --runs-dir) and check its test metrics match."""
    from dltrain.cli import tables

    stage(LOADING, as_json)
    from dltrain import training

    result = training.reproduce(run, runs_dir=runs_dir, verbose=0 if as_json else None)
    emit(result, as_json, partial(tables.print_reproduce, result))
    return EXIT_OK if result.matches else EXIT_FAILED
