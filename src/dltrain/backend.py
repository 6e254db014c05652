"""Choosing the Keras backend before Keras is imported.

Keras reads ``KERAS_BACKEND`` once, when ``keras`` is first imported
(``keras/src/backend/config.py``); after that the backend of the process is
fixed. So the CLI reads the config (which imports no Keras), calls
:func:`use_backend`, and only then imports the training code. In library
use, where Keras may already be imported, :func:`check_backend` refuses a
config asking for another backend instead of silently training on the wrong one.

This module imports only the standard library (and the config and run
helpers, which import no Keras).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dltrain.errors import UserError

if TYPE_CHECKING:
    from dltrain.config import Config

BACKENDS = ("tensorflow", "jax")
DEFAULT = "tensorflow"
AUTO = "auto"
# Layers whose training is dense matrix products, nothing else: the models for which jax's epoch was
# measured shorter than TensorFlow's (bench/RESULTS.md, the MLP: 0.90x). For convolutions the two
# measured equal (the CNN: 1.00x), and TensorFlow starts about a second sooner (jax is imported
# beside it, since the data pipeline is tf.data on both).
DENSE_LAYERS = frozenset({"Dense", "Dropout", "Flatten", "Activation", "ReLU", "Softmax", "Rescaling",
                          "Normalization", "Reshape", "BatchNormalization", "LayerNormalization"})
# A jax process starts later (it imports jax beside TensorFlow and compiles its steps anew): for the seed
# MLP on Fashion-MNIST it saved 0.23 s per 60,000-sample epoch and lost 1.6 s of start-up (bench/RESULTS.md:
# 4 epochs took 23.9 s of process wall on jax, 22.3 s on TensorFlow), so it pays off from about 7 such
# epochs: 420,000 samples × epochs.
AUTO_JAX_MIN_SAMPLE_EPOCHS = 500_000
# Built-in in-memory sets: training samples (at most: scikit-learn's are split into train/validation/test).
ARRAY_DATASETS = {"mnist": 60_000, "fashion_mnist": 60_000, "cifar10": 50_000, "cifar100": 50_000,
                  "digits": 1_797, "iris": 150, "wine": 178, "breast_cancer": 569, "diabetes": 442}


def loaded_backend() -> str | None:
    """The backend of the Keras already imported in this process, or None if Keras is not imported."""
    keras = sys.modules.get("keras")
    if keras is None:
        return None
    return keras.backend.backend()


def _wrong_backend(wanted: str, loaded: str) -> UserError:
    return UserError(f"the config asks for backend {wanted}, but Keras is already imported in this process "
                     f"with backend {loaded}; a process has one Keras backend. Run it in a new process "
                     f"(dltrain fit does), or set KERAS_BACKEND={wanted} before importing keras",
                     key="backend")


def use_backend(name: str) -> None:
    """Makes ``name`` the backend Keras will load (sets ``KERAS_BACKEND``).

    Raises:
        UserError: Keras is already imported with another backend.
    """
    if name not in BACKENDS:
        raise UserError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}", key="backend")
    loaded = loaded_backend()
    if loaded is not None and loaded != name:
        raise _wrong_backend(name, loaded)
    os.environ["KERAS_BACKEND"] = name


def check_backend(name: str) -> None:
    """Refuses a config whose backend is not the one Keras runs on in this process.

    Raises:
        UserError: Keras is imported with another backend.
    """
    loaded = loaded_backend()
    if loaded is not None and loaded != name:
        raise _wrong_backend(name, loaded)


def _dense_only(config: Config) -> bool:
    """Whether the config's model is made of dense layers only (see DENSE_LAYERS)."""
    model = config.model
    if model.type == "mlp":
        return True
    layers = getattr(model, "layers", None) or []
    return bool(layers) and all(layer.name in DENSE_LAYERS for layer in layers)


def _array_samples(config: Config) -> int | None:
    """Training samples of an in-memory array dataset, where known before loading it (else None)."""
    data = config.data
    if data.dataset in ARRAY_DATASETS:
        return ARRAY_DATASETS[data.dataset]
    if data.dataset == "npz" and data.path:
        try:  # the header only: np.load reads an array's data when it is indexed, not before
            import numpy as np

            with np.load(data.path, mmap_mode="r", allow_pickle=False) as arrays:
                return int(arrays["x_train"].shape[0]) if "x_train" in arrays.files else None
        except (OSError, ValueError, KeyError):
            return None  # fit reports the file's problem with its own message
    return None


def auto_backend(config: Config) -> tuple[str, str]:
    """The backend ``backend: auto`` trains on, and why: Keras's, when this process has imported it
    already (a process has one backend), else :func:`measured_backend`'s choice."""
    loaded = loaded_backend()
    if loaded is not None:
        return loaded, f"Keras is already imported in this process with backend {loaded}"
    return measured_backend(config)


def measured_backend(config: Config) -> tuple[str, str]:
    """The faster backend for a config as measured on a CPU, and why, from the config alone (no Keras import).

    jax where it was measured faster: dense-only models on an in-memory array
    large enough that its per-process compilation pays off. TensorFlow
    everywhere else: equal or unmeasured, and quicker to start. multi_worker
    always gets jax (its only engine).
    """
    if config.training.distribute == "multi_worker":
        return "jax", "training.distribute: multi_worker trains on jax"
    if importlib.util.find_spec("jax") is None:
        return "tensorflow", "jax is not installed (pip install 'dltrain[jax]')"
    if not _dense_only(config):
        return "tensorflow", "the model is not dense-only: TensorFlow's epoch measured equal to jax's, and it starts sooner"
    samples = _array_samples(config)
    if samples is None:
        return "tensorflow", "jax was measured faster on in-memory arrays only, not on this dataset's pipeline"
    work = samples * config.training.epochs
    if work < AUTO_JAX_MIN_SAMPLE_EPOCHS:
        return "tensorflow", (f"{samples:,} samples × {config.training.epochs} epochs is too little work for jax's "
                              "compilation to pay off")
    return "jax", "dense layers on in-memory arrays: jax's epoch measured 0.9× TensorFlow's"


def resolve_backend(config: Config) -> str:
    """The backend a config trains on: its ``backend``, or :func:`auto_backend`'s choice for ``auto``."""
    return auto_backend(config)[0] if config.backend == AUTO else config.backend


def backend_of_run(runs_dir: str | Path, resume: str | None) -> str:
    """The backend a run was trained with (from its run.json, else its config.yaml), for ``fit --resume``.

    A run whose config cannot be read gets the default: ``fit`` then reports
    the damage itself, with its own message.
    """
    from dltrain import runs
    from dltrain.config import load_config

    if resume is None:
        return DEFAULT  # fit then says it needs a CONFIG or --resume
    try:
        run_dir = runs.find_run(Path(runs_dir), resume)
        recorded = (runs.read_json_if_present(run_dir / runs.RUN) or {}).get("backend")
        if recorded in BACKENDS:  # what `backend: auto` chose when the run started
            return recorded
        return resolve_backend(load_config(run_dir / runs.CONFIG))
    except (UserError, OSError):
        return DEFAULT
