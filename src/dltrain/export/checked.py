"""Writing one export beside its final path, checking it, and only then moving it into place."""

from __future__ import annotations

import shutil
from pathlib import Path

import keras

from dltrain import runs
from dltrain.config import load_config, resolve_seed
from dltrain.data import load_bundle
from dltrain.errors import UserError
from dltrain.export import keras_file, litert, onnx, parity, savedmodel, support
from dltrain.training.evaluate import load_model


def _write_and_load(format: str, model: keras.Model, source: Path, path: Path):
    """Writes the export at ``path`` and returns its reloaded predictor."""
    if format == "keras":
        keras_file.write(source, path)
        return keras_file.load(path)
    writer = {"savedmodel": savedmodel, "onnx": onnx, "litert": litert}[format]
    writer.write(model, path)
    return onnx.load(path, model) if format == "onnx" else writer.load(path)


def _sample(run_dir: Path):
    config_path = run_dir / runs.CONFIG
    if not config_path.is_file():
        raise UserError("the run has no config to load test samples with", file=str(config_path))
    config = load_config(config_path)
    keras.utils.set_random_seed(resolve_seed(config))
    return parity.test_sample(load_bundle(config, config.seed, smoke=True))


def write_checked(run_dir: Path, source: Path, format: str, path: Path) -> tuple[int, float]:
    """Exports ``source`` to ``path`` in ``format`` and checks it against the Keras model.

    The export is written under a temporary name beside ``path`` and renamed
    onto it only once it passed; a failed export leaves nothing behind.

    Returns:
        The number of test samples compared and the largest absolute difference.

    Raises:
        UserError: the format cannot represent the model, or the export disagrees with it.
    """
    model = load_model(source)
    support.check_supported(model, format, str(source))
    x = _sample(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial{path.suffix}")
    remove(partial)
    try:
        predict = _write_and_load(format, model, source, partial)
        difference = parity.compare(format, model, predict, x)
    except UserError:
        remove(partial)
        raise
    except Exception as err:  # noqa: BLE001  (converters and runtimes raise many types)
        remove(partial)
        message = " ".join(str(err).split())[:300]
        raise UserError(f"the {format} export failed ({type(err).__name__}: {message})", file=str(source)) from None
    remove(path)
    partial.rename(path)
    return len(keras.tree.flatten(x)[0]), difference


def remove(path: Path) -> None:
    """Removes an export, a file or a SavedModel folder."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
