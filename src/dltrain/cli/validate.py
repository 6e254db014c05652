"""``dltrain validate``: check configs without training, all problems at once."""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from dltrain.cli.console import EXIT_OK, EXIT_USER_ERROR, emit, print_problems, problem_dict, stage
from dltrain.cli.options import JsonOption, SetOption
from dltrain.errors import Problem, UserError


def expand_config_paths(args: list[Path]) -> list[Path]:
    """Config files named by paths, directories (searched for *.yaml/*.yml) and globs.

    Raises:
        UserError: a glob matches nothing, or no config is found at all.
    """
    found: list[Path] = []
    for arg in args:
        if arg.is_dir():
            found += sorted(p for p in arg.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        elif not arg.exists() and glob.has_magic(str(arg)):
            matches = sorted(Path(m) for m in glob.glob(str(arg), recursive=True))
            if not matches:
                raise UserError(f"no config matches {arg}")
            found += matches
        else:
            found.append(arg)
    if not found:
        raise UserError(f"no .yaml configs in {', '.join(map(str, args))}")
    return found


@dataclass
class Checked:
    """One config file checked: its config, its model's layers (--build), or its problems."""

    path: Path
    config: object = None
    layers: list[dict] | None = None
    parameters: int | None = None
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-ready."""
        entry: dict = {"path": str(self.path), "ok": not self.problems}
        if self.problems:
            return {**entry, "errors": [problem_dict(p) for p in self.problems]}
        if self.layers is not None:
            entry.update(parameters=self.parameters, layers=self.layers)
        return {**entry, "config": self.config.resolved()}


def _layer_rows(model) -> list[dict]:
    return [{"name": layer.name, "class": type(layer).__name__, "output_shape": list(layer.output.shape),
             "parameters": layer.count_params()} for layer in model.layers]


def _check(path: Path, overrides: list[str], build: bool) -> Checked:
    from dltrain.config import load_config

    checked = Checked(path)
    try:
        checked.config = load_config(path, overrides)
        if build:
            from dltrain import training

            model = training.check_build(checked.config)
            checked.layers, checked.parameters = _layer_rows(model), model.count_params()
    except UserError as err:
        checked.problems = err.problems
    return checked


def _show(checked: list[Checked], show: bool, origin: bool, console) -> None:
    from dltrain.cli.tables import layer_table
    from dltrain.config import config_with_origins

    for entry in (c for c in checked if not c.problems):
        if show:
            print(f"# {entry.path}")
            print(config_with_origins(entry.config) if origin else entry.config.to_yaml())
        else:
            print(f"ok {entry.path}")
        if entry.layers is not None:
            print(layer_table(entry.layers, entry.parameters))
    print_problems([p for c in checked for p in c.problems])


def validate(
    configs: Annotated[list[Path], typer.Argument(help="Config files, directories or globs.", metavar="CONFIG")],
    overrides: SetOption = None,
    show: Annotated[bool, typer.Option("--show", help="Print the resolved config, every default filled in.")] = False,
    origin: Annotated[bool, typer.Option("--origin", help="With --show: where each value came from.")] = False,
    build: Annotated[bool, typer.Option("--build", help="Also build the model with Keras (no data loaded).")] = False,
    as_json: JsonOption = False,
) -> int:
    """Check configs (without TensorFlow unless --build); report every problem."""
    paths = expand_config_paths(configs)
    if build:
        stage("loading TensorFlow", as_json)
    checked = [_check(path, overrides or [], build) for path in paths]
    problems = [problem_dict(p) for c in checked for p in c.problems]
    summary = {"status": "error" if problems else "ok", "configs": [c.as_dict() for c in checked], "errors": problems}
    emit(summary, as_json, partial(_show, checked, show, origin))
    return EXIT_USER_ERROR if problems else EXIT_OK
