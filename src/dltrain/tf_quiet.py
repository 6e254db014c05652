"""Import TensorFlow and Keras without their Python-side log noise.

This module quiets what TensorFlow and Keras log *through Python*: it sets
``TF_CPP_MIN_LOG_LEVEL=3`` (unless already set) before the import, filters
their Python warnings, and sets TensorFlow's and absl's Python loggers to
ERROR.

That does not silence everything: TensorFlow 2.21 still writes some notices
straight to file descriptor 2 from C++ during the import and at first device
use (checked here: "All log messages before absl::InitializeLog() is called
are written to STDERR" and ``I0000 ...`` lines despite the variable). Those
are filtered by :func:`dltrain.quiet.silence_native_stderr`, which the CLI
calls before this import: it drops recognised TensorFlow noise lines from
descriptor 2 and forwards everything else, crash messages included, to the
real stderr. Library users who import this module without that call see
TensorFlow's C++ notices as usual. Set ``DLTRAIN_TF_LOGS=1`` to see all of
TensorFlow's logs when debugging: it turns off the filter and everything
this module does to quiet TensorFlow.

Importing this module imports TensorFlow and Keras.
"""

from __future__ import annotations

import logging
import os
import warnings

_SHOW_LOGS = os.environ.get("DLTRAIN_TF_LOGS") == "1"

_SET_LOG_LEVEL = not _SHOW_LOGS and "TF_CPP_MIN_LOG_LEVEL" not in os.environ
if _SET_LOG_LEVEL:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # read once, as TensorFlow loads
if not _SHOW_LOGS:
    warnings.filterwarnings("ignore", module=r"(keras|tensorflow|absl|google)(\.|$)")
    warnings.filterwarnings("ignore", message=r".*(oneDNN|cuda|CUDA|TensorFlow binary).*")

import gc  # noqa: E402

from dltrain.startup import commands_process, without_unused_packages  # noqa: E402

# TensorFlow's and Keras's import creates ~460,000 objects, nearly none of them garbage, and Python's
# collector scanned them all 7 times while they loaded: 0.4 s of CPU of a 3.6 s import (measured here,
# CPython 3.11, TensorFlow 2.21). Collecting is paused for the import only, and left as it was found.
_COLLECTING = gc.isenabled()
gc.disable()
try:
    with without_unused_packages():  # a CLI command's: jax (on TensorFlow), IPython and scikit-learn stay out
        import tensorflow as tf  # noqa: E402
        import keras  # noqa: E402
finally:
    if _COLLECTING:
        gc.enable()
if commands_process():
    # A dltrain command's own process: what the import built lives as long as the process, so the
    # collector need never scan it again (its first scans after the import took ~0.5 s of a smoke
    # run). Not in a library user's process: freezing is process-wide.
    gc.freeze()

if _SET_LOG_LEVEL:
    del os.environ["TF_CPP_MIN_LOG_LEVEL"]  # no process-wide leftover: programs we start log as they would

if not _SHOW_LOGS:
    tf.get_logger().setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # pragma: no cover
        pass

__all__ = ["tf", "keras"]
