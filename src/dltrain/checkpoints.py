"""Checkpoints that survive a crash, and the training state a resume needs.

Keras's ``BackupAndRestore`` restores the weights, the optimizer and the epoch,
but not the callbacks' own state (EarlyStopping's patience and best value,
ReduceLROnPlateau's wait and cooldown), nor the history, and its weights file is
written in place, so a kill during the write corrupts it (KERAS_NOTES.md). So
dltrain keeps its own state, once per completed epoch, in the run directory:

- ``state/epoch-N/model.npz`` and ``optimizer.npz``: every variable of the
  model and of its optimizer. That includes the dropout layers' random-seed
  state, which a ``.keras`` file leaves out (checked on Keras 3.15: a reloaded
  Dropout starts from a fresh seed state, so a resumed run would drop other
  units than an uninterrupted one);
- ``state/epoch-N/callbacks.json``: every callback's plain attributes
  (``wait``, ``best``, ``cooldown_counter``, ...) and ``best_weights.npz`` for
  an EarlyStopping that restores them;
- ``state/latest.json``: which ``epoch-N`` is complete. It is written last and
  atomically, so a kill at any moment leaves the previous complete state.

A resumed run reshuffles each epoch exactly as an uninterrupted one would,
because the data order is a function of (seed, epoch) alone (see
:mod:`dltrain.data.pipeline`).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dltrain import runs
from dltrain.errors import UserError
from dltrain.tf_quiet import keras

STATE = "state"
LATEST = "latest.json"

# Plain attribute values a callback's state is made of.
_PLAIN = (bool, int, float, str, type(None))


def save_model_atomically(model: keras.Model, path: Path) -> None:
    """Saves a ``.keras`` file by writing a temporary file and renaming it."""
    with runs.atomic(path) as tmp:
        model.save(tmp, overwrite=True)


class BestCheckpoint(keras.callbacks.ModelCheckpoint):
    """Keras's ModelCheckpoint (save_best_only), writing atomically.

    Keras writes the file in place; a kill during that write would destroy
    the previous best model too.
    """

    def __init__(self, filepath: Path, monitor: str):
        super().__init__(filepath, monitor=monitor, save_best_only=True)

    def _save_model(self, epoch, batch, logs):  # Keras's hook (keras>=3.15)
        filepath = self._get_file_path(epoch, batch, logs)
        if self._should_save_model(epoch, batch, logs, filepath):
            save_model_atomically(self.model, Path(filepath))


def _plain_state(callback: keras.callbacks.Callback) -> dict:
    state = {}
    for name, value in vars(callback).items():
        if name in ("model", "params", "validation_data") or not isinstance(value, _PLAIN):
            continue
        if isinstance(value, float) and not np.isfinite(value):
            value = repr(value)  # JSON has no inf/nan: 'inf', '-inf', 'nan'
        state[name] = value
    best = getattr(callback, "best", None)
    if best is not None and not isinstance(best, _PLAIN):  # a 0-d array or tensor
        state["best"] = float(np.asarray(best))
    state["__monitor_op_set__"] = getattr(callback, "monitor_op", None) is not None
    return state


def _restore_plain(callback: keras.callbacks.Callback, state: dict) -> None:
    state = dict(state)
    monitor_op_set = state.pop("__monitor_op_set__", False)
    for name, value in state.items():
        if isinstance(value, str) and value in ("inf", "-inf", "nan"):
            value = float(value)
        setattr(callback, name, value)
    if monitor_op_set and hasattr(callback, "_set_monitor_op"):
        # Keras's monitor callbacks choose their comparison lazily, at the first
        # epoch end, and flip the sign of `min_delta` as they do. The saved
        # min_delta is already flipped: choose the comparison now and put the
        # saved value back, or the flip happens twice and the resumed run
        # judges improvements differently (a ReduceLROnPlateau that never cuts).
        callback._set_monitor_op()
        if "min_delta" in state:
            callback.min_delta = state["min_delta"]


@dataclass
class SavedState:
    """A completed epoch's state, as read back for a resume."""

    epochs_done: int
    folder: Path


def _save_variables(path: Path, variables) -> None:
    with runs.atomic(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, *[np.asarray(v.numpy()) for v in variables])


def _load_variables(path: Path, variables, what: str) -> None:
    try:
        with np.load(path, allow_pickle=False) as saved:
            values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as err:
        raise UserError(f"the saved {what} state cannot be read ({type(err).__name__}); it is corrupted. "
                        "Delete the run's state/ folder and start the run again", file=str(path)) from None
    if len(values) != len(variables) or any(tuple(v.shape) != a.shape for v, a in zip(variables, values)):
        raise UserError(f"the saved {what} state does not fit the model built from the config; the model "
                        "changed since the run started: start a new run instead", file=str(path))
    for variable, value in zip(variables, values):
        variable.assign(value)


def latest_state(run_dir: Path) -> SavedState | None:
    """The last complete state of a run, or None if no epoch completed."""
    pointer = run_dir / STATE / LATEST
    if not pointer.is_file():
        return None
    data = runs.read_json(pointer)
    return SavedState(int(data["epochs_done"]), run_dir / STATE / data["folder"])


class TrainingState(keras.callbacks.Callback):
    """Saves the complete training state after every epoch; restores it on resume.

    It must come last among the callbacks: its ``on_train_begin`` then runs
    after the others have reset themselves, and its ``on_epoch_end`` after
    they have updated their state for the epoch.
    """

    def __init__(self, run_dir: Path, tracked: list[keras.callbacks.Callback], resume_from: SavedState | None = None):
        super().__init__()
        self.root = run_dir / STATE
        self.tracked = tracked
        self.resume_from = resume_from

    def on_train_begin(self, logs=None):
        if self.resume_from is None:
            return
        folder = self.resume_from.folder
        _load_variables(folder / "model.npz", self.model.variables, "model")
        if not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        _load_variables(folder / "optimizer.npz", self.model.optimizer.variables, "optimizer")
        saved = json.loads((self.resume_from.folder / "callbacks.json").read_text())
        for i, callback in enumerate(self.tracked):
            _restore_plain(callback, saved.get(str(i), {}))
            weights = self.resume_from.folder / f"best_weights_{i}.npz"
            if weights.is_file():
                with np.load(weights) as f:
                    callback.best_weights = [f[f"arr_{k}"] for k in range(len(f.files))]

    def on_epoch_end(self, epoch, logs=None):
        folder = self.root / f"epoch-{epoch + 1}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _save_variables(folder / "model.npz", self.model.variables)
        _save_variables(folder / "optimizer.npz", self.model.optimizer.variables)
        states = {str(i): _plain_state(cb) for i, cb in enumerate(self.tracked)}
        for i, callback in enumerate(self.tracked):
            best_weights = getattr(callback, "best_weights", None)
            if best_weights is not None:
                np.savez(folder / f"best_weights_{i}.npz", *best_weights)
        runs.write_json(folder / "callbacks.json", states)
        runs.write_json(self.root / LATEST, {"epochs_done": epoch + 1, "folder": folder.name})
        for old in self.root.glob("epoch-*"):
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
