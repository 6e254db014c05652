"""What the terminal shows at the end of a command: short lines and rich tables.

Paths are printed on lines of their own with ``soft_wrap``: rich never
breaks them, so a user can copy a run directory whole, whatever the width of
the terminal. Tables hold only short values (metric names and numbers).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # the tables need no TensorFlow
    from dltrain.runs import RunInfo
    from dltrain.training.results import EvalResult, FitResult, ReproduceResult


def _fmt(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _line(console: Console, text: str) -> None:
    # soft_wrap: the terminal may wrap the line on screen, but rich never cuts it.
    console.print(text, soft_wrap=True, markup=False, highlight=False)


def _metrics_table(title: str, columns: list[str], rows: dict[str, list]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("metric", style="bold", no_wrap=True)
    for column in columns:
        table.add_column(column, justify="right")
    for name, values in rows.items():
        table.add_row(name, *[_fmt(v) if v is not None else "-" for v in values])
    return table


def _fit_epochs(result: FitResult) -> str:
    planned = f" of {result.epochs_planned}" if result.epochs_planned else ""
    text = f"epochs: {result.epochs_run}{planned} in {result.seconds:.1f} s"
    if result.smoke:
        return text + " (smoke run: a few batches on a slice of the data; a check, not a trained model)"
    if not result.stopped_early:
        return text
    text += f"; stopped early by EarlyStopping at epoch {result.epochs_run}{planned}"
    if result.restored_best_weights:
        return text + "; EarlyStopping restored its best weights, so model.keras holds them"
    return text + "; best weights not restored, so model.keras holds the last epoch's weights"


def print_fit(result: FitResult, console: Console) -> None:
    """The end of ``dltrain fit``: where the run is, how training ended, and which model each metric describes."""
    _line(console, f"run: {result.run_dir}")
    _line(console, _fit_epochs(result))
    _line(console, f"parameters: {result.parameters:,}")
    if result.weights_sha256:
        _line(console, f"weights sha256: {result.weights_sha256}")
    if not result.test_metrics:
        return  # a process of a multi-process run other than 0: process 0 evaluates and writes the run
    epoch = f"epoch {result.best_epoch}" if result.best_epoch is not None else ""
    if result.best_value is not None:
        _line(console, f"best {result.monitor}: {_fmt(result.best_value)}{' at ' + epoch if epoch else ''}, "
                       "saved as best.keras")
    best = result.best_test_metrics or {}
    columns = ["test (final model, model.keras)"] + ([f"test (best.keras{', ' + epoch if epoch else ''})"] if best else [])
    names = list(result.test_metrics) + [n for n in best if n not in result.test_metrics]
    rows = {n: [result.test_metrics.get(n)] + ([best.get(n)] if best else []) for n in names}
    console.print(_metrics_table("dltrain fit", columns, rows))


def print_evaluation(result: EvalResult, console: Console) -> None:
    """The end of ``dltrain evaluate``: test metrics, beside what ``fit`` measured if known."""
    fit = result.fit_metrics
    columns = ["test"] + (["at fit"] if fit else [])
    rows = {n: [v] + ([fit.get(n)] if fit else []) for n, v in result.metrics.items()}
    console.print(_metrics_table("dltrain evaluate", columns, rows))
    _line(console, f"model: {result.model_path}")
    _line(console, f"written to: {result.written_to}")


def print_reproduce(result: ReproduceResult, console: Console) -> None:
    """The end of ``dltrain reproduce``: original and re-run test metrics side by side, and the verdict."""
    rerun = result.rerun.test_metrics
    rows = {n: [v, rerun.get(n)] for n, v in result.original_metrics.items()}
    console.print(_metrics_table("dltrain reproduce", ["original", "re-run"], rows))
    exact = "exactly (deterministic)" if result.tolerance == 0 else f"within {result.tolerance}"
    _line(console, f"{'reproduced' if result.matches else 'NOT reproduced'}: test metrics must agree {exact}")
    _line(console, f"original: {result.original_dir}")
    _line(console, f"re-run: {result.rerun.run_dir}")


def _duration(seconds) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(float(seconds), 60)
    return f"{int(minutes)}m{secs:04.1f}s" if minutes else f"{secs:.1f}s"


def _test_metric(test: dict) -> str:
    # The first metric that is not the loss says most in one column.
    for name, value in test.items():
        if name != "loss":
            return f"{name} {_fmt(value)}"
    return f"loss {_fmt(test['loss'])}" if "loss" in test else "-"


def print_runs(infos: list[RunInfo], runs_dir: Path, console: Console) -> None:
    """``dltrain runs list``: one row per run, newest first."""
    table = Table(title=f"runs in {runs_dir}", title_justify="left")
    # An id is what a user copies: its column gives way last.
    table.add_column("id", no_wrap=True, min_width=max((len(i.id) for i in infos), default=2))
    for column in ("config", "status", "epochs", "best", "test", "duration", "started"):
        table.add_column(column, overflow="fold")
    for i in infos:
        status = i.status + (" (smoke)" if i.smoke else "") + (" (stopped early)" if i.stopped_early else "")
        epochs = f"{i.epochs_done}/{i.epochs}" if i.epochs else str(i.epochs_done)
        best = f"{i.best_monitor} {_fmt(i.best_value)}" if i.best_value is not None else "-"
        name = f"{i.name} (study {i.study})" if i.study else i.name
        table.add_row(i.id, name, status, epochs, best, _test_metric(i.test), _duration(i.duration_seconds),
                      (i.started or "-")[:19].replace("T", " "))
    if not infos:
        table.caption = "no runs yet: dltrain fit CONFIG"
    console.print(table)


def _history_table(history: dict[str, list[float]]) -> Table:
    table = Table(title="history", title_justify="left")
    for column in history:
        table.add_column(column)
    for row in zip(*history.values()):
        table.add_row(*[f"{v:.4g}" for v in row])
    return table


def _environment_line(env: dict) -> str:
    commit = ((env.get("git") or {}).get("commit") or "-")[:12]
    return (f"environment: dltrain {env.get('dltrain')}, TensorFlow {env.get('tensorflow')}, Keras {env.get('keras')}, "
            f"Python {env.get('python')}, seed {env.get('seed')}, git {commit}")


def print_run_details(details: dict, console: Console) -> None:
    """``dltrain runs show``: one run, from :func:`dltrain.report.run_details`."""
    from dltrain.report import class_rows

    info = details["run"]
    _line(console, f"{info['id']}  {info['path']}")
    reason = f" ({info['reason']})" if info.get("reason") else ""
    _line(console, f"config {info['name']}, status {info['status']}{reason}, {info['epochs_done']}/{info['epochs']} "
                   f"epochs, {_duration(info['duration_seconds'])}, started {info['started']}")
    metrics = details["metrics"] or {}
    if metrics.get("test"):
        _line(console, "test (final model, model.keras): " + ", ".join(f"{k} {_fmt(v)}" for k, v in metrics["test"].items()))
    best = metrics.get("best") or {}
    if best.get("value") is not None:
        at = f" at epoch {best['epoch']}" if best.get("epoch") is not None else ""
        _line(console, f"best {best['monitor']}: {_fmt(best['value'])}{at} (best.keras)")
    if details["history"]:
        console.print(_history_table(details["history"]))
    per_class = details["per_class"]
    if per_class:
        _line(console, f"per class: {len(class_rows(per_class))} classes, macro F1 {per_class['macro avg']['f1-score']:.4f}")
    _line(console, _environment_line(details["environment"] or {}))
    _line(console, "files: " + ", ".join(details["files"]))
    console.print("[bold]config[/bold]")
    console.print(details["config"], markup=False, highlight=False)


def print_comparison(comparison: dict, console: Console) -> None:
    """``dltrain runs compare``: config differences and test metrics, one column per run."""
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
    console.print(_metrics_table("test metrics", ids, comparison["test"]))
    _line(console, f"learning curves: {comparison['curves']}")


def layer_table(layers: list[dict], parameters: int) -> str:
    """``validate --build``'s layer table, as plain text.

    Args:
        layers: one dict per layer: ``name``, ``class``, ``output_shape``, ``parameters``.
        parameters: the model's total parameter count.
    """
    lines = [f"{'layer':<28} {'output shape':<22} {'parameters':>12}"]
    for row in layers:
        shape = "(" + ", ".join("None" if d is None else str(d) for d in row["output_shape"]) + ")"
        lines.append(f"{row['name'] + ' (' + row['class'] + ')':<28} {shape:<22} {row['parameters']:>12,}")
    lines.append(f"total parameters: {parameters:,}")
    return "\n".join(lines) + "\n"
