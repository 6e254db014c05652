"""TensorFlow's op determinism, switched on for one block and put back after.

``tf.config.experimental.enable_op_determinism()`` sets a process-wide flag
with no public way back, so one deterministic run would leave every later fit
in the process deterministic (slower, and without XLA). TensorFlow does have
the way back, just not in its public API: ``disable_op_determinism()`` and
``is_op_determinism_enabled()`` in ``tensorflow/python/framework/config.py``
(TF 2.21; Keras itself imports the latter from there, in
``keras/src/trainers/trainer.py``). Both call the C++ flag behind
``enable_op_determinism``.

Checked on TF 2.21 (CPU): the flag is read when an op runs, not when its
kernel is built — ``tf.timestamp()``, which refuses to run under determinism,
failed inside the block and ran again after it, in eager mode and inside a
``tf.function`` traced before the block. What does outlive the block is
anything *decided* from the flag while it was on: a Keras model whose
``jit_compile`` was resolved inside the block keeps XLA off
(``model_supports_jit`` in ``keras/src/trainers/trainer.py``).

Importing this module imports TensorFlow.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from dltrain.tf_quiet import tf

try:  # not in TensorFlow's public API: see the module docstring
    from tensorflow.python.framework.config import disable_op_determinism, is_op_determinism_enabled
except ImportError:  # pragma: no cover - a TensorFlow that moved them
    disable_op_determinism = None
    is_op_determinism_enabled = None


@contextlib.contextmanager
def deterministic_ops(enabled: bool) -> Iterator[None]:
    """Runs the block with TensorFlow's op determinism on or off, then restores it.

    The previous setting comes back when the block ends, also when it raises,
    so a deterministic run does not make later runs in the same process
    deterministic. Blocks nest. The flag is process-wide: do not run two fits
    with different settings in parallel threads. Should a future TensorFlow
    lose ``disable_op_determinism``, determinism stays on after the block and
    the next ``deterministic_ops(False)`` raises instead of running silently
    deterministic.

    Args:
        enabled: True to make TensorFlow's ops deterministic inside the block
            (``tf.config.experimental.enable_op_determinism``); False to make
            sure they are not.

    Yields:
        Nothing; the setting holds for the block.

    Raises:
        RuntimeError: the installed TensorFlow offers no way to switch op
            determinism off (``disable_op_determinism`` is gone) and
            ``enabled`` is False after a deterministic block in this process.

    Example:
        >>> with deterministic_ops(True):
        ...     model.fit(x, y)  # bit-identical across runs with the same seed
    """
    previous = is_enabled()
    _switch(enabled)
    try:
        yield
    finally:
        if previous or can_switch_off():
            _switch(previous)
        # else: left on; the next deterministic_ops(False) says why it cannot run


def is_enabled() -> bool:
    """True if TensorFlow's op determinism is on in this process."""
    if is_op_determinism_enabled is None:  # pragma: no cover - see _fallback_state
        return _fallback_state["enabled"]
    return bool(is_op_determinism_enabled())


def can_switch_off() -> bool:
    """True if the installed TensorFlow can switch op determinism off again."""
    return disable_op_determinism is not None


# Where TensorFlow lacks is_op_determinism_enabled: what we set last.
_fallback_state = {"enabled": False}


def _switch(enabled: bool) -> None:
    if enabled == is_enabled():
        return
    if enabled:
        tf.config.experimental.enable_op_determinism()
    elif not can_switch_off():
        raise RuntimeError(
            "TensorFlow's op determinism is on (an earlier deterministic run in this process) "
            f"and this TensorFlow ({tf.__version__}) cannot switch it off again: "
            "tensorflow.python.framework.config.disable_op_determinism is missing. "
            "Run the non-deterministic training in a process of its own (a separate `dltrain` command)."
        )
    else:
        disable_op_determinism()
    _fallback_state["enabled"] = enabled
