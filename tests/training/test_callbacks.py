"""dltrain's callbacks: the best checkpoint writes the best epoch's model, at once or when training ends."""

from __future__ import annotations

import numpy as np
import pytest

from dltrain import runs
from dltrain.config import load_config
from dltrain.errors import Interrupted, UserError
from dltrain.tf_quiet import keras
from dltrain.training import fit
from dltrain.training.callbacks import BestCheckpoint


def _model() -> keras.Model:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    return model


def _epochs(checkpoint: BestCheckpoint, model: keras.Model, losses: list[float]) -> list[list[np.ndarray]]:
    """Runs epochs whose weights are all `epoch` and whose val_loss is losses[epoch]; returns each epoch's weights."""
    checkpoint.set_model(model)
    checkpoint.on_train_begin()
    seen = []
    for epoch, loss in enumerate(losses):
        model.set_weights([np.full_like(w, epoch) for w in model.get_weights()])
        seen.append(model.get_weights())
        checkpoint.on_epoch_end(epoch, {"val_loss": loss})
    return seen


def test_a_best_epoch_waits_in_memory_and_flush_writes_it(tmp_path):
    model = _model()
    checkpoint = BestCheckpoint(tmp_path / runs.BEST, "val_loss", model)
    seen = _epochs(checkpoint, model, [0.9, 0.5, 0.7, 0.6])
    assert not (tmp_path / runs.BEST).exists()  # within WRITE_INTERVAL of the start: nothing written yet
    assert checkpoint.best_epoch == 2 and checkpoint.best_weights is not None

    checkpoint.flush()
    saved = keras.saving.load_model(tmp_path / runs.BEST)
    assert all(np.array_equal(a, b) for a, b in zip(saved.get_weights(), seen[1]))  # epoch 2's weights
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), seen[3]))  # the model keeps its own
    assert checkpoint.best_weights is None
    written = (tmp_path / runs.BEST).stat().st_mtime_ns
    checkpoint.flush()  # nothing waiting: nothing written
    assert (tmp_path / runs.BEST).stat().st_mtime_ns == written


def test_an_improvement_after_the_interval_is_written_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(BestCheckpoint, "WRITE_INTERVAL", 0.0)
    model = _model()
    checkpoint = BestCheckpoint(tmp_path / runs.BEST, "val_loss", model)
    seen = _epochs(checkpoint, model, [0.9, 0.5])
    assert checkpoint.best_weights is None
    saved = keras.saving.load_model(tmp_path / runs.BEST)
    assert all(np.array_equal(a, b) for a, b in zip(saved.get_weights(), seen[1]))


def test_without_deferring_every_improvement_is_written(tmp_path):
    model = _model()
    checkpoint = BestCheckpoint(tmp_path / runs.BEST, "val_loss", model, defer=False)
    seen = _epochs(checkpoint, model, [0.9])
    assert checkpoint.best_weights is None
    saved = keras.saving.load_model(tmp_path / runs.BEST)
    assert all(np.array_equal(a, b) for a, b in zip(saved.get_weights(), seen[0]))


def test_weights_that_do_not_fit_the_model_are_refused(tmp_path):
    model = _model()
    checkpoint = BestCheckpoint(tmp_path / runs.BEST, "val_loss", model)
    checkpoint.set_model(model)
    checkpoint.best_weights = [np.zeros((5, 5))]
    with pytest.raises(UserError, match="damaged"):
        checkpoint.flush()
    assert not (tmp_path / runs.BEST).exists()


class _RecordThenInterrupt(keras.callbacks.Callback):
    """Keeps each epoch's trainable weights; Ctrl-C at the end of epoch ``stop``."""

    def __init__(self, stop: int):
        super().__init__()
        self.stop, self.weights = stop, []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([w.numpy().copy() for w in self.model.trainable_weights])
        if epoch == self.stop:
            raise KeyboardInterrupt


def test_an_interrupted_run_keeps_its_best_epoch_in_best_keras(tiny_config, tmp_path):
    recorder = _RecordThenInterrupt(stop=2)
    with pytest.raises(Interrupted) as info:
        fit(load_config(tiny_config, ["training.epochs=6"]), runs_dir=tmp_path, verbose=0, callbacks=[recorder])
    run_dir = info.value.run_dir
    val_loss = runs.read_history(run_dir)["val_loss"]
    assert len(val_loss) == 3
    best = int(np.argmin(val_loss[:3]))
    saved = keras.saving.load_model(run_dir / runs.BEST)
    assert len(saved.trainable_weights) == len(recorder.weights[best])
    assert all(np.array_equal(w.numpy(), r) for w, r in zip(saved.trainable_weights, recorder.weights[best]))
