"""The training state a resume needs, saved after every epoch in ``state/``.

Keras's ``BackupAndRestore`` restores the weights, the optimizer and the epoch,
but not the callbacks' own state (EarlyStopping's patience and best value,
ReduceLROnPlateau's wait and cooldown), nor the history, and writes its
weights file in place. So dltrain keeps its own, once per completed epoch:

- ``state/epoch-N/model.npz`` and ``optimizer.npz``: every variable of the
  model and of its optimizer, including the dropout layers' random-seed state,
  which a ``.keras`` file leaves out (checked on Keras 3.15: a reloaded
  Dropout starts from a fresh seed state, so a resumed run would drop other
  units than an uninterrupted one);
- ``state/epoch-N/callbacks.json``: each callback's *state* only — counters,
  best values, best epoch — keyed by the callback's identity (its class, what
  it monitors, and which of that kind it is), never its arguments and never
  its position in the list: a resume with changed arguments (``--force``)
  uses the new ones, and reordered callbacks get their own state back;
  ``best_weights-<key>.npz`` for an EarlyStopping that restores them;
- ``state/latest.json``: which ``epoch-N`` is complete, and whether training
  ended there (EarlyStopping, or the last epoch). It is written last and
  atomically, so a kill at any instant leaves the previous complete state.
  Paths in it are relative to the run directory, so a moved run resumes.
"""

from __future__ import annotations

import math
import shutil
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dltrain import runs
from dltrain.errors import UserError
from dltrain.tf_quiet import keras

LATEST = "latest.json"

# The attributes that are a Keras callback's state (everything else is configuration).
STATE_ATTRIBUTES = ("wait", "stopped_epoch", "best", "best_epoch", "cooldown_counter")


@dataclass
class SavedState:
    """A completed epoch's state, as read back for a resume."""

    epochs_done: int
    folder: Path
    training_ended: bool = False
    stopped_early: bool = False


def callback_keys(callbacks: list[keras.callbacks.Callback]) -> list[str]:
    """Each callback's identity: class, monitored value, and which of that kind it is."""
    seen: Counter = Counter()
    keys = []
    for callback in callbacks:
        kind = type(callback).__name__
        monitor = getattr(callback, "monitor", None)
        base = f"{kind}({monitor})" if isinstance(monitor, str) else kind
        seen[base] += 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys


def _json_number(value):
    value = float(np.asarray(value))
    return repr(value) if not math.isfinite(value) else value  # JSON has no inf/nan


def callback_state(callback: keras.callbacks.Callback) -> dict:
    """A callback's counters and best values, JSON-ready."""
    state = {}
    for name in STATE_ATTRIBUTES:
        value = getattr(callback, name, None)
        if value is not None:
            state[name] = _json_number(value) if name == "best" else int(value)
    return state


def restore_callback_state(callback: keras.callbacks.Callback, state: dict) -> None:
    """Puts saved counters and best values back into a freshly built callback."""
    if hasattr(callback, "_set_monitor_op") and getattr(callback, "monitor_op", None) is None:
        # Keras chooses the comparison (and flips min_delta's sign) lazily, at the
        # first epoch end; choose it now from the callback's own arguments.
        callback._set_monitor_op()
    for name, value in _state_values(state).items():
        setattr(callback, name, value)


def _state_values(state: dict) -> dict:
    """The saved counters and best value as numbers (raises TypeError/ValueError for anything else)."""
    return {name: float(value) if name == "best" else int(value)
            for name, value in state.items() if name in STATE_ATTRIBUTES}


def _save_variables(path: Path, variables) -> None:
    with runs.atomic(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, *[np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in variables])


_UNREADABLE = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile)


def _damaged(path: Path, what: str, err: BaseException) -> UserError:
    return UserError(f"the saved {what} state cannot be read ({type(err).__name__}); it is damaged. "
                     "Delete the run's state/ folder and start the run again", file=str(path))


def _read_arrays(path: Path, what: str) -> list[np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as saved:
            return [saved[f"arr_{i}"] for i in range(len(saved.files))]
    except _UNREADABLE as err:
        raise _damaged(path, what, err) from None


def check_saved_files(saved: SavedState) -> None:
    """Refuses a saved epoch whose files are missing or damaged, before any data is read or model built.

    Reads each array file's index (not its arrays) and the callbacks' numbers; a damage
    inside an array is still found when the arrays are loaded.
    """
    for name, what in (("model.npz", "model"), ("optimizer.npz", "optimizer")):
        try:
            with np.load(saved.folder / name, allow_pickle=False) as arrays:
                arrays.files  # the zip's index: a truncated or foreign file has none
        except _UNREADABLE as err:
            raise _damaged(saved.folder / name, what, err) from None
    path = saved.folder / "callbacks.json"
    states = runs.read_json(path) if path.is_file() else {}
    for key, state in states.items():
        try:
            if not isinstance(state, dict):
                raise TypeError
            _state_values(state)
        except (TypeError, ValueError, OverflowError):
            raise UserError(f"the saved state of {key} is not a set of numbers; the run's state is damaged",
                            file=str(path)) from None


def load_variables(path: Path, variables, what: str) -> None:
    """Assigns saved values to variables, refusing a state that does not fit them."""
    assign_values(variables, _read_arrays(path, what), UserError(
        f"the saved {what} state does not fit the model built from the config; the model changed since the "
        "run started: start a new run instead", file=str(path)))


def assign_values(variables, values: list[np.ndarray], refusal: UserError) -> None:
    """Assigns values to variables one for one; raises ``refusal`` when their count or shapes differ."""
    if len(values) != len(variables) or any(tuple(v.shape) != a.shape for v, a in zip(variables, values)):
        raise refusal
    for variable, value in zip(variables, values):
        variable.assign(value)


def latest_state(run_dir: Path) -> SavedState | None:
    """The last complete state of a run, or None if no epoch completed.

    Raises:
        UserError: ``state/latest.json`` is damaged.
    """
    pointer = run_dir / runs.STATE / LATEST
    if not pointer.is_file():
        if any((run_dir / runs.STATE).glob("epoch-*")):
            raise UserError("the file is missing but epochs were saved; the run's state is damaged",
                            file=str(pointer))
        return None
    data = runs.read_json(pointer)
    try:
        if not isinstance(data["folder"], str) or isinstance(data["epochs_done"], bool):
            raise TypeError
        folder = run_dir / runs.STATE / Path(data["folder"]).name  # never outside state/
        epochs_done = int(data["epochs_done"])
        if epochs_done < 1:
            raise ValueError
    except (KeyError, TypeError, ValueError):
        raise UserError("the file does not say which epoch completed; the run's state is damaged",
                        file=str(pointer)) from None
    if not folder.is_dir():
        raise UserError("the saved epoch's folder is missing; the run's state is damaged",
                        file=str(folder))
    return SavedState(epochs_done, folder, bool(data.get("training_ended")), bool(data.get("stopped_early")))


def mark_training_ended(run_dir: Path, saved: SavedState) -> None:
    """Records that no epoch is left to train (the final model is being written)."""
    runs.write_json(run_dir / runs.STATE / LATEST, {"epochs_done": saved.epochs_done, "folder": saved.folder.name,
                                                     "training_ended": True, "stopped_early": saved.stopped_early})


def _weights_file(folder: Path, key: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_#" else "_" for ch in key)
    return folder / f"best_weights-{safe}.npz"


def restore_callbacks(folder: Path, callbacks: list[keras.callbacks.Callback]) -> None:
    """Gives each callback the state saved under its own identity (none if it is new)."""
    path = folder / "callbacks.json"
    saved = runs.read_json(path) if path.is_file() else {}
    for key, callback in zip(callback_keys(callbacks), callbacks):
        state = saved.get(key)
        if state is None:
            continue
        try:
            if not isinstance(state, dict):
                raise TypeError
            restore_callback_state(callback, state)
        except (TypeError, ValueError, OverflowError):
            raise UserError(f"the saved state of {key} is not a set of numbers; the run's state is damaged",
                            file=str(path)) from None
        weights = _weights_file(folder, key)
        if weights.is_file() and hasattr(callback, "best_weights"):
            callback.best_weights = _read_arrays(weights, "best-weights")


def restore_training(saved: SavedState, model: keras.Model, callbacks: list[keras.callbacks.Callback]) -> None:
    """Loads a saved epoch's variables into a built model and state into its callbacks."""
    load_variables(saved.folder / "model.npz", model.variables, "model")
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    load_variables(saved.folder / "optimizer.npz", model.optimizer.variables, "optimizer")
    restore_callbacks(saved.folder, callbacks)


class TrainingState(keras.callbacks.Callback):
    """Saves the complete training state after every epoch; restores it on resume.

    It must come last among the callbacks: its ``on_train_begin`` then runs
    after the others have reset themselves, and its ``on_epoch_end`` after
    they have updated their state for the epoch (and EarlyStopping has said
    whether training stops).
    """

    def __init__(self, run_dir: Path, tracked: list[keras.callbacks.Callback], resume_from: SavedState | None = None):
        super().__init__()
        self.root = run_dir / runs.STATE
        self.tracked = tracked
        self.resume_from = resume_from
        self.last: SavedState | None = resume_from

    def on_train_begin(self, logs=None):
        if self.resume_from is not None:
            restore_training(self.resume_from, self.model, self.tracked)

    def on_epoch_end(self, epoch, logs=None):
        folder = self.root / f"epoch-{epoch + 1}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _save_variables(folder / "model.npz", self.model.variables)
        _save_variables(folder / "optimizer.npz", self.model.optimizer.variables)
        states = {}
        for key, callback in zip(callback_keys(self.tracked), self.tracked):
            states[key] = callback_state(callback)
            if getattr(callback, "best_weights", None) is not None:
                _save_variables(_weights_file(folder, key), callback.best_weights)
        runs.write_json(folder / "callbacks.json", states)
        stopped = bool(getattr(self.model, "stop_training", False))
        self.last = SavedState(epoch + 1, folder, training_ended=False, stopped_early=stopped)
        runs.write_json(self.root / LATEST, {"epochs_done": epoch + 1, "folder": folder.name,
                                             "stopped_early": stopped})
        for old in self.root.glob("epoch-*"):
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
