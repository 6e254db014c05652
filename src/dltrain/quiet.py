"""Keep TensorFlow's C++ log lines off the user's terminal (see tf_quiet).

Separate from :mod:`dltrain.tf_quiet` because it must run *before*
TensorFlow is imported: TensorFlow prints its notices during the import.
"""

from __future__ import annotations

import os
import sys


def silence_native_stderr() -> None:
    """Sends C/C++ writes to fd 2 to /dev/null; Python's stderr keeps the terminal."""
    if os.environ.get("DLTRAIN_TF_LOGS") == "1" or getattr(silence_native_stderr, "done", False):
        return
    try:
        sys.stderr.flush()
        real = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = os.fdopen(real, "w", buffering=1, encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
                               errors="backslashreplace")
    except (OSError, ValueError, AttributeError):
        return  # no real stderr (embedded, captured): nothing to silence
    silence_native_stderr.done = True
