"""The study directory's files, written from the Optuna study: the trials table, the best config, the report.

==================== =============================================================
``study.db``         the Optuna storage (SQLite; absent with ``--storage URL``)
``study.json``       the study: name, storage, objective, counts, best trial, Optuna version, sampler sessions
``trials.csv``       one row per trial: number, state, value, seconds, epochs, parameters, test metrics, run
``best.yaml``        the best trial's config, ready for ``dltrain fit`` (no ``search`` section)
``*.png``            Optuna's plots: history, importances, parallel coordinates or slices, epoch values
``report.html``      all of it in one self-contained page
``<run dirs>``       one ordinary run directory per trial (``dltrain runs list --runs-dir STUDY_DIR``)
==================== =============================================================
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
from pathlib import Path

import yaml

from dltrain import runs
from dltrain.config import load_config
from dltrain.config.search import SearchConfig
from dltrain.tune import space as spaces

STUDY_JSON, TRIALS_CSV, BEST_CONFIG, REPORT = "study.json", "trials.csv", "best.yaml", "report.html"


def _number(value) -> float | None:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def trial_rows(study, search: SearchConfig) -> list[dict]:
    """One row per trial, in trial order: what ``trials.csv`` and the report show."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        attrs = trial.user_attrs
        row = {"number": trial.number, "state": trial.state.name.lower(), "value": _number(trial.value),
               "seconds": round(trial.duration.total_seconds(), 1) if trial.duration else None,
               "epochs": attrs.get("epochs"), "pruned_epoch": attrs.get("pruned_epoch")}
        row.update({f"param {k}": v for k, v in spaces.config_values(search, trial.params).items()})
        row.update({f"test {k}": _number(v) for k, v in (attrs.get("test") or {}).items()})
        row.update({"run_dir": attrs.get("run_dir"), "fail_reason": attrs.get("fail_reason")})
        rows.append(row)
    return rows


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return str(value)


def write_table(path: Path, rows: list[dict]) -> None:
    """``trials.csv``: the union of the rows' columns, in first-seen order."""
    columns = list(dict.fromkeys(key for row in rows for key in row)) or ["number", "state", "value"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    runs.write_text(path, out.getvalue())


def best_trial(study):
    """The best completed trial, or None."""
    try:
        return study.best_trial
    except ValueError:  # Optuna: no completed trial
        return None


def write_best_config(path: Path, study, name: str) -> Path | None:
    """``best.yaml``: the best trial's run config (every value resolved), named as the study's config, without search.

    Returns:
        The path written, or None when no trial completed (or its run is gone).
    """
    trial = best_trial(study)
    run_dir = Path(trial.user_attrs.get("run_dir", "")) if trial else None
    if run_dir is None or not (run_dir / runs.CONFIG).is_file():
        return None
    resolved = load_config(run_dir / runs.CONFIG).resolved()
    resolved.pop("search", None)
    resolved["name"] = name
    values = "\n".join(f"#   {k}: {_cell(v)}" for k, v in trial.params.items())
    header = (f"# The best trial of study {study.study_name}: trial {trial.number}, value {trial.value:.6g}\n"
              f"# (its run: {run_dir}). Its searched values:\n{values}\n"
              f"# Train it: dltrain fit {path}\n")
    runs.write_text(path, header + yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True))
    return path


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<h3>{html.escape(path.stem)}</h3><img src="data:image/png;base64,{data}" alt="{html.escape(path.stem)}">'


def _html_table(rows: list[dict]) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row if key != "fail_reason"))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(row.get(c)))}</td>" for c in columns) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def write_html(path: Path, summary: dict, rows: list[dict], plots: list[Path]) -> None:
    """``report.html``: the study's facts, its plots (embedded) and its trials, in one self-contained page."""
    style = ("body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ccc;padding:.2em .5em}"
             "img{max-width:100%}pre{background:#f6f6f6;padding:1em}")
    facts = yaml.safe_dump({k: v for k, v in summary.items() if k != "sessions"}, sort_keys=False)
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>study {html.escape(summary['study'])}"
            f"</title><style>{style}</style></head><body><h1>Study {html.escape(summary['study'])}</h1>"
            f"<pre>{html.escape(facts)}</pre><h2>Plots</h2>{''.join(_img(p) for p in plots)}"
            f"<h2>Trials</h2>{_html_table(rows)}</body></html>")
    runs.write_text(path, page)
