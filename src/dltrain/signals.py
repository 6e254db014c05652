"""Ctrl-C and SIGTERM in a command's process: raised at once, and raised again if the code they hit swallowed them.

Python runs a signal's handler between two bytecodes of the main thread, wherever it is.
When that is inside a finalizer (``__del__``, a weakref callback: TensorFlow's objects
have many, run by the collector in the middle of training), the interrupt it raises is
printed as "Exception ignored" and lost, and training goes on: Ctrl-C did nothing (it
happened here to ``dltrain fit`` under load, twice in a whole-suite run). The handlers
below also remember the interrupt; the training loop raises it again at its next batch
(:func:`raise_pending`, from a callback), so Ctrl-C and SIGTERM always stop a run.

Only the console script installs them; a library user's process keeps its own handlers.
"""

from __future__ import annotations

import signal

_pending: type[KeyboardInterrupt] | None = None


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so training stops the same way."""

    signal_name = "SIGTERM"


def install() -> None:
    """Makes SIGINT raise KeyboardInterrupt and SIGTERM :class:`Terminated`, each remembered until handled."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum, frame) -> None:
    global _pending
    _pending = Terminated if signum == signal.SIGTERM else KeyboardInterrupt
    raise _pending()


def raise_pending() -> None:
    """Raises again an interrupt whose first raise was swallowed; nothing when there is none."""
    if _pending is not None:
        raise _pending()


def handled() -> None:
    """Forgets the interrupt: the caller has stopped what it interrupted."""
    global _pending
    _pending = None
