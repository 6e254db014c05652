"""Predictions of a trained run on new inputs, written as a CSV.

The run's saved model takes raw inputs (it carries the preprocessing), so
:func:`predict` reads the inputs as raw as the training data was
(:mod:`dltrain.predict.inputs`), batches them through ``tf.data``, and writes
one row per input (:mod:`dltrain.predict.writing`): its id, the predicted
class name (or value, for a regression) and each class's probability.

Example:
    >>> from dltrain.predict import predict
    >>> result = predict("runs/20261125-161521-digits_mlp", ["new_digits.npz"])
    >>> result.output  # runs/.../predictions-20261125-162000.csv
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dltrain import runs
from dltrain.config import load_config
from dltrain.errors import UserError
from dltrain.predict import writing
from dltrain.predict.inputs import Expects, Inputs, expand, image_decoder, read_inputs
from dltrain.tf_quiet import tf
from dltrain.training.evaluate import load_model

MODELS = {"final": runs.MODEL, "best": runs.BEST}
FIRST_ROWS = 5  # rows shown by the command and kept in the result
PROGRESS_BATCHES = 20  # inputs of more batches than this show Keras's progress bar


@dataclass
class PredictResult:
    """What :func:`predict` wrote: the CSV, how many inputs, and its first rows."""

    output: Path
    inputs: int
    model: Path
    columns: list[str]
    first_rows: list[list] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The result as JSON-ready data (``dltrain predict --json``)."""
        return {"status": "ok", "output": str(self.output), "inputs": self.inputs, "model": str(self.model),
                "columns": self.columns, "first_rows": [dict(zip(self.columns, r)) for r in self.first_rows]}


def predict(run: str | Path, inputs: list[str | Path], output: str | Path | None = None, model: str = "final",
            top_k: int | None = None, runs_dir: str | Path = "runs", verbose: int | None = None) -> PredictResult:
    """Predicts on new inputs with a run's saved model and writes the predictions as a CSV.

    Args:
        run: a run directory, id or unique id prefix (looked up in ``runs_dir``).
        inputs: ``.npz`` files (an ``x`` or ``x_test`` array), CSV tables (the label
            column may be absent), image or text files, or folders of them.
        output: the CSV to write; default ``predictions-<time>.csv`` in the run directory.
        model: ``final`` (``model.keras``) or ``best`` (``best.keras``).
        top_k: write the k most probable classes and their probabilities instead
            of every class's probability (classification only).
        runs_dir: where run ids are looked up.
        verbose: 0 for no progress bar; default: a bar for inputs of many batches.

    Returns:
        The CSV written, the number of inputs and the first rows.

    Raises:
        UserError: no such run or model file, an input that is missing or not of
            the shape, type or columns the model takes, or a bad ``top_k``.
    """
    run_dir = runs.find_run(runs_dir, str(run))
    if model not in MODELS:
        raise UserError(f"--model is {model!r}; expected one of: {', '.join(MODELS)}")
    if not inputs:
        raise UserError("no input given; name .npz, .csv, image or text files, or folders of them")
    config = load_config(run_dir / runs.CONFIG)
    classes = [str(c) for c in runs.read_json(run_dir / runs.RUN).get("classes") or []]
    _check_top_k(top_k, classes)
    keras_model = load_model(run_dir / MODELS[model])
    expects = Expects.of(keras_model, config)
    samples = read_inputs(expand([Path(p) for p in inputs], expects), expects, config)
    outputs = _outputs(keras_model, samples, expects, config.training.batch_size, verbose)
    path = Path(output) if output is not None else writing.default_path(run_dir)
    columns, table = writing.header(classes, top_k), writing.rows(samples.ids, outputs, classes, top_k)
    try:
        writing.write_csv(path, columns, table)
    except OSError as err:
        raise UserError(f"cannot write the predictions ({err.strerror}); choose another -o path",
                        file=str(path)) from None
    return PredictResult(path, len(samples.ids), run_dir / MODELS[model], columns, table[:FIRST_ROWS])


def _check_top_k(top_k: int | None, classes: list[str]) -> None:
    if top_k is None:
        return
    if not classes:
        raise UserError(f"--top-k {top_k} was given but the run is a regression; leave --top-k out")
    if not 1 <= top_k <= len(classes):
        raise UserError(f"--top-k is {top_k}; the run has {len(classes)} classes: give 1 to {len(classes)}")


def _outputs(model, samples: Inputs, expects: Expects, batch_size: int, verbose: int | None) -> np.ndarray:
    """The model's outputs on the samples, batched through ``tf.data`` in order."""
    ds = tf.data.Dataset.from_tensor_slices(samples.x)
    if samples.images:
        ds = ds.map(image_decoder(expects), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    if verbose is None:
        verbose = 1 if len(samples.ids) > PROGRESS_BATCHES * batch_size else 0
    try:
        return np.asarray(model.predict(ds, verbose=verbose))
    except tf.errors.InvalidArgumentError as err:  # an image that passed its header check but does not decode
        message = " ".join(str(err.message).split())[:160]
        raise UserError(f"an input could not be read as the model's input ({message})",
                        file=samples.ids[0] if len(samples.ids) == 1 else None) from None
