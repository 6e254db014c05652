"""Ctrl-C and SIGTERM stop a run at a batch's end, even when the code they land in would swallow them."""

from __future__ import annotations

import json
import os
import signal

import pytest

from dltrain import runs, signals
from dltrain.config import load_config
from dltrain.errors import Interrupted


@pytest.fixture
def installed():
    """dltrain's handlers, as the console script installs them; the process's own put back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signals.install()
    yield
    signals.handled()
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.parametrize("sig, raised", [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, signals.Terminated)])
def test_a_signal_raises_at_once_and_is_remembered_until_handled(installed, sig, raised):
    with pytest.raises(raised):
        os.kill(os.getpid(), sig)
    with pytest.raises(raised):
        signals.raise_pending()
    signals.handled()
    signals.raise_pending()  # nothing left to raise


def test_while_deferred_the_first_signal_waits_for_the_loop_and_a_second_raises_at_once(installed):
    with signals.deferred():
        os.kill(os.getpid(), signal.SIGTERM)  # nothing raised here, inside whatever ran
        with pytest.raises(signals.Terminated):
            signals.raise_pending()  # the training loop's next batch
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)  # a second one: a step that never ends is not waited for
    signals.handled()
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)  # outside training: at once


class _Finalized:
    """Sends the signal from its finalizer: the handler's raise lands there, where Python ignores it."""

    def __init__(self, sig):
        self.sig = sig

    def __del__(self):
        os.kill(os.getpid(), self.sig)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("sig, name", [(signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")])
def test_an_interrupt_swallowed_by_a_finalizer_still_stops_the_run(installed, tiny_config, tmp_path, sig, name):
    from dltrain.tf_quiet import keras
    from dltrain.training import fit

    class SwallowedInterrupt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1 and not getattr(self, "sent", False):
                self.sent = True
                _Finalized(sig)  # dropped at once: its __del__ runs here and the interrupt is lost in it

    with pytest.raises(Interrupted) as stopped:
        fit(load_config(tiny_config, ["training.epochs=20"]), runs_dir=tmp_path / "runs", verbose=0,
            callbacks=[SwallowedInterrupt()])
    assert stopped.value.signal_name == name
    (run_dir,) = (tmp_path / "runs").iterdir()
    status = json.loads((run_dir / runs.RUN).read_text())
    assert status["status"] == "interrupted" and name in status["reason"]
    signals.raise_pending()  # fit marked it handled: a later run in this process is not stopped by it
