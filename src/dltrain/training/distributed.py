"""The parts of ``fit`` that differ when several devices or processes train one model.

Every process runs the same training steps (the engine's collectives need
all of them); only process 0 (the chief) opens, writes and finishes the run
directory. The others build the same model from the same seed, feed their
share of each batch, run the callbacks that compute on the devices (the
weight check, EarlyStopping, ReduceLROnPlateau), and exit when training
ends; JAX's shutdown barrier then holds them until the chief is done too, so
all processes end together.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from dltrain.config import Config
from dltrain.data.bundle import DataBundle
from dltrain.data.in_memory import SMOKE_BATCHES
from dltrain.data.pipeline import sharded, sharded_evaluation
from dltrain.distribute.engine import Engine
from dltrain.distribute.environment import HEARTBEAT
from dltrain.errors import UserError
from dltrain.tf_quiet import keras
from dltrain.training import callbacks as cbs
from dltrain.training.resume import restore_training
from dltrain.training.results import FitResult


def _validation_batch(n_val: int, batch: int, devices: int) -> int:
    """Validation's global batch: the training one, or for a smaller split the most samples all devices share.

    Validation metrics are means over samples, so its batch size changes nothing but speed.
    """
    return batch if n_val >= batch else (n_val // devices) * devices


def shard_data(data: DataBundle, engine: Engine, config: Config, smoke: bool = False) -> None:
    """Gives the bundle this process's share of full batches (jax engines); refuses splits too small to share."""
    if not engine.sharded:
        return
    batch, role = config.training.batch_size, engine.role
    val_batch = _validation_batch(data.n_val, batch, engine.devices)
    for split, n, needed in (("training", data.n_train, batch), ("validation", data.n_val, engine.devices)):
        if 0 < n < needed or (split == "validation" and n and not val_batch):
            sliced = " (a --smoke run takes a slice of the data)" if smoke else ""
            raise config.error(f"the {split} split has {n} samples{sliced}, fewer than one global batch of "
                               f"{needed}: distributed steps take full batches only; lower batch_size",
                               "training", "batch_size")
    data.train = sharded(data.train, data.n_train, batch, role.num_processes, role.process_id)
    if data.validation is not None:
        validation = data.validation if val_batch == batch else data.validation.unbatch().batch(val_batch)
        data.validation = sharded_evaluation(validation, val_batch, role.num_processes, role.process_id)


class Heartbeat(keras.callbacks.Callback):
    """Touches a file at every completed step, so ``dltrain launch``'s watchdog sees training move."""

    def __init__(self, path: str):
        super().__init__()
        self.path = Path(path)

    def _touch(self, *_args, **_kwargs):
        self.path.touch()

    on_train_begin = on_train_batch_end = on_test_batch_end = on_epoch_end = _touch


def heartbeat_callbacks() -> list[keras.callbacks.Callback]:
    """A :class:`Heartbeat` when a launcher asked for one (``DLTRAIN_HEARTBEAT_FILE``)."""
    path = os.environ.get(HEARTBEAT)
    return [Heartbeat(path)] if path else []


class RestoreOnly(keras.callbacks.Callback):
    """A worker's part of a resume: the saved variables and callback state, written by the chief."""

    def __init__(self, saved, tracked: list):
        super().__init__()
        self.saved = saved
        self.tracked = tracked

    def on_train_begin(self, logs=None):
        if self.saved is not None:
            restore_training(self.saved, self.model, self.tracked)


def weights_digest(model: keras.Model) -> str:
    """SHA-256 of every weight's bytes: equal on every process of a run that stayed in step."""
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.ascontiguousarray(np.asarray(weight.numpy() if hasattr(weight, "numpy") else weight)).tobytes())
    return digest.hexdigest()


def run_worker(plan, trainer, engine: Engine, train) -> FitResult:
    """A process other than the chief: the same steps and device-side callbacks, nothing written."""
    stats = cbs.EpochStats()
    callbacks = [cbs.EpochOrder(trainer.train), *trainer.user_callbacks, stats, cbs.NonFiniteGuard(),
                 *heartbeat_callbacks(), RestoreOnly(plan.saved, trainer.user_callbacks)]
    if plan.training_ended:
        raise UserError("this run's training has ended; only process 0 finishes it: resume it with one process")
    seconds = train(plan, trainer, callbacks)
    return FitResult(run_dir=Path(f"(written by process 0 of {engine.role.num_processes})"), history={},
                     test_metrics={}, monitor=trainer.monitor, best_value=None,
                     epochs_run=plan.epochs - plan.initial_epoch, seconds=seconds,
                     parameters=trainer.model.count_params(), smoke=plan.smoke, epochs_planned=plan.epochs,
                     weights_sha256=weights_digest(trainer.model))


def smoke_steps(steps: int, smoke: bool) -> int:
    """Steps of an epoch (a smoke run's couple of batches)."""
    return min(steps, SMOKE_BATCHES) if smoke else steps
