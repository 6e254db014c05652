"""Import TensorFlow and Keras without their log noise.

TensorFlow 2.21 prints oneDNN, CUDA-probing and absl notices straight to file
descriptor 2 from C++, even with ``TF_CPP_MIN_LOG_LEVEL=3`` (checked here:
the variable no longer silences them), and again later at first device use.
So the CLI (through :mod:`dltrain.quiet`, before this import) points descriptor 2 at /dev/null for the whole process and gives
Python's ``sys.stderr`` a private copy of the real one: our messages and any
traceback still show, TensorFlow's C++ chatter does not. Set
``DLTRAIN_TF_LOGS=1`` to see TensorFlow's logs when debugging.

Importing this module imports TensorFlow and Keras.
"""

from __future__ import annotations

import logging
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


warnings.filterwarnings("ignore", module=r"(keras|tensorflow|absl|google)(\.|$)")
warnings.filterwarnings("ignore", message=r".*(oneDNN|cuda|CUDA|TensorFlow binary).*")

import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

tf.get_logger().setLevel(logging.ERROR)
try:
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
except ImportError:  # pragma: no cover
    pass

__all__ = ["tf", "keras"]
