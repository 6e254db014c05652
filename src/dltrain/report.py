"""What the user reads at the end of a command: short tables (rich)."""

from __future__ import annotations

import base64
import csv
import html
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from rich.console import Console
from rich.table import Table

from dltrain.config import flatten
from dltrain.errors import format_key

if TYPE_CHECKING:  # the report needs no TensorFlow
    from dltrain.training import EvalResult, FitResult


def _fmt(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def fit_summary(result: FitResult) -> Table:
    """The end-of-fit table: run directory, epochs, best checkpoint, test metrics."""
    table = Table(title="dltrain fit", show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")  # a run path is never cut short: users copy it
    table.add_row("run", str(result.run_dir))
    table.add_row("epochs", f"{result.epochs_run} in {result.seconds:.1f} s")
    table.add_row("parameters", f"{result.parameters:,}")
    if result.best_value is not None:
        table.add_row("best " + result.monitor, _fmt(result.best_value))
    for name, value in result.test_metrics.items():
        table.add_row("test " + name, _fmt(value))
    return table


def evaluation_summary(result: EvalResult) -> Table:
    """The table `dltrain evaluate` prints, beside what `fit` measured if known."""
    table = Table(title="dltrain evaluate", title_justify="left", caption_justify="left")
    table.add_column("metric", style="bold", overflow="fold")
    table.add_column("test")
    if result.fit_metrics:
        table.add_column("at fit")
    for name, value in result.metrics.items():
        row = [name, _fmt(value)]
        if result.fit_metrics:
            row.append(_fmt(result.fit_metrics.get(name, "")))
        table.add_row(*row)
    table.caption = f"model {result.model_path}\nwritten to {result.written_to}"
    return table


def reproduce_summary(result) -> Table:
    """Original and re-run test metrics side by side, with the verdict."""
    table = Table(title="dltrain reproduce", title_justify="left", caption_justify="left")
    table.add_column("metric", style="bold")
    table.add_column("original")
    table.add_column("re-run")
    for name, value in result.original_metrics.items():
        table.add_row(name, _fmt(value), _fmt(result.rerun.test_metrics.get(name, "")))
    exact = "exactly (deterministic)" if result.tolerance == 0 else f"within {result.tolerance}"
    verdict = "reproduced" if result.matches else "NOT reproduced"
    table.caption = f"{verdict}: metrics must agree {exact}\nre-run in {result.rerun.run_dir}"
    return table


def _duration(seconds) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(float(seconds), 60)
    return f"{int(minutes)}m{secs:04.1f}s" if minutes else f"{secs:.1f}s"


def _test_metric(test: dict) -> str:
    for name, value in test.items():
        if name != "loss":
            return f"{name} {_fmt(value)}"
    return f"loss {_fmt(test['loss'])}" if "loss" in test else "-"


def runs_table(infos, runs_dir) -> Table:
    """``dltrain runs list``: one row per run, newest first."""
    table = Table(title=f"runs in {runs_dir}", title_justify="left")
    for column in ("id", "config", "status", "epochs", "best", "test", "duration", "started"):
        table.add_column(column, overflow="fold")
    for i in infos:
        status = i.status + (" (smoke)" if i.smoke else "")
        epochs = f"{i.epochs_done}/{i.epochs}" if i.epochs else str(i.epochs_done)
        best = f"{i.best_monitor} {_fmt(i.best_value)}" if i.best_value is not None else "-"
        table.add_row(i.id, i.name, status, epochs, best, _test_metric(i.test), _duration(i.duration_seconds),
                      (i.started or "-")[:19].replace("T", " "))
    if not infos:
        table.caption = "no runs yet: dltrain fit CONFIG"
    return table


def run_details(run_dir: Path) -> dict:
    """Everything a run directory records, as data (``dltrain runs show``)."""
    from dltrain import runs

    info = runs.run_info(run_dir)
    def load(name):
        path = run_dir / name
        return runs.read_json(path) if path.is_file() else None
    return {
        "run": info.as_dict(),
        "run_json": load(runs.RUN),
        "metrics": load(runs.METRICS),
        "evaluation": load(runs.EVALUATION),
        "per_class": load(runs.PER_CLASS),
        "environment": load(runs.ENVIRONMENT),
        "history": read_history(run_dir / runs.HISTORY),
        "config": _read(run_dir / runs.CONFIG),
        "files": sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if p.is_file() and "state" not in p.parts),
    }


def print_run_details(details: dict, console: Console | None = None) -> None:
    """Prints ``runs show``'s view of a run."""
    console = console or _console()
    info = details["run"]
    console.print(f"[bold]{info['id']}[/bold]  {info['path']}")
    console.print(f"config {info['name']}, status {info['status']}"
                  + (f" ({info['reason']})" if info.get("reason") else "")
                  + f", {info['epochs_done']}/{info['epochs']} epochs, {_duration(info['duration_seconds'])}, started {info['started']}")
    if details["metrics"]:
        console.print("test: " + ", ".join(f"{k} {_fmt(v)}" for k, v in details["metrics"]["test"].items()))
        best = details["metrics"].get("best") or {}
        if best.get("value") is not None:
            console.print(f"best {best['monitor']}: {_fmt(best['value'])}")
    history = details["history"]
    if history:
        table = Table(title="history", title_justify="left")
        for column in history:
            table.add_column(column)
        for row in zip(*history.values()):
            table.add_row(*[f"{v:.4g}" for v in row])
        console.print(table)
    if details["per_class"]:
        console.print(f"per class: {len([k for k, v in details['per_class'].items() if isinstance(v, dict)]) - 2} classes, "
                      f"macro F1 {details['per_class']['macro avg']['f1-score']:.4f}")
    env = details["environment"] or {}
    console.print(f"environment: dltrain {env.get('dltrain')}, TensorFlow {env.get('tensorflow')}, Keras {env.get('keras')}, "
                  f"Python {env.get('python')}, seed {env.get('seed')}, git {((env.get('git') or {}).get('commit') or '-')[:12]}")
    console.print("files: " + ", ".join(details["files"]))
    console.print("[bold]config[/bold]")
    console.print(details["config"], markup=False, highlight=False)


def compare_runs(paths: list[Path], png: Path) -> dict:
    """Config differences, test metrics side by side, and overlaid curves written to ``png``."""
    from dltrain import runs

    configs = []
    for path in paths:
        text = _read(path / runs.CONFIG)
        configs.append({format_key(k): v for k, v in flatten(yaml.safe_load(text) or {}).items()} if text else {})
    keys = sorted(set().union(*configs))
    differences = {k: [c.get(k) for c in configs] for k in keys if len({json.dumps(c.get(k), default=str) for c in configs}) > 1}
    metrics = [runs.run_info(p).test for p in paths]
    names = sorted(set().union(*metrics))
    histories = {p.name: read_history(p / runs.HISTORY) for p in paths}
    png.parent.mkdir(parents=True, exist_ok=True)
    plot_curves({k: v for k, v in histories.items() if v}, png, title="comparison")
    return {"runs": [str(p) for p in paths], "config_differences": differences,
            "test": {name: [m.get(name) for m in metrics] for name in names}, "curves": str(png)}


def print_comparison(comparison: dict, console: Console | None = None) -> None:
    """Prints ``runs compare``."""
    console = console or _console()
    ids = [Path(p).name for p in comparison["runs"]]
    table = Table(title="config differences", title_justify="left")
    table.add_column("key", overflow="fold")
    for run_id in ids:
        table.add_column(run_id, overflow="fold")
    for key, values in comparison["config_differences"].items():
        table.add_row(key, *[json.dumps(v, default=str) for v in values])
    if not comparison["config_differences"]:
        table.caption = "the configs are the same"
    console.print(table)
    metrics = Table(title="test metrics", title_justify="left")
    metrics.add_column("metric")
    for run_id in ids:
        metrics.add_column(run_id, overflow="fold")
    for name, values in comparison["test"].items():
        metrics.add_row(name, *[_fmt(v) if v is not None else "-" for v in values])
    console.print(metrics)
    console.print(f"learning curves: {comparison['curves']}")


def _console() -> Console:
    # Piped into a file or a CI log, rich would assume 80 columns and fold run ids.
    return Console() if sys.stdout.isatty() else Console(width=160)


def print_table(table: Table, console: Console | None = None) -> None:
    """Prints a table to the terminal."""
    (console or _console()).print(table)


def layer_rows(model) -> list[dict]:
    """Each layer's name, class, output shape and parameter count."""
    return [
        {"name": layer.name, "class": type(layer).__name__, "output_shape": list(layer.output.shape),
         "parameters": layer.count_params()}
        for layer in model.layers
    ]


def layer_table_text(model) -> str:
    """The layer table and parameter count, as plain text."""
    rows = layer_rows(model)
    lines = [f"{'layer':<28} {'output shape':<22} {'parameters':>12}"]
    for row in rows:
        shape = "(" + ", ".join("None" if d is None else str(d) for d in row["output_shape"]) + ")"
        lines.append(f"{row['name'] + ' (' + row['class'] + ')':<28} {shape:<22} {row['parameters']:>12,}")
    lines.append(f"total parameters: {model.count_params():,}")
    return "\n".join(lines) + "\n"


def _origin_text(origin) -> str:
    file, line = origin
    return f"{file}:{line}" if line else str(file)


def config_with_origins(config) -> str:
    """The resolved config as YAML with, beside each value, where it came from.

    Origins are the file and line that set it (a base config's too), the
    ``--set`` that gave it, or ``default``.
    """
    out: list[str] = []

    def inline(value) -> str:
        return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()

    def emit(data: dict, path: tuple, indent: int) -> None:
        for key, value in data.items():
            here = path + (key,)
            pad = "  " * indent
            if isinstance(value, dict) and value and not _is_keras_object(here, value):
                out.append(f"{pad}{key}:")
                emit(value, here, indent + 1)
                continue
            if isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
                out.append(f"{pad}{key}:{'':<1}")
                for i, item in enumerate(value):
                    out.append(_with_origin(f"{pad}  - {inline(item)}", config.origins.get(here + (i,)) or
                                            config.origins.get(here)))
                continue
            origin = config.origins.get(here) or (("the file's name", None) if here == ("name",) else None)
            out.append(_with_origin(f"{pad}{key}: {inline(value)}", origin))

    emit(config.resolved(), (), 0)
    return "\n".join(out) + "\n"


def _is_keras_object(path: tuple, value: dict) -> bool:
    return path in (("loss",), ("optimizer",)) and len(value) == 1


def _with_origin(text: str, origin) -> str:
    return f"{text:<48} # {_origin_text(origin) if origin else 'default'}"


# --------------------------------------------------------------------------- run reports (plots, HTML)


def read_history(path: Path) -> dict[str, list[float]]:
    """history.csv as columns of floats (empty cells become NaN)."""
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    return {k: [float(r[k]) if r[k] not in ("", None) else float("nan") for r in rows] for k in rows[0]}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on servers and CI
    import matplotlib.pyplot as plt

    return plt


def _metric_names(history: dict[str, list[float]]) -> list[str]:
    skip = {"epoch", "learning_rate", "epoch_seconds"}
    return [k for k in history if not k.startswith("val_") and k not in skip]


def plot_curves(histories: dict[str, dict[str, list[float]]], path: Path, title: str = "") -> None:
    """Learning curves: one panel per loss/metric (train solid, validation dashed), and the learning rate.

    Args:
        histories: label → history columns; several labels overlay runs (``runs compare``).
        path: the PNG to write.
    """
    plt = _pyplot()
    names: list[str] = []
    for history in histories.values():
        names += [n for n in _metric_names(history) if n not in names]
    panels = names + ["learning_rate"]
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, name in zip(axes.flat, panels):
        for i, (label, history) in enumerate(histories.items()):
            epochs = [int(e) + 1 for e in history.get("epoch", range(len(history.get("loss", []))))]
            color = colors[i % len(colors)]
            prefix = f"{label} " if len(histories) > 1 else ""
            if name in history:
                ax.plot(epochs, history[name], color=color, marker="o", ms=3, label=f"{prefix}train" if name != "learning_rate" else label)
            if f"val_{name}" in history:
                ax.plot(epochs, history[f"val_{name}"], color=color, ls="--", marker="o", ms=3, label=f"{prefix}validation")
        ax.set_title(name.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if name == "learning_rate":
            ax.set_yscale("log")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_confusion(y_true, y_pred, class_names: list[str], path: Path) -> None:
    """The confusion matrix, counts and row-normalized side by side, with class names."""
    import numpy as np
    from sklearn.metrics import confusion_matrix

    plt = _pyplot()
    labels = list(range(len(class_names)))
    counts = confusion_matrix(y_true, y_pred, labels=labels)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalized = np.nan_to_num(counts / counts.sum(axis=1, keepdims=True))
    size = max(5.0, 0.45 * len(labels) + 2.5)
    fig, axes = plt.subplots(1, 2, figsize=(2 * size, size))
    for ax, matrix, title, fmt in ((axes[0], counts, "counts", "d"), (axes[1], normalized, "normalized by true class", ".2f")):
        ax.imshow(matrix, cmap="Blues")
        ax.set_title(title)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_xticks(labels, class_names, rotation=90 if len(labels) > 4 else 0, fontsize=8)
        ax.set_yticks(labels, class_names, fontsize=8)
        if len(labels) <= 20:
            peak = matrix.max() or 1
            for (i, j), value in np.ndenumerate(matrix):
                ax.text(j, i, format(value, fmt), ha="center", va="center", fontsize=7,
                        color="white" if value > peak / 2 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def per_class_scores(y_true, y_pred, class_names: list[str]) -> dict:
    """Precision, recall, F1 and support per class, and their averages (scikit-learn)."""
    from sklearn.metrics import classification_report

    return classification_report(y_true, y_pred, labels=list(range(len(class_names))), target_names=class_names,
                                 output_dict=True, zero_division=0)


def write_run_report(run_dir: Path) -> list[Path]:
    """Writes a run's plots, per-class scores and HTML report from its files.

    Works from the run directory alone (no TensorFlow), so ``dltrain report``
    can redo it at any time.

    Returns:
        The files written.
    """
    import numpy as np

    from dltrain import runs

    run_dir = Path(run_dir)
    written = []
    history = read_history(run_dir / runs.HISTORY)
    if history:
        plot_curves({run_dir.name: history}, run_dir / runs.CURVES, title=run_dir.name)
        written.append(run_dir / runs.CURVES)
    per_class = None
    if (run_dir / runs.PREDICTIONS).is_file():
        with np.load(run_dir / runs.PREDICTIONS, allow_pickle=False) as f:
            y_true, y_pred, names = f["y_true"], f["y_pred"], [str(n) for n in f["class_names"]]
        plot_confusion(y_true, y_pred, names, run_dir / runs.CONFUSION)
        per_class = per_class_scores(y_true, y_pred, names)
        runs.write_json(run_dir / runs.PER_CLASS, per_class)
        written += [run_dir / runs.CONFUSION, run_dir / runs.PER_CLASS]
    runs.write_text(run_dir / runs.REPORT, html_report(run_dir, per_class))
    written.append(run_dir / runs.REPORT)
    return written


def _img(path: Path, alt: str) -> str:
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _kv_table(data: dict, cls: str = "") -> str:
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v) if isinstance(v, float) else json.dumps(v) if isinstance(v, (dict, list)) else str(v))}</td></tr>"
        for k, v in data.items())
    return f'<table class="{cls}">{rows}</table>'


def html_report(run_dir: Path, per_class: dict | None = None) -> str:
    """One self-contained HTML page about a run: images embedded, no network needed."""
    from dltrain import runs

    status = runs.read_json(run_dir / runs.RUN) if (run_dir / runs.RUN).is_file() else {}
    metrics = runs.read_json(run_dir / runs.METRICS) if (run_dir / runs.METRICS).is_file() else {}
    environment = runs.read_json(run_dir / runs.ENVIRONMENT) if (run_dir / runs.ENVIRONMENT).is_file() else {}
    sections = [
        f"<h1>{html.escape(run_dir.name)}</h1>",
        f'<p class="status status-{html.escape(str(status.get("status", "unknown")))}">status: '
        f'<b id="status">{html.escape(str(status.get("status", "unknown")))}</b>'
        f'{" — " + html.escape(str(status["reason"])) if status.get("reason") else ""}; started {html.escape(str(status.get("started")))}, '
        f'{html.escape(str(status.get("duration_seconds")))} s</p>',
        '<h2>Test metrics</h2>' + _kv_table(metrics.get("test", {}), "metrics"),
    ]
    if metrics.get("best"):
        sections.append(f'<p>best {html.escape(str(metrics["best"].get("monitor")))}: '
                        f'{html.escape(_fmt(metrics["best"].get("value")))}</p>')
    sections.append("<h2>Learning curves</h2>" + _img(run_dir / runs.CURVES, "learning curves"))
    if (run_dir / runs.CONFUSION).is_file():
        sections.append("<h2>Confusion matrix</h2>" + _img(run_dir / runs.CONFUSION, "confusion matrix"))
    if per_class:
        head = "<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"
        body = "".join(
            f"<tr><th>{html.escape(name)}</th><td>{s['precision']:.4f}</td><td>{s['recall']:.4f}</td>"
            f"<td>{s['f1-score']:.4f}</td><td>{int(s['support'])}</td></tr>"
            for name, s in per_class.items() if isinstance(s, dict))
        sections.append(f'<h2>Per class</h2><table class="per-class">{head}{body}</table>'
                        f'<p>accuracy {per_class.get("accuracy", 0):.4f}</p>')
    sections += [
        f"<h2>Config</h2><pre>{html.escape(_read(run_dir / runs.CONFIG))}</pre>",
        f"<h2>Model</h2><pre>{html.escape(_read(run_dir / runs.SUMMARY))}</pre>",
        "<h2>Environment</h2>" + _kv_table(environment, "environment"),
    ]
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em;"
             "text-align:left}img{max-width:100%}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}"
             ".status-completed b{color:#1a7f37}.status-failed b,.status-interrupted b{color:#cf222e}")
    # Lets a headless browser test report whether every image decoded.
    script = ("window.addEventListener('load',function(){var i=[].slice.call(document.images);"
              "document.body.setAttribute('data-images-loaded',i.filter(function(x){return x.naturalWidth>0}).length);"
              "document.body.setAttribute('data-images',i.length);});")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>dltrain run {html.escape(run_dir.name)}'
            f"</title><style>{style}</style></head><body>{''.join(sections)}<script>{script}</script></body></html>\n")
