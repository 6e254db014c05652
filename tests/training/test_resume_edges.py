"""Resume at its edges: changed arguments, reordered callbacks, moved runs, two writers, kills at the end."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from dltrain import runs
from dltrain.config import load_config
from dltrain.errors import Interrupted, UserError
from dltrain.tf_quiet import keras
from dltrain.training import callbacks as cbs
from dltrain.training import finish, fit
from dltrain.training.resume import callback_keys, callback_state, latest_state, restore_callbacks

# Each test trains a real (tiny) model in-process: seconds each, so the whole module is in the slow part.
pytestmark = pytest.mark.slow

CONFIG = """
seed: 3
data: {{dataset: npz, path: {npz}, validation_split: 0.2}}
model: {{type: mlp, hidden_units: [16], dropout: 0.2}}
optimizer: {{Adam: {{learning_rate: 0.003}}}}
training:
  epochs: {epochs}
  batch_size: 16
  deterministic: true
  callbacks:
{callbacks}
"""
PLATEAU = "    - ReduceLROnPlateau: {monitor: loss, factor: 0.5, patience: 0, min_delta: 0.05}"
STOPPING = "    - EarlyStopping: {{monitor: val_loss, patience: {patience}, min_delta: {min_delta}, restore_best_weights: true}}"


@pytest.fixture
def config(write_config, npz_file):
    def make(epochs=4, patience=5, min_delta=0.0, order=("plateau", "stopping"), name="c.yaml"):
        parts = {"plateau": PLATEAU, "stopping": STOPPING.format(patience=patience, min_delta=min_delta)}
        text = CONFIG.format(npz=npz_file, epochs=epochs, callbacks="\n".join(parts[o] for o in order))
        return write_config(text, name=name)

    return make


def history(run_dir):
    rows = runs.HistoryFile(run_dir / runs.HISTORY).rows()
    return [{k: v for k, v in r.items() if k != "epoch_seconds"} for r in rows]


def interrupted_at(config_path, runs_dir, epochs_done, monkeypatch):
    """A run stopped by Ctrl-C at the start of epoch ``epochs_done + 1`` (its state saved up to there)."""
    original = cbs.EpochOrder.on_epoch_begin

    def stop(self, epoch, logs=None):
        if epoch == epochs_done:
            raise KeyboardInterrupt
        original(self, epoch, logs)

    with monkeypatch.context() as patch:
        patch.setattr(cbs.EpochOrder, "on_epoch_begin", stop)
        with pytest.raises(Interrupted) as info:
            fit(load_config(config_path), runs_dir=runs_dir, verbose=0)
    assert info.value.resumable
    return info.value.run_dir


def test_force_resume_uses_the_new_patience(config, tmp_path, monkeypatch):
    # min_delta 10 on val_loss: no epoch ever improves, so `wait` counts every epoch.
    run_dir = interrupted_at(config(epochs=12, patience=7, min_delta=10), tmp_path, 3, monkeypatch)
    result = fit(load_config(config(epochs=12, patience=1, min_delta=10)), resume=run_dir, force=True, verbose=0)
    # wait was 2 after three epochs; with patience 1 the fourth epoch stops it (patience 7 would go to 8).
    assert result.epochs_run == 4 and result.stopped_early
    assert json.loads((run_dir / runs.RUN).read_text())["stopped_early"] is True


def test_reordered_callbacks_get_their_own_state(config, tmp_path, monkeypatch):
    reference = fit(load_config(config(epochs=5)), runs_dir=tmp_path / "ref", verbose=0)
    run_dir = interrupted_at(config(epochs=5), tmp_path / "cut", 2, monkeypatch)
    swapped = load_config(config(epochs=5, order=("stopping", "plateau"), name="swapped.yaml"))
    resumed = fit(swapped, resume=run_dir, force=True, verbose=0)
    assert history(run_dir) == history(reference.run_dir)
    assert resumed.test_metrics == reference.test_metrics


def test_callback_state_is_keyed_by_identity_not_position(tmp_path):
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=3)
    stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=9)
    plateau.wait, plateau.cooldown_counter, plateau.best = 2, 1, 0.5
    stopping.wait, stopping.best, stopping.best_epoch = 4, 0.25, 6
    keys = callback_keys([plateau, stopping])
    (tmp_path / "callbacks.json").write_text(json.dumps(dict(zip(keys, map(callback_state, [plateau, stopping])))))
    fresh_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2)
    fresh_plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=1)
    restore_callbacks(tmp_path, [fresh_stopping, fresh_plateau])
    assert (fresh_stopping.wait, fresh_stopping.best, fresh_stopping.best_epoch) == (4, 0.25, 6)
    assert (fresh_plateau.wait, fresh_plateau.cooldown_counter, fresh_plateau.best) == (2, 1, 0.5)
    assert (fresh_stopping.patience, fresh_plateau.patience) == (2, 1)  # arguments stay the new ones
    assert fresh_stopping.monitor_op is not None and fresh_plateau.monitor_op is not None  # comparison chosen


def test_a_moved_run_resumes_in_its_new_place(config, tmp_path, monkeypatch):
    original = interrupted_at(config(epochs=4), tmp_path / "here", 2, monkeypatch)
    before = (original / runs.BEST).stat().st_mtime_ns
    moved = shutil.copytree(original, tmp_path / "there" / original.name)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = fit(None, resume=moved, verbose=0)
    assert result.run_dir == moved and result.epochs_run == 4
    assert (original / runs.BEST).stat().st_mtime_ns == before  # the original run is untouched
    assert json.loads((original / runs.RUN).read_text())["status"] == "interrupted"
    assert not (original / runs.MODEL).exists() and (moved / runs.MODEL).is_file()


def test_a_second_writer_is_refused_naming_the_holder(config, tmp_path, monkeypatch):
    run_dir = interrupted_at(config(epochs=3), tmp_path, 1, monkeypatch)
    with runs.RunLock(run_dir):
        with pytest.raises(UserError, match=rf"the run is being written by process {os.getpid()} on "):
            fit(None, resume=run_dir, verbose=0)
        assert runs.current_status(runs.read_json(run_dir / runs.RUN), run_dir) == "interrupted"
    assert len(history(run_dir)) == 1  # the refused resume wrote nothing
    fit(None, resume=run_dir, verbose=0)  # released: now it resumes
    assert [int(r["epoch"]) for r in history(run_dir)] == [0, 1, 2]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The 3-epoch run the kills below are compared with (the same config and data, trained in one go)."""
    from conftest import tiny_images

    folder = tmp_path_factory.mktemp("uninterrupted")
    x_train, y_train = tiny_images(240, seed=1)  # the npz_file fixture's data
    x_test, y_test = tiny_images(60, seed=2)
    npz = folder / "tiny.npz"
    np.savez(npz, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    text = CONFIG.format(npz=npz, epochs=3, callbacks="\n".join(
        [PLATEAU, STOPPING.format(patience=5, min_delta=0.0)]))
    (folder / "c.yaml").write_text(text.lstrip())
    return fit(load_config(folder / "c.yaml"), runs_dir=folder / "runs", verbose=0)


@pytest.mark.parametrize("killed_in", ["save_model_atomically", "test_metrics", "write_report"])
def test_a_kill_during_the_final_steps_is_completed_by_resume(config, tmp_path, monkeypatch, killed_in,
                                                               uninterrupted):
    reference = uninterrupted

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(finish, killed_in, killed)
        with pytest.raises(Interrupted) as info:
            fit(load_config(config(epochs=3)), runs_dir=tmp_path / "cut", verbose=0)
    run_dir = info.value.run_dir
    assert latest_state(run_dir).epochs_done == 3
    result = fit(None, resume=run_dir, verbose=0)
    assert [int(r["epoch"]) for r in history(run_dir)] == [0, 1, 2]
    assert history(run_dir) == history(reference.run_dir)
    assert result.test_metrics == reference.test_metrics  # EarlyStopping's best weights restored as at the end
    assert result.best_test_metrics == reference.best_test_metrics
    assert (run_dir / runs.MODEL).is_file() and (run_dir / runs.METRICS).is_file()
    assert json.loads((run_dir / runs.RUN).read_text())["status"] == "completed"


def test_an_early_stopped_run_is_completed_and_resume_says_so(config, tmp_path):
    done = fit(load_config(config(epochs=20, patience=1, min_delta=10)), runs_dir=tmp_path, verbose=0)
    assert done.stopped_early and done.epochs_run == 2 and done.epochs_planned == 20
    with pytest.raises(UserError, match=r"completed: EarlyStopping ended it at epoch 2 of 20.*larger patience"):
        fit(None, resume=done.run_dir, verbose=0)
    assert len(history(done.run_dir)) == 2  # nothing trained further, nothing rewritten


def test_interrupted_before_the_first_epoch_has_nothing_to_resume(config, tmp_path, monkeypatch):
    def stop(self, epoch, logs=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(cbs.EpochOrder, "on_epoch_begin", stop)
    with pytest.raises(Interrupted) as info:
        fit(load_config(config()), runs_dir=tmp_path, verbose=0)
    assert not info.value.resumable and "nothing to resume" in info.value.hint
    assert "--resume" not in info.value.hint


def test_resume_by_id_prefix(config, tmp_path, monkeypatch):
    run_dir = interrupted_at(config(epochs=3), tmp_path, 1, monkeypatch)
    result = fit(None, resume=run_dir.name[:15], runs_dir=tmp_path, verbose=0)
    assert result.run_dir == run_dir


def test_a_disk_error_names_its_real_cause(tmp_path):
    import errno

    denied = runs.os_error_message(PermissionError(errno.EACCES, "Permission denied", str(tmp_path)))
    assert "not writable" in str(denied) and "disk space" not in str(denied)
    full = runs.os_error_message(OSError(errno.ENOSPC, "No space left on device"), tmp_path)
    assert "free some disk space" in str(full)
