"""dltrain's own Keras callbacks: data order, epoch facts, history, divergence, interrupts, best checkpoint."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from dltrain import runs, signals
from dltrain.distribute.engine import undistributed
from dltrain.errors import TrainingFailed, UserError
from dltrain.tf_quiet import keras
from dltrain.training.resume import assign_values


class EpochOrder(keras.callbacks.Callback):
    """Tells the training data which epoch starts, so it shuffles for (seed, epoch)."""

    def __init__(self, data):
        super().__init__()
        self.data = data

    def on_epoch_begin(self, epoch, logs=None):
        self.data.set_epoch(epoch)


class EpochStats(keras.callbacks.Callback):
    """Times each epoch, adds the learning rate to its logs, and checks the weights are finite.

    It runs before the history writer and Keras's History, which then record
    the learning rate; the epoch's seconds stay out of the logs (they are
    not a metric) and go to history.csv through :attr:`seconds`.
    """

    seconds: float = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self._start
        if logs is None:
            return
        # convert_to_numpy: under MirroredStrategy the learning rate is a MirroredVariable, which float() refuses
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        # With oneDNN a Dense(relu) can turn NaN inputs into 0s: the loss stays
        # finite while the weights are NaN. Check them once an epoch, reduced
        # on the device: no host copy of every weight.
        if not all(bool(keras.ops.all(keras.ops.isfinite(w))) for w in self.model.trainable_weights):
            raise TrainingFailed(f"the weights became NaN or infinite in epoch {epoch + 1}; "
                                 "lower the learning rate or check the data")


class HistoryCSV(keras.callbacks.Callback):
    """Appends one row per epoch to history.csv (through :class:`dltrain.runs.HistoryFile`)."""

    def __init__(self, history: runs.HistoryFile, stats: EpochStats):
        super().__init__()
        self.history = history
        self.stats = stats

    def on_epoch_end(self, epoch, logs=None):
        self.history.append(epoch, {**(logs or {}), "epoch_seconds": round(self.stats.seconds, 4)})


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training at the first batch whose loss is NaN or infinite.

    Unlike TerminateOnNaN's graceful stop, it raises, so nothing after it
    (a last checkpoint, the end-of-training hooks) overwrites the last good
    state (keras#21771).
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            raise TrainingFailed(
                f"the loss became {float(loss)} in epoch {self._epoch + 1}, batch {batch + 1}; the state of the "
                "last complete epoch is kept. Lower the learning rate or check the data for extreme values"
            )


class InterruptCheck(keras.callbacks.Callback):
    """Raises, at a batch's end, the Ctrl-C or SIGTERM that came during the batch (see dltrain.signals)."""

    def on_train_batch_end(self, batch, logs=None):
        signals.raise_pending()

    def on_test_batch_end(self, batch, logs=None):
        signals.raise_pending()

    def on_epoch_end(self, epoch, logs=None):
        signals.raise_pending()


def save_model_atomically(model: keras.Model, path: Path) -> None:
    """Saves a ``.keras`` file by writing a temporary file and renaming it."""
    with runs.atomic(path) as tmp, undistributed():  # process 0 saves alone (see undistributed)
        model.save(tmp, overwrite=True)


class BestCheckpoint(keras.callbacks.ModelCheckpoint):
    """Keras's ModelCheckpoint (save_best_only), saving the model that takes raw inputs, atomically.

    Keras writes the file in place; a kill during that write would destroy the previous
    best model too. Writing a ``.keras`` file costs tens of milliseconds even for a tiny
    model (Keras walks every attribute of the model and its optimizer, ``_save_state`` in
    ``keras/src/saving/saving_lib.py``), and on a small table nearly every epoch improves:
    writing each made a 100-epoch run 1.12x slower. So an improvement is written at once only when the
    last write is :attr:`WRITE_INTERVAL` seconds old; until then the best epoch's
    variables wait in :attr:`best_weights`, which the per-epoch training state saves (a
    kill loses nothing: ``--resume`` restores them), and :meth:`flush` writes them when
    training ends. ``best_epoch`` (1-based) is the epoch the best model is from.
    """

    WRITE_INTERVAL = 10.0  # seconds of training between two writes of the file

    def __init__(self, filepath: Path, monitor: str, serving: keras.Model, defer: bool = True):
        super().__init__(filepath, monitor=monitor, save_best_only=True)
        self.serving = serving
        self.defer = defer  # False where variables span several processes: only one process writes
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None  # the best epoch's variables, not yet in the file
        self._written_at = time.monotonic()

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self._written_at = time.monotonic()

    def _save_model(self, epoch, batch, logs):  # Keras's hook (keras>=3.15)
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        self.best_epoch = epoch + 1
        if self.defer and time.monotonic() - self._written_at < self.WRITE_INTERVAL:
            self.best_weights = _values(self._variables())
        else:
            self._write()

    def flush(self) -> None:
        """Writes the best epoch's model if the file does not hold it yet; the model keeps its weights."""
        if self.best_weights is None:
            return
        variables = self._variables()
        current = _values(variables)
        assign_values(variables, self.best_weights, UserError(
            "the saved best-checkpoint weights do not fit the model; the run's state is damaged",
            file=str(self.filepath)))
        try:
            self._write()
        finally:
            for variable, value in zip(variables, current):  # the model's own values back
                variable.assign(value)

    def _variables(self) -> list:
        # The optimizer's too: the file holds the best epoch's optimizer state, as an immediate write would.
        return [*self.serving.variables, *self.serving.optimizer.variables]

    def _write(self) -> None:
        save_model_atomically(self.serving, Path(self.filepath))
        self.best_weights = None
        self._written_at = time.monotonic()


def _values(variables: list) -> list[np.ndarray]:
    # A copy: the jax backend may donate a variable's buffer to the next step.
    return [np.array(keras.ops.convert_to_numpy(v), copy=True) for v in variables]
