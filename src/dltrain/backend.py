"""Choosing the Keras backend before Keras is imported.

Keras reads ``KERAS_BACKEND`` once, when ``keras`` is first imported
(``keras/src/backend/config.py``); after that the backend of the process is
fixed. So the CLI reads the config (which imports no Keras), calls
:func:`use_backend`, and only then imports the training code. In library
use, where Keras may already be imported, :func:`check_backend` refuses a
config asking for another backend instead of silently training on the wrong one.

This module imports only the standard library (and the config and run
helpers, which import no Keras).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dltrain.errors import UserError

if TYPE_CHECKING:
    from dltrain.config import Config

BACKENDS = ("tensorflow", "jax")
DEFAULT = "tensorflow"
AUTO = "auto"
# What `backend: auto` rests on (bench/RESULTS.md, `python bench/run.py --backends tensorflow,jax`, 2 pairs of
# 4 epochs of the full Fashion-MNIST on this project's 2-core CPU machine): the seed MLP's epoch took 1.00x
# TensorFlow's on jax and the seed CNN's 1.06x, and a jax process reached its first training step 0.9-2.4 s
# later (it imports jax beside TensorFlow, whose tf.data feeds both). Until a measurement shows jax
# faster for some kind of run, auto trains on TensorFlow, except where only jax has the engine.
AUTO_MEASURED = "TensorFlow's epochs measured equal to jax's (MLP) or shorter (CNN), and it starts sooner"


def loaded_backend() -> str | None:
    """The backend of the Keras already imported in this process, or None if Keras is not imported."""
    keras = sys.modules.get("keras")
    if keras is None:
        return None
    return keras.backend.backend()


def _wrong_backend(wanted: str, loaded: str) -> UserError:
    return UserError(f"the config asks for backend {wanted}, but Keras is already imported in this process "
                     f"with backend {loaded}; a process has one Keras backend. Run it in a new process "
                     f"(dltrain fit does), or set KERAS_BACKEND={wanted} before importing keras",
                     key="backend")


def use_backend(name: str) -> None:
    """Makes ``name`` the backend Keras will load (sets ``KERAS_BACKEND``).

    Raises:
        UserError: Keras is already imported with another backend.
    """
    if name not in BACKENDS:
        raise UserError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}", key="backend")
    loaded = loaded_backend()
    if loaded is not None and loaded != name:
        raise _wrong_backend(name, loaded)
    os.environ["KERAS_BACKEND"] = name


def check_backend(name: str) -> None:
    """Refuses a config whose backend is not the one Keras runs on in this process.

    Raises:
        UserError: Keras is imported with another backend.
    """
    loaded = loaded_backend()
    if loaded is not None and loaded != name:
        raise _wrong_backend(name, loaded)


def auto_backend(config: Config) -> tuple[str, str]:
    """The backend ``backend: auto`` trains on, and why: Keras's, when this process has imported it
    already (a process has one backend), else :func:`measured_backend`'s choice."""
    loaded = loaded_backend()
    if loaded is not None:
        return loaded, f"Keras is already imported in this process with backend {loaded}"
    return measured_backend(config)


def measured_backend(config: Config) -> tuple[str, str]:
    """The backend measured best for a config, and why, from the config alone (no Keras import).

    ``multi_worker`` gets jax, its only engine; everything else TensorFlow (see AUTO_MEASURED).
    """
    if config.training.distribute == "multi_worker":
        return "jax", "training.distribute: multi_worker trains on jax"
    return "tensorflow", AUTO_MEASURED


def resolve_backend(config: Config) -> str:
    """The backend a config trains on: its ``backend``, or :func:`auto_backend`'s choice for ``auto``."""
    return auto_backend(config)[0] if config.backend == AUTO else config.backend


def backend_of_run(runs_dir: str | Path, resume: str | None) -> str:
    """The backend a run was trained with (from its run.json, else its config.yaml), for ``fit --resume``.

    A run whose config cannot be read gets the default: ``fit`` then reports
    the damage itself, with its own message.
    """
    from dltrain import runs
    from dltrain.config import load_config

    if resume is None:
        return DEFAULT  # fit then says it needs a CONFIG or --resume
    try:
        run_dir = runs.find_run(Path(runs_dir), resume)
        recorded = (runs.read_json_if_present(run_dir / runs.RUN) or {}).get("backend")
        if recorded in BACKENDS:  # what `backend: auto` chose when the run started
            return recorded
        return resolve_backend(load_config(run_dir / runs.CONFIG))
    except (UserError, OSError):
        return DEFAULT
