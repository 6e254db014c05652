"""A command's start-up: the optional packages TensorFlow and Keras load for features it never uses.

``import tensorflow`` and ``import keras`` import some packages only because
they are installed, for features no dltrain command calls. Measured here
(Python 3.11, TensorFlow 2.21, Keras 3.15.1, 2 cores): ``python -c "import
keras"`` took 5.6 s, 4.7 s with jax and IPython kept out, and 3.8 s with
scikit-learn too:

- ``jax`` (0.45 s): ``tensorflow/lite/python/util.py`` imports ``jax.jit`` if
  it can, for ``TFLiteConverter.experimental_from_jax`` only. A TensorFlow
  process never needs it; a jax one (``backend: jax``) keeps it.
- ``IPython`` (0.22 s): ``keras/src/saving/file_editor.py`` imports it if it
  can, to show a ``KerasFileEditor`` in a notebook.
- ``sklearn`` (0.9 s, SciPy with it): ``keras/src/wrappers/`` import it if
  they can, for ``keras.wrappers.SKLearnClassifier`` and its kin. dltrain
  imports scikit-learn itself where it uses it (its datasets, a binary run's
  ROC AUC, a regression's R²), so a run on other data never loads it.

Each of those modules catches the ``ImportError`` and goes on without the
feature.

The CLI asks for this (:func:`skip_unused_imports`) before anything imports
TensorFlow; :mod:`dltrain.tf_quiet` keeps the packages out only while
TensorFlow and Keras load, so a later ``import jax`` in the same process works
as usual. The library alone (``import dltrain``) never skips anything: a
user's own process may use those features.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

_UNUSED = ("IPython", "sklearn")
_UNUSED_ON_TENSORFLOW = ("jax",)
_asked = False


def skip_unused_imports() -> None:
    """Keeps the packages above out of TensorFlow's and Keras's import (this process only)."""
    global _asked
    _asked = True


def commands_process() -> bool:
    """Whether this process runs a dltrain command (the CLI asked for :func:`skip_unused_imports`)."""
    return _asked


def _skipped() -> list[str]:
    if not _asked:
        return []
    names = list(_UNUSED)
    if os.environ.get("KERAS_BACKEND") == "tensorflow":  # only when it is certain: keras.json may say jax
        names += _UNUSED_ON_TENSORFLOW
    return [name for name in names if name not in sys.modules]


@contextmanager
def without_unused_packages():
    """While it lasts, importing a skipped package fails (as if not installed); afterwards it imports again."""
    names = _skipped()
    for name in names:
        sys.modules[name] = None  # an ImportError for `import name` (the import system's own rule)
    try:
        yield names
    finally:
        for name in names:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
