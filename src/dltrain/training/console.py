"""What training prints while it runs: the steps before the first epoch, and progress.

Keras's own progress bar counts executions of ``steps_per_execution`` batches
against the epoch's steps (it showed "448/422" with a negative ETA) and puts
every logged value on the epoch line. This one counts batches, never past the
epoch's end, and the epoch line shows losses and metrics only. On a terminal
the bar redraws in place; in a log or CI, one line per epoch.
"""

from __future__ import annotations

import sys
import time

from dltrain.tf_quiet import keras

# Values Keras logs that are not a loss or a metric.
NOT_METRICS = ("learning_rate",)


def stage(message: str, verbose: int) -> None:
    """One line on stdout saying what happens now (reading the data, building ...).

    Stdout, like the epoch lines: stderr stays for errors, one line each.
    """
    if verbose:
        print(f"{message}…", flush=True)


def _metrics_text(logs: dict) -> str:
    return "  ".join(f"{k} {float(v):.4f}" for k, v in logs.items() if k not in NOT_METRICS)


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


class ConsoleProgress(keras.callbacks.Callback):
    """Epoch lines (``verbose=2``), plus a live bar on a terminal (``verbose=1``)."""

    def __init__(self, verbose: int, epochs: int, steps_per_epoch: int, stream=None):
        super().__init__()
        self.verbose = verbose
        self.epochs = epochs
        self.steps = max(1, steps_per_epoch)
        self.stream = stream or sys.stdout

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.verbose != 1:
            return
        done = min(batch + 1, self.steps)  # Keras reports the last batch of each execution
        elapsed = time.perf_counter() - self._start
        eta = elapsed / done * (self.steps - done)
        width = 30
        filled = int(width * done / self.steps)
        bar = "=" * filled + (">" if filled < width else "") + "." * max(0, width - filled - 1)
        self.stream.write(f"\rEpoch {self._epoch + 1}/{self.epochs} [{bar}] {done}/{self.steps} ETA {_clock(eta)}")
        self.stream.flush()

    def on_epoch_end(self, epoch, logs=None):
        if not self.verbose:
            return
        seconds = time.perf_counter() - self._start
        prefix = "\r\033[K" if self.verbose == 1 else ""
        self.stream.write(f"{prefix}Epoch {epoch + 1}/{self.epochs}  {seconds:.1f}s  {_metrics_text(logs or {})}\n")
        self.stream.flush()
