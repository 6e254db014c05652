"""Compiling: the config's loss, metrics and optimizer through Keras's registries, and XLA."""

from __future__ import annotations

from typing import Any

from dltrain.config import Config, KerasObject
from dltrain.models.arguments import _check_argument_names, _check_argument_types
from dltrain.models.errors import _first_line
from dltrain.models.objects import keras_arguments
from dltrain.tf_quiet import keras


def _resolve(module: Any, spec: KerasObject, config: Config, *path: str | int):
    """A Keras loss or metric from its registry (the config ensures only classes take arguments)."""
    try:
        if not spec.kwargs:
            return module.get(spec.name)
        return module.get({"class_name": spec.name, "config": spec.kwargs})
    except (TypeError, ValueError) as err:
        raise config.error(f"{spec.name}: {_first_line(err)}", *path) from None


def _optimizer_class(name: str) -> type | None:
    """The optimizer class a name resolves to (None for names Keras alone resolves)."""
    try:
        found = keras.optimizers.get(name)
    except (TypeError, ValueError):
        return None
    return type(found)


def make_optimizer(config: Config) -> keras.optimizers.Optimizer:
    """The configured optimizer; objects in its arguments (a learning-rate schedule) built through Keras."""
    spec = config.optimizer
    kwargs = keras_arguments(config, spec.kwargs, "optimizer", spec.name)
    try:
        cls = _optimizer_class(spec.name)
        if cls is not None:
            _check_argument_names(cls, spec.kwargs, keras.optimizers.Optimizer)
            # A nested object (`learning_rate: {ExponentialDecay: {...}}`) is no number: Keras checks it.
            _check_argument_types(cls, {k: v for k, v in spec.kwargs.items() if not isinstance(v, dict)},
                                  keras.optimizers.Optimizer)
        return keras.optimizers.get({"class_name": spec.name, "config": kwargs})
    except (TypeError, ValueError) as err:
        raise config.error(f"{spec.name}: {_first_line(err)}", "optimizer") from None


# Layers XLA compiles well on CPU. Measured here (2-core CPU, TF 2.21): the seed
# MLP trains ~40 % faster per epoch with XLA and steps_per_execution=32; the
# seed CNN ~75 % slower (tensorflow#58142). Anything else stays off.
XLA_FRIENDLY = {"Dense", "Dropout", "Flatten", "Activation", "BatchNormalization", "Reshape", "InputLayer"}

# Compiling with XLA costs seconds before the first step: measured here (2 cores, TF 2.21),
# 1.5-3 s more in the seed MLP's first epoch and 8-10 s in the digits MLP's, whose steps XLA
# did not make faster at all (its matrices are too small). The seed MLP's ~5 s epoch (241
# GFLOP of training) saves ~40 %, so the compile is repaid within about one such epoch:
# below this much training arithmetic (smoke runs, small tables, tests) XLA stays off.
XLA_MIN_TRAINING_FLOPS = 250e9


def training_flops(model: keras.Model, samples_per_epoch: int, epochs: int) -> float:
    """The arithmetic of training a dense model: ~2 FLOPs per parameter and sample forward, 3x that to train."""
    return 6.0 * model.count_params() * samples_per_epoch * epochs


def use_xla(config: Config, model: keras.Model, samples_per_epoch: int | None = None,
            epochs: int | None = None) -> bool:
    """Whether to compile with XLA: the config's choice, or what measured faster ('auto').

    Args:
        config: the validated config.
        model: the built model.
        samples_per_epoch: the training samples of one epoch; with it, ``auto``
            also keeps XLA off for a training too short to repay the compile.
        epochs: the epochs this fit trains (default: the config's).
    """
    choice = config.training.jit_compile
    if choice != "auto":
        return bool(choice)
    epochs = config.training.epochs if epochs is None else epochs
    if keras.backend.backend() == "jax":
        # Un-jitted, JAX runs a step op by op and compiles each op on first use: a smoke run of the
        # digits MLP took 28 s of CPU that way against 25 s jitted, and every later step is slower.
        return True
    if config.training.deterministic:
        return False
    if config.training.distribute == "mirrored" and keras.backend.backend() == "tensorflow":
        # XLA cannot reach MirroredStrategy's per-device variables from one device (TensorFlow's XLA
        # known issues, "tf.Variable on a different device"; seen here with two logical CPUs, TF 2.21).
        return False
    if not all(type(layer).__name__ in XLA_FRIENDLY for layer in model.layers):
        return False
    return samples_per_epoch is None or training_flops(model, samples_per_epoch, epochs) >= XLA_MIN_TRAINING_FLOPS


# Keras's TensorFlow trainer runs steps_per_execution > 1 as a traced tf.while_loop
# (multi_step_on_iterator, keras/src/backend/tensorflow/trainer.py), whose tracing costs more than one
# step's: measured here (2 cores, TF 2.21, Keras 3.15.1) with the digits MLP, 32 steps per execution
# cost ~0.9 s more before the first step and saved ~2.6 ms a batch, so it repays itself after ~350
# batches (2 epochs: 3.83 s against 3.15 s with 1; 10 epochs: 4.77 s against 5.00 s). On JAX the steps
# are one jitted step called in a Python loop: nothing more to compile.
MULTI_STEP_MIN_BATCHES = 400


def steps_per_execution(config: Config, samples_per_epoch: int | None = None, epochs: int | None = None) -> int:
    """The steps per execution to compile with: the config's number, or what ``auto`` measured faster.

    Args:
        config: the validated config.
        samples_per_epoch: the training samples of one epoch; with it, ``auto`` runs one step per
            execution on TensorFlow for a training of fewer than :data:`MULTI_STEP_MIN_BATCHES` batches.
        epochs: the epochs this fit trains (default: the config's).

    Under TensorFlow's MirroredStrategy it is 1: Keras 3.15.1's multi-step loop failed there ("You
    must feed a value for placeholder tensor", two logical CPUs, TF 2.21); the updates are the same.
    """
    if config.training.distribute == "mirrored" and keras.backend.backend() == "tensorflow":
        return 1
    choice = config.training.steps_per_execution
    if choice != "auto":
        return choice
    if keras.backend.backend() == "tensorflow" and samples_per_epoch is not None:
        epochs = config.training.epochs if epochs is None else epochs
        if samples_per_epoch * epochs < MULTI_STEP_MIN_BATCHES * config.training.batch_size:
            return 1
    return 32


def compile_model(model: keras.Model, config: Config, inference: bool = False,
                  optimizer: keras.optimizers.Optimizer | None = None,
                  samples_per_epoch: int | None = None, epochs: int | None = None) -> keras.Model:
    """Compiles a model with the config's loss, optimizer and metrics.

    Args:
        model: the model.
        config: the validated config.
        inference: the model is only evaluated and saved (the model that
            takes raw inputs): no XLA, so what Keras alone computes after
            loading it is what the run reports.
        optimizer: an optimizer to share (the trained model's, so the saved
            model carries its state); default: a new one from the config.
        samples_per_epoch: the training samples per epoch, for ``jit_compile:
            auto`` (see :func:`use_xla`).
        epochs: the epochs this fit trains, for ``auto`` (default: the config's).
    """
    jit = use_xla(config, model, samples_per_epoch, epochs)
    if inference and keras.backend.backend() != "jax":
        # No XLA for inference on TensorFlow: what Keras alone computes after loading the model is what
        # the run reports. JAX has no other way to compile than jit.
        jit = False
    loss = _resolve(keras.losses, config.loss, config, "loss")
    metrics = [
        m.name if not m.kwargs else _resolve(keras.metrics, m, config, "metrics", i)
        for i, m in enumerate(config.metrics)
    ]
    model.compile(
        optimizer=optimizer or make_optimizer(config),
        loss=loss,
        metrics=metrics,
        steps_per_execution=steps_per_execution(config, samples_per_epoch, epochs),
        jit_compile=jit,
    )
    return model


# Callbacks whose arguments are Python functions, which a config cannot hold.
