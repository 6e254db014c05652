"""What a run ran on: versions, seed, command line, git commit."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import dltrain


def _git_commit(cwd: str) -> dict | None:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        return {"commit": commit, "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return None


def describe(seed: int, argv: list[str] | None = None, config_file: str | None = None) -> dict:
    """The environment of a run, for ``environment.json``."""
    import keras
    import tensorflow as tf

    where = os.path.dirname(os.path.abspath(config_file)) if config_file else os.getcwd()
    return {
        "dltrain": dltrain.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
        "seed": seed,
        "command": argv if argv is not None else sys.argv,
        "cwd": os.getcwd(),
        "git": _git_commit(where),
    }
