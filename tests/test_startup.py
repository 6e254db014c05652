"""A command's start-up: jax (on TensorFlow) and IPython stay out of TensorFlow's import, and only there.

A jax command keeps jax: tests/distribute/test_backend.py's jax smoke runs start as the CLI does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# What a CLI command's process does (dltrain.cli.app.main asks before TensorFlow loads), then what
# got imported, and whether the skipped packages import normally afterwards.
PROBE = """
import json, sys
from dltrain.startup import skip_unused_imports
skip_unused_imports()
import dltrain.tf_quiet
import gc
frozen = gc.get_freeze_count()
loaded = {name: name in sys.modules for name in ("jax", "IPython", "sklearn", "scipy.stats", "tensorflow", "keras")}
from tensorflow.lite.python import util
loaded["jax in tensorflow.lite"] = util._jit is not None
import jax, sklearn.datasets  # after TensorFlow's import: as usual
print(json.dumps({"loaded": loaded, "backend": dltrain.tf_quiet.keras.backend.backend(), "frozen": frozen,
                  "jax_after": jax.__name__, "left_blocked": [n for n, m in sys.modules.items() if m is None and n in ("jax", "IPython", "sklearn")]}))
"""


def _probe(backend: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "KERAS_BACKEND": backend})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_tensorflow_command_loads_neither_jax_nor_ipython_and_can_import_them_later():
    pytest.importorskip("jax")
    seen = _probe("tensorflow")
    assert seen["backend"] == "tensorflow" and seen["loaded"]["tensorflow"] and seen["loaded"]["keras"]
    assert not seen["loaded"]["jax"] and not seen["loaded"]["IPython"] and not seen["loaded"]["jax in tensorflow.lite"]
    assert not seen["loaded"]["sklearn"] and not seen["loaded"]["scipy.stats"]  # SciPy's statistics came with it
    assert seen["jax_after"] == "jax" and seen["left_blocked"] == []
    assert seen["frozen"] > 100_000  # TensorFlow's and Keras's objects, out of the collector's scans


def test_the_library_alone_skips_nothing():
    """This test process imported TensorFlow without the CLI's request: TensorFlow loaded jax as it does."""
    pytest.importorskip("jax")
    import dltrain.tf_quiet  # noqa: F401
    from dltrain import startup

    from tensorflow.lite.python import util

    assert not startup._asked
    assert util._jit is not None  # TensorFlow's own import found jax: nothing was kept out
