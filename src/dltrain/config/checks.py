"""Checks made once a config is valid key by key: its data paths exist, its layer graph connects.

They need no TensorFlow, so ``dltrain validate`` makes them; each problem names
the file, the line and the key.
"""

from __future__ import annotations

import difflib
import re

from dltrain.config.keras_objects import KerasObject, nested_problems
from dltrain.config.model_sections import FunctionalModel, SequentialModel
from dltrain.config.schema import Config, data_path
from dltrain.errors import Problem, UserError

# The name a functional model's layers use for the model's input.
INPUT_NAME = "input"


def _problem(config: Config, message: str, *path) -> Problem:
    return config.error(message, *path).problems[0]


def data_path_problems(config: Config) -> list[Problem]:
    """A `data.path` or `data.test_path` that does not exist, resolved as dltrain will read it."""
    problems = []
    for key in ("path", "test_path"):
        value = getattr(config.data, key)
        if value and not data_path(config, value).exists():
            problems.append(_problem(config, f"{value}: no such file or folder (relative paths start at the "
                                     "config's folder); check the path, or create the data first", "data", key))
    return problems


def _snake_case(name: str) -> str:
    """A class name as Keras names its layers: GlobalAveragePooling2D → global_average_pooling2d."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def layer_names(config: Config) -> list[str]:
    """Each layer's name in a functional model: its `name` argument, or Keras's default for its class."""
    names = []
    for i, spec in enumerate(config.model.layers):
        name = spec.kwargs.get("name")
        names.append(name if isinstance(name, str) else f"{_snake_case(spec.name)}_{i}")
    return names


def layer_inputs(config: Config, names: list[str]) -> list[list[str]]:
    """Each layer's inputs: those it names, or the previous layer (the model's input for the first)."""
    inputs = []
    for i, spec in enumerate(config.model.layers):
        given = spec.kwargs.get("inputs")
        if given is None:
            inputs.append([names[i - 1] if i else INPUT_NAME])
        else:
            inputs.append([given] if isinstance(given, str) else list(given))
    return inputs


def _reference_problem(config: Config, i: int, ref, known: list[str], later: list[str]) -> Problem | None:
    if not isinstance(ref, str):
        return _problem(config, f"inputs must be layer names, got {ref!r}", "model", "layers", i)
    if ref in known:
        return None
    if ref in later:
        return _problem(config, f"input '{ref}' is a later layer (or this one): layers run in order and a "
                        "graph cannot loop; move that layer above this one", "model", "layers", i)
    close = difflib.get_close_matches(ref, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"known so far: {', '.join(known)}"
    return _problem(config, f"no layer named '{ref}' before this one; {hint}", "model", "layers", i)


def graph_problems(config: Config) -> list[Problem]:
    """Unknown or later inputs, repeated names, and layers nothing consumes, in a functional model."""
    if not isinstance(config.model, FunctionalModel):
        return []
    names = layer_names(config)
    inputs = layer_inputs(config, names)
    problems, consumed = [], set()
    for i, refs in enumerate(inputs):
        if names[i] in names[:i] or names[i] == INPUT_NAME:
            problems.append(_problem(config, f"the name '{names[i]}' is taken; give each layer its own name",
                                     "model", "layers", i))
        for ref in refs:
            problem = _reference_problem(config, i, ref, [INPUT_NAME, *names[:i]], names[i:])
            problems += [problem] if problem else []
            if isinstance(ref, str):  # anything else is reported above
                consumed.add(ref)
    for i, name in enumerate(names[:-1]):
        if name not in consumed:
            problems.append(_problem(config, f"nothing consumes layer '{name}': name it in a later layer's "
                                     "inputs, or remove it (the last layer is the output)", "model", "layers", i))
    return problems


def keras_objects(config: Config) -> list[tuple[tuple, KerasObject]]:
    """Every Keras object of the config, with the key path its arguments are written under."""
    found: list[tuple[tuple, KerasObject]] = []
    if isinstance(config.model, (SequentialModel, FunctionalModel)):
        found += [(("model", "layers", i, spec.name), spec) for i, spec in enumerate(config.model.layers)]
    found.append((("optimizer", config.optimizer.name), config.optimizer))
    found += [(("training", "callbacks", i, spec.name), spec) for i, spec in enumerate(config.training.callbacks)]
    found.append((("loss", config.loss.name), config.loss))
    found += [(("metrics", i, spec.name), spec) for i, spec in enumerate(config.metrics)]
    return found


def nested_object_problems(config: Config) -> list[Problem]:
    """Keras objects inside arguments (`kernel_regularizer: {L1L2: {...}}`) that Keras would not resolve."""
    return [_problem(config, message, *where, *path)
            for where, spec in keras_objects(config)
            for path, message in nested_problems(spec.kwargs)]


def check_config(config: Config, check_paths: bool = True) -> None:
    """Raises every problem these checks find, at once (data paths only with ``check_paths``).

    Raises:
        UserError: a missing data path, a functional graph that does not connect,
            or a Keras object inside arguments that Keras does not know.
    """
    problems = ((data_path_problems(config) if check_paths else []) + graph_problems(config)
                + nested_object_problems(config))
    if problems:
        raise UserError(problems)
