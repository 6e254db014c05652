"""What ``runs show`` and ``runs compare`` say about runs, as plain data."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from dltrain import runs
from dltrain.config import flatten
from dltrain.errors import UserError, format_key
from dltrain.report.plots import plot_curves


def run_details(run_dir: Path) -> dict:
    """Everything a run directory records, as JSON-ready data (``dltrain runs show``).

    Args:
        run_dir: the run directory.

    Returns:
        ``run`` (:class:`~dltrain.runs.RunInfo` as a dict), ``run_json``,
        ``metrics``, ``evaluation``, ``per_class``, ``environment`` (each None
        if the run has not written it), ``history`` (columns), ``config``
        (the saved YAML text) and ``files`` (paths relative to the run).

    Raises:
        UserError: one of the run's JSON files is damaged.
    """
    run_dir = Path(run_dir)
    files = sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*")
                   if p.is_file() and runs.STATE not in p.relative_to(run_dir).parts)
    return {
        "run": runs.run_info(run_dir).as_dict(),
        "run_json": runs.read_json_if_present(run_dir / runs.RUN),
        "metrics": runs.read_json_if_present(run_dir / runs.METRICS),
        "evaluation": runs.read_json_if_present(run_dir / runs.EVALUATION),
        "per_class": runs.read_json_if_present(run_dir / runs.PER_CLASS),
        "environment": runs.read_json_if_present(run_dir / runs.ENVIRONMENT),
        "history": runs.read_history(run_dir),
        "config": runs.read_text_if_present(run_dir / runs.CONFIG),
        "files": files,
    }


def _flat_config(run_dir: Path) -> dict:
    text = runs.read_text_if_present(run_dir / runs.CONFIG)
    try:
        data = yaml.safe_load(text) if text else {}
    except yaml.YAMLError:
        raise UserError("cannot read the saved config; the run directory is damaged",
                        file=str(run_dir / runs.CONFIG)) from None
    return {format_key(k): v for k, v in flatten(data if isinstance(data, dict) else {}).items()}


def _differences(configs: list[dict]) -> dict[str, list]:
    keys = sorted(set().union(*configs))
    # Compared as JSON so that 1 and 1.0, or [16] and (16,), count as the same value.
    return {k: [c.get(k) for c in configs] for k in keys
            if len({json.dumps(c.get(k), default=str) for c in configs}) > 1}


def default_comparison_png(paths: list[Path]) -> Path:
    """Where ``runs compare`` writes its curves unless told: beside the first run, named after the runs."""
    return Path(paths[0]).parent / f"compare-{'-vs-'.join(Path(p).name[:15] for p in paths)}.png"


def compare_runs(paths: list[Path], png: Path | None = None) -> dict:
    """Config differences, test metrics side by side, and overlaid learning curves.

    Args:
        paths: two or more run directories.
        png: where to write the overlaid curves (default: :func:`default_comparison_png`).

    Returns:
        ``runs`` (paths), ``config_differences`` (dotted key → one value per
        run), ``test`` (metric → one value per run, None where a run lacks
        it) and ``curves`` (the PNG written).

    Raises:
        UserError: fewer than two runs, or a damaged run file.
    """
    paths = [Path(p) for p in paths]
    if len(paths) < 2:
        raise UserError(f"runs compare needs at least two runs; received {len(paths)}")
    png = Path(png) if png is not None else default_comparison_png(paths)
    metrics = [runs.run_info(p).test for p in paths]
    names = sorted(set().union(*metrics))
    histories = {p.name: runs.read_history(p) for p in paths}
    png.parent.mkdir(parents=True, exist_ok=True)
    plot_curves({k: v for k, v in histories.items() if v}, png, title="comparison")
    return {"runs": [str(p) for p in paths], "config_differences": _differences([_flat_config(p) for p in paths]),
            "test": {name: [m.get(name) for m in metrics] for name in names}, "curves": str(png)}
