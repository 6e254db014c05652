"""One self-contained HTML page about a run: images embedded, no network needed."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from dltrain import runs

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em;"
    "text-align:left}img{max-width:100%}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}"
    ".status-completed b{color:#1a7f37}.status-failed b,.status-interrupted b,.status-killed b{color:#cf222e}"
)
# Lets a headless browser test report whether every image decoded.
_SCRIPT = (
    "window.addEventListener('load',function(){var i=[].slice.call(document.images);"
    "document.body.setAttribute('data-images-loaded',i.filter(function(x){return x.naturalWidth>0}).length);"
    "document.body.setAttribute('data-images',i.length);});"
)


def _esc(value) -> str:
    return html.escape(str(value))


def _fmt(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _cell(value) -> str:
    return _esc(json.dumps(value) if isinstance(value, (dict, list)) else _fmt(value))


def _img(path: Path, alt: str) -> str:
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{_esc(alt)}">'


def _kv_table(data: dict, cls: str) -> str:
    rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_cell(v)}</td></tr>" for k, v in data.items())
    return f'<table class="{cls}">{rows}</table>'


def _status_section(status: dict) -> str:
    state = _esc(status.get("status", "unknown"))
    reason = f" — {_esc(status['reason'])}" if status.get("reason") else ""
    return (f'<p class="status status-{state}">status: <b id="status">{state}</b>{reason}; '
            f'started {_esc(status.get("started"))}, {_esc(status.get("duration_seconds"))} s</p>')


def _metrics_section(metrics: dict) -> str:
    best = metrics.get("best") if isinstance(metrics.get("best"), dict) else {}
    section = "<h2>Test metrics</h2><p>final model (model.keras)</p>" + _kv_table(metrics.get("test") or {}, "metrics")
    epoch = f", epoch {_esc(best['epoch'])}" if best.get("epoch") is not None else ""
    if isinstance(best.get("test"), dict):
        section += f"<p>best checkpoint (best.keras{epoch})</p>" + _kv_table(best["test"], "metrics-best")
    if best.get("value") is not None:
        section += f'<p>best {_esc(best.get("monitor"))}: {_esc(_fmt(best["value"]))}{epoch}</p>'
    return section


def _per_class_section(per_class: dict) -> str:
    head = "<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"
    body = "".join(
        f"<tr><th>{_esc(name)}</th><td>{s['precision']:.4f}</td><td>{s['recall']:.4f}</td>"
        f"<td>{s['f1-score']:.4f}</td><td>{int(s['support'])}</td></tr>"
        for name, s in per_class.items() if isinstance(s, dict))  # the classes, then macro and weighted averages
    return (f'<h2>Per class</h2><table class="per-class">{head}{body}</table>'
            f'<p>accuracy {per_class.get("accuracy", 0):.4f}</p>')


def html_report(run_dir: Path, per_class: dict | None = None) -> str:
    """One self-contained HTML page about a run.

    Args:
        run_dir: the run directory; its plots must already be written.
        per_class: :func:`~dltrain.report.per_class_scores` of its test predictions, if any.

    Returns:
        The page, images embedded as data URLs.

    Raises:
        UserError: one of the run's JSON files is damaged.
    """
    run_dir = Path(run_dir)
    status = runs.read_json_if_present(run_dir / runs.RUN) or {}
    metrics = runs.read_json_if_present(run_dir / runs.METRICS) or {}
    environment = runs.read_json_if_present(run_dir / runs.ENVIRONMENT) or {}
    sections = [f"<h1>{_esc(run_dir.name)}</h1>", _status_section(status), _metrics_section(metrics),
                "<h2>Learning curves</h2>" + _img(run_dir / runs.CURVES, "learning curves")]
    if (run_dir / runs.REGRESSION_PLOT).is_file():
        sections.append("<h2>Predictions</h2>" + _img(run_dir / runs.REGRESSION_PLOT, "predicted vs true and residuals"))
    if (run_dir / runs.BINARY_CURVES).is_file():
        sections.append("<h2>ROC and precision-recall</h2>" + _img(run_dir / runs.BINARY_CURVES, "ROC and PR curves"))
    if (run_dir / runs.CONFUSION).is_file():
        sections.append("<h2>Confusion matrix</h2>" + _img(run_dir / runs.CONFUSION, "confusion matrix"))
    if per_class:
        sections.append(_per_class_section(per_class))
    sections += [
        f"<h2>Config</h2><pre>{_esc(runs.read_text_if_present(run_dir / runs.CONFIG))}</pre>",
        f"<h2>Model</h2><pre>{_esc(runs.read_text_if_present(run_dir / runs.SUMMARY))}</pre>",
        "<h2>Environment</h2>" + _kv_table(environment, "environment"),
    ]
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>dltrain run {_esc(run_dir.name)}'
            f"</title><style>{_STYLE}</style></head><body>{''.join(sections)}<script>{_SCRIPT}</script></body></html>\n")
