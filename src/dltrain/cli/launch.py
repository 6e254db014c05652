"""``dltrain launch --workers N CONFIG``: one multi-worker run in N local processes (see dltrain.distribute.launch)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from dltrain.cli.options import DEFAULT_RUNS_DIR, RunsDirOption, SetOption


def _checked_config(config: Optional[Path], overrides: list[str], resume: Optional[str], runs_dir: Path, workers: int):
    """The config the processes will train, checked for what multi_worker needs (no Keras imported)."""
    from dltrain import runs
    from dltrain.config import load_config
    from dltrain.distribute.checks import check_distribute
    from dltrain.distribute.environment import ProcessRole
    from dltrain.errors import UserError

    if config is None and resume is None:
        raise UserError("give a CONFIG to train, or --resume RUN")
    if config is None:
        cfg = load_config(runs.find_run(runs_dir, resume) / runs.CONFIG, overrides)
    else:
        cfg = load_config(config, [*overrides, "training.distribute=multi_worker"])
    if cfg.training.distribute != "multi_worker":
        raise cfg.error("the run was not a multi_worker run; resume it with dltrain fit --resume", "training",
                        "distribute")
    check_distribute(cfg, ProcessRole(workers, 0, "127.0.0.1:0"))


def launch(
    config: Annotated[Optional[Path], typer.Argument(help="The YAML config to train.", metavar="CONFIG")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Processes to start.")] = 2,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    overrides: SetOption = None,
    resume: Annotated[Optional[str], typer.Option(help="Continue this multi-worker run in N processes.",
                                                  metavar="RUN")] = None,
    smoke: Annotated[bool, typer.Option("--smoke", help="Quick check: 1 epoch of 2 batches.")] = False,
    synthetic: Annotated[bool, typer.Option("--synthetic", help="With --smoke: generated data.")] = False,
    stall_timeout: Annotated[float, typer.Option(help="Seconds without a completed step or a line of output "
                                                      "after which the processes are stopped as hung.")] = 600.0,
    grace: Annotated[float, typer.Option(help="Seconds between SIGTERM and SIGKILL when stopping them.")] = 10.0,
) -> int:
    """Train one config in N local processes (training.distribute: multi_worker, backend: jax); never hangs."""
    from dltrain.distribute.launch import launch as run_group

    _checked_config(config, overrides or [], resume, runs_dir, workers)
    args = [str(config)] if config is not None else ["--resume", str(resume)]
    args += ["--runs-dir", str(runs_dir)]
    for override in overrides or []:
        args += ["--set", override]
    if config is not None:
        args += ["--distribute", "multi_worker"]
    args += ["--smoke"] * smoke + ["--synthetic"] * synthetic
    outcome = run_group(workers, args, stall_timeout=stall_timeout, grace=grace)
    if outcome.message:
        print(f"error: launch: {outcome.message}; the other processes were stopped ({outcome.seconds:.1f} s)",
              file=sys.stderr, flush=True)
    return outcome.code
