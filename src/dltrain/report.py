"""What the user reads at the end of a command: short tables (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml
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


def print_table(table: Table, console: Console | None = None) -> None:
    """Prints a table to the terminal."""
    (console or Console()).print(table)


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
