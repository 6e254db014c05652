"""``fit``: one explicit pipeline, top to bottom.

It reads as the seed scripts do — load data → build → compile → fit →
evaluate → save — with what those scripts leave out: every check made before
anything is written, a run directory that records everything, one process
writing it at a time, a status that stays true when training fails or is
interrupted, and models that take raw inputs.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from dltrain import runs, signals, tracking
from dltrain.backend import AUTO, auto_backend, check_backend, resolve_backend
from dltrain.config import Config, resolve_seed
from dltrain.data import load_bundle
from dltrain.data.bundle import DataBundle
from dltrain.data.in_memory import SMOKE_BATCHES
from dltrain.data.pipeline import TrainingData
from dltrain.data.preprocessing import serving_model
from dltrain.determinism import deterministic_ops
from dltrain.distribute import process_role
from dltrain.distribute.checks import check_distribute
from dltrain.distribute.engine import Engine, start_engine
from dltrain.errors import Interrupted, UserError
from dltrain.models import build_model, compile_model, make_callbacks
from dltrain.models.adapt import adapt_layers
from dltrain.models.precision import dtype_policy, float32_output, precision_policy
from dltrain.tf_quiet import keras, tf
from dltrain.training import callbacks as cbs
from dltrain.training.checks import check_monitors, default_monitor, logged_names
from dltrain.training.class_weights import class_weights
from dltrain.training.console import ConsoleProgress, stage
from dltrain.training.distributed import heartbeat_callbacks, run_worker, shard_data, smoke_steps, weights_digest
from dltrain.training.finish import finish_run
from dltrain.training.plan import Plan, make_plan
from dltrain.training.record import record_start
from dltrain.training.resume import TrainingState, restore_training
from dltrain.training.results import FitResult

@dataclass
class Trainer:
    """The models and data one run trains: built before any run directory exists."""

    model: keras.Model  # what trains: the config's model, fed preprocessed batches
    serving: keras.Model  # the same weights behind the preprocessing: what is saved
    train: TrainingData
    validation: tf.data.Dataset | None
    user_callbacks: list[keras.callbacks.Callback]
    monitor: str
    class_weight: dict[int, float] | None = None
    engine: Engine | None = None


def _build_trainer(config: Config, data: DataBundle, seed: int, verbose: int, engine: Engine,
                   epochs: int) -> Trainer:
    """Builds and compiles the model and the one that takes raw inputs, and checks what they will log."""
    keras.utils.set_random_seed(seed)  # every process of a distributed run builds the same initial weights
    stage("building the model", verbose)
    policy = precision_policy(config, verbose)
    with engine.scope(), dtype_policy(policy):
        model = build_model(config, data.input_shape, data.num_classes, data.label_encoding,
                            skip=data.extras.get("layers_in_preprocessing", 0))
        if policy != "float32":
            model = float32_output(model)
        if isinstance(model, keras.Sequential):  # Normalization, lookups ... in model.layers learn from the data
            adapt_layers(model, data.train.dataset.map(lambda x, y: x))
        stage("compiling", verbose)
        # A resume restores the variables once fit starts (TrainingState).
        compile_model(model, config, samples_per_epoch=data.n_train, epochs=epochs)
    serving = serving_model(model, data.preprocessing, data.raw_inputs(), data.target_scale)
    if serving is not model:
        # Saved with the loss, metrics and the trained optimizer's state, as the seed scripts' model.save.
        compile_model(serving, config, inference=True, optimizer=model.optimizer, samples_per_epoch=data.n_train,
                      epochs=epochs)
    user_callbacks = make_callbacks(config)
    tracking.check_available(config)
    monitor = default_monitor(config, data)
    check_monitors(config, user_callbacks, logged_names(model, data, config), monitor)
    with engine.scope():
        _build_optimizer(model)
    return Trainer(model, serving, data.train, data.validation, user_callbacks, monitor, class_weights(config, data),
                   engine)


def _build_optimizer(model: keras.Model) -> None:
    """Creates the optimizer's variables before ``fit`` traces its first step (TensorFlow).

    Without a distribution strategy, Keras's TensorFlow trainer leaves the optimizer
    unbuilt until the train step is traced (``_maybe_symbolic_build`` in
    keras/src/backend/tensorflow/trainer.py); variables created inside a
    ``tf.function``'s first trace make TensorFlow trace it a second time. Built
    here, the step is traced once: 0.4 s of a 1.9 s three-epoch run on a tiny MLP.
    JAX builds them before tracing anyway.
    """
    if keras.backend.backend() == "tensorflow" and model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def _callbacks(plan: Plan, trainer: Trainer, run_dir: Path, verbose: int, tracker,
               extra: tuple = ()) -> tuple[list, cbs.BestCheckpoint, TrainingState]:
    """Keras callbacks in the order they must run (see TrainingState: it comes last)."""
    checkpoint = cbs.BestCheckpoint(run_dir / runs.BEST, trainer.monitor, trainer.serving,
                                    defer=not trainer.engine.multi_process)
    stats = cbs.EpochStats()
    state = TrainingState(run_dir, [*trainer.user_callbacks, checkpoint], plan.saved)
    steps = smoke_steps(trainer.train.steps_per_epoch, plan.smoke)
    callbacks = [
        cbs.EpochOrder(trainer.train),
        *trainer.user_callbacks,
        stats,
        cbs.NonFiniteGuard(),
        cbs.InterruptCheck(),
        checkpoint,
        cbs.HistoryCSV(runs.HistoryFile(run_dir / runs.HISTORY), stats),
        # Per-epoch scalars only: no graph, no profiler, nothing per step.
        keras.callbacks.TensorBoard(run_dir / runs.TENSORBOARD, update_freq="epoch", write_graph=False,
                                    profile_batch=0),
        ConsoleProgress(verbose, plan.epochs, steps),
        *([tracker] if tracker else []),
        *heartbeat_callbacks(),
        *extra,  # the caller's (a tuning study's pruning): after the run's own, before the state is saved
        state,
    ]
    return callbacks, checkpoint, state


def _train(plan: Plan, trainer: Trainer, callbacks: list) -> float:
    """Keras's ``fit``, from the plan's first epoch; returns its seconds."""
    started = time.perf_counter()
    smoke_val_steps = None
    if plan.smoke and trainer.validation is not None:
        smoke_val_steps = SMOKE_BATCHES
    with signals.deferred():  # Ctrl-C and SIGTERM stop it at a batch's end (InterruptCheck), not inside TensorFlow
        trainer.model.fit(
            trainer.train.dataset,
            epochs=plan.epochs,
            initial_epoch=plan.initial_epoch,
            steps_per_epoch=smoke_steps(trainer.train.steps_per_epoch, plan.smoke) if plan.smoke else None,
            shuffle=False,  # the pipeline already reshuffles per (seed, epoch)
            validation_data=trainer.validation,
            validation_steps=smoke_val_steps,
            class_weight=trainer.class_weight,
            callbacks=callbacks,
            verbose=0,  # dltrain's ConsoleProgress prints instead
        )
    return time.perf_counter() - started


def _restore_ended(plan: Plan, trainer: Trainer, tracked: list) -> None:
    """For a run whose training had ended: its last state, then what the callbacks do at the end."""
    restore_training(plan.saved, trainer.model, tracked)
    for callback in tracked:
        if getattr(callback, "restore_best_weights", False) and getattr(callback, "best_weights", None) is not None:
            trainer.model.set_weights(callback.best_weights)  # EarlyStopping's on_train_end


def _run(plan: Plan, trainer: Trainer, data: DataBundle, run_dir: Path, status, verbose: int,
         extra: tuple = ()) -> FitResult:
    tracker = tracking.MLflowLogger(plan.config, run_dir) if plan.config.tracking.mlflow else None
    checkpoint = None
    try:
        record_start(plan, run_dir, trainer.model)
        runs.HistoryFile(run_dir / runs.HISTORY).keep_epochs_before(plan.initial_epoch)
        callbacks, checkpoint, state = _callbacks(plan, trainer, run_dir, verbose, tracker, extra)
        seconds = 0.0
        if plan.training_ended:
            _restore_ended(plan, trainer, state.tracked)
        else:
            stage(f"training from epoch {plan.initial_epoch + 1}" if plan.initial_epoch else "training", verbose)
            seconds = _train(plan, trainer, callbacks)
            signals.raise_pending()  # one that came after the last batch's check
        if trainer.engine.multi_process:
            status.update(weights_sha256=weights_digest(trainer.model))  # the other processes print theirs
        trainer.engine.release()
        return finish_run(plan, trainer, data, run_dir, status, state, checkpoint, seconds, verbose, tracker)
    except BaseException as err:
        _record_failure(plan, run_dir, status, tracker, err)
        _keep_best(plan, checkpoint, err)
        if isinstance(err, KeyboardInterrupt):
            signals.handled()
            resumable = runs.is_run_dir(run_dir) and (run_dir / runs.STATE / "latest.json").is_file()
            raise Interrupted(run_dir, getattr(err, "signal_name", "SIGINT"), resumable=resumable) from None
        if isinstance(err, OSError):
            raise runs.os_error_message(err, run_dir) from None
        raise


def _keep_best(plan: Plan, checkpoint: cbs.BestCheckpoint | None, err: BaseException) -> None:
    """Writes a best model still waiting in memory, so a failed or interrupted run's best.keras is its best."""
    if checkpoint is None or (isinstance(err, UserError) and plan.is_new):
        return  # a new run with a user's mistake is removed whole
    try:
        checkpoint.flush()
    except Exception:  # noqa: BLE001  (the run's state holds these weights; the original error matters more)
        pass


def _record_failure(plan: Plan, run_dir: Path, status, tracker, err: BaseException) -> None:
    """Keeps run.json and the tracker true for a run that stopped, whatever stopped it."""
    if isinstance(err, KeyboardInterrupt):
        how = getattr(err, "signal_name", "SIGINT")
        status.end_quietly("interrupted", f"{how} during training")
        outcome = "interrupted"
    elif isinstance(err, UserError) and plan.is_new:
        shutil.rmtree(run_dir, ignore_errors=True)  # a user's mistake leaves nothing behind
        outcome = "failed"
    elif isinstance(err, UserError):
        status.restore_quietly()  # a refused resume (a damaged state) leaves the run as it was
        outcome = "failed"
    else:
        status.end_quietly("failed", f"{type(err).__name__}: {err}"[:500])
        outcome = "failed"
    if tracker:
        tracker.finish(outcome)


def default_verbosity() -> int:
    """A live progress bar on a terminal; one line per epoch in logs and CI."""
    return 1 if sys.stdout.isatty() else 2


def fit(config: Config | None, runs_dir: str | Path = "runs", argv: list[str] | None = None,
        verbose: int | None = None, smoke: bool = False, synthetic: bool = False,
        resume: str | Path | None = None, force: bool = False,
        overrides: list[str] | tuple[str, ...] = (), callbacks: list | tuple = ()) -> FitResult:
    """Trains the model a config describes into a new run directory, or continues a run.

    Everything checkable is checked before the run directory exists, so a bad config or
    dataset leaves nothing behind; the state is saved after every epoch, so a killed run resumes.

    Args:
        config: the validated config (None to resume with the run's own).
        runs_dir: where run directories are created, and where a ``resume`` id is looked up.
        argv: the command line to record (default: ``sys.argv``).
        verbose: 0 silent, 1 a live progress bar, 2 a line per epoch (default: 1 on a terminal, else 2).
        smoke: one epoch of a couple of batches on a slice of the data, then a slice of the test set.
        synthetic: with ``smoke``, generated data of the dataset's shape and classes.
        resume: a run (directory, id or unique id prefix) to continue in place from its last
            completed epoch; ``training.epochs`` stays the total.
        force: resume even though ``config`` differs from the run's.
        overrides: with ``resume`` and no ``config``, ``--set`` overrides of the run's config (needs ``force``).
        callbacks: more Keras callbacks, run after dltrain's own; one that sets ``model.stop_training``
            ends training as EarlyStopping does (the run still completes).

    Returns:
        A :class:`FitResult`.

    Raises:
        UserError: the config, data, model or run is wrong; a new run leaves no directory behind.
        TrainingFailed: the loss or weights became NaN or infinite; the run is marked failed.
        Interrupted: Ctrl-C or SIGTERM; the run is marked interrupted.
    """
    verbose = default_verbosity() if verbose is None else verbose
    role = process_role()
    plan = make_plan(config, runs_dir, argv, smoke, synthetic, resume, force, overrides, lock=role.chief)
    try:
        check_backend(resolve_backend(plan.config))  # Keras's backend is fixed at its import (see dltrain.backend)
        if plan.config.backend == AUTO and verbose:
            print("backend auto: {} ({})".format(*auto_backend(plan.config)), flush=True)
        check_distribute(plan.config, role)
        with deterministic_ops(plan.config.training.deterministic):
            return _load_build_and_run(plan, role, verbose, tuple(callbacks))
    finally:
        plan.release()


def _load_build_and_run(plan: Plan, role, verbose: int, callbacks: tuple) -> FitResult:
    """Reads the data and builds the trainer; the chief then trains into the run directory."""
    seed = resolve_seed(plan.config)
    # Before the data: on jax, building the preprocessing layers already computes on the devices.
    engine = start_engine(plan.config, role, seed)
    stage("reading the data", verbose)
    data = load_bundle(plan.config, seed, plan.smoke, plan.synthetic)
    shard_data(data, engine, plan.config, plan.smoke)
    plan.config = plan.config.for_task(data.task)  # the run records the task and its defaults
    trainer = _build_trainer(plan.config, data, seed, verbose, engine, plan.epochs)
    if not role.chief:
        return run_worker(plan, trainer, engine, _train)
    run_dir, status = plan.open_run(data.class_names, engine.describe())
    return _run(plan, trainer, data, run_dir, status, verbose, callbacks)
