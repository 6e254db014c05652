"""Ctrl-C and SIGTERM in a command's process: they stop a run at a batch's end, never inside TensorFlow.

Python runs a signal's handler between two bytecodes of the main thread, wherever it is,
and an interrupt raised there can be lost or turned into another error:

- inside a finalizer (``__del__``, a weakref callback: TensorFlow's objects have many, run
  by the collector in the middle of training) it is printed as "Exception ignored" and
  lost, and training goes on: Ctrl-C did nothing (seen here twice in one day, under load);
- inside TensorFlow's own context managers it leaves their state half-changed, and the
  run died of ``RuntimeError: Exiting device scope without proper scope nesting`` with a
  traceback instead of stopping as interrupted (seen here once, SIGTERM during ``fit``).

So while Keras trains (:func:`deferred`), the handlers below only remember the interrupt,
and the training loop raises it at its next batch (:func:`raise_pending`, from a
callback), where nothing is half-done; a second Ctrl-C or SIGTERM raises at once, for a
step that never ends. Elsewhere (reading the data, saving) they raise at once, and still
remember, in case a finalizer swallows that raise.

Only the console script installs them; a library user's process keeps its own handlers.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager

_pending: type[KeyboardInterrupt] | None = None
_deferring = False


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so training stops the same way."""

    signal_name = "SIGTERM"


def install() -> None:
    """Makes SIGINT raise KeyboardInterrupt and SIGTERM :class:`Terminated`, each remembered until handled."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum, frame) -> None:
    global _pending
    first = _pending is None
    _pending = Terminated if signum == signal.SIGTERM else KeyboardInterrupt
    if _deferring and first:
        return  # raised by the training loop at its next batch
    raise _pending()


@contextmanager
def deferred():
    """While it lasts, a first interrupt waits for :func:`raise_pending`; a second one raises at once."""
    global _deferring
    _deferring = True
    try:
        yield
    finally:
        _deferring = False


def raise_pending() -> None:
    """Raises the interrupt that is waiting (deferred, or whose first raise was swallowed); nothing if none."""
    if _pending is not None:
        raise _pending()


def handled() -> None:
    """Forgets the interrupt: the caller has stopped what it interrupted."""
    global _pending
    _pending = None
