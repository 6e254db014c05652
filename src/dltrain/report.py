"""What the user reads at the end of a command: short tables (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

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


def print_table(table: Table, console: Console | None = None) -> None:
    """Prints a table to the terminal."""
    (console or Console()).print(table)
