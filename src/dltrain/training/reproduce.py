"""``reproduce``: re-run a finished run's saved config and compare the test metrics."""

from __future__ import annotations

from pathlib import Path

from dltrain import runs
from dltrain.config import load_config
from dltrain.errors import UserError
from dltrain.training.fit import fit
from dltrain.training.results import REPRODUCE_TOLERANCE, ReproduceResult


def reproduce(run: str | Path, runs_dir: str | Path = "runs", verbose: int | None = None) -> ReproduceResult:
    """Re-runs a finished run's saved config in a new run directory and compares.

    With ``training.deterministic`` the test metrics must match exactly;
    otherwise within :data:`REPRODUCE_TOLERANCE`.

    Args:
        run: a finished run: directory, id or unique id prefix (looked up in ``runs_dir``).
        runs_dir: where the re-run's directory is created.
        verbose: as for :func:`fit`.

    Raises:
        UserError: the run is not a finished run.
    """
    run_dir = runs.find_run(runs_dir, run)
    metrics = runs.read_json_if_present(run_dir / runs.METRICS)
    if metrics is None or not (run_dir / runs.CONFIG).is_file():
        raise UserError("not a finished run (no metrics.json or config.yaml); give a run `dltrain fit` completed",
                        file=str(run_dir))
    config = load_config(run_dir / runs.CONFIG)
    rerun = fit(config, runs_dir=runs_dir, verbose=verbose)
    tolerance = 0.0 if config.training.deterministic else REPRODUCE_TOLERANCE
    return ReproduceResult(run_dir, rerun, metrics.get("test") or {}, tolerance)
