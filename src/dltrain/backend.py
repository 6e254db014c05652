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

from dltrain.errors import UserError

BACKENDS = ("tensorflow", "jax")
DEFAULT = "tensorflow"


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


def backend_of_run(runs_dir: str | Path, resume: str | None) -> str:
    """The backend a run was trained with (from its config.yaml), for ``fit --resume``.

    A run whose config cannot be read gets the default: ``fit`` then reports
    the damage itself, with its own message.
    """
    from dltrain import runs
    from dltrain.config import load_config

    if resume is None:
        return DEFAULT  # fit then says it needs a CONFIG or --resume
    try:
        run_dir = runs.find_run(Path(runs_dir), resume)
        return load_config(run_dir / runs.CONFIG).backend
    except (UserError, OSError):
        return DEFAULT
