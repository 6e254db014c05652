"""Exporting a run's model to another format, every export checked against the Keras model.

``export(run, format)`` writes ``<run>/exports/<model><suffix>`` through
Keras's own export, reloads it with the format's own runtime, compares its
predictions with the Keras model's on raw test samples and records the
largest absolute difference in ``<run>/export.json``. An export over its
format's tolerance is removed and fails. Formats that cannot represent a model
are refused before anything is written (:mod:`dltrain.export.support`).

Example:
    >>> result = export("runs/20261125-151738-digits_mlp", "onnx")
    >>> result.max_abs_diff < result.tolerance
    True
"""

from __future__ import annotations

import importlib.util
from dataclasses import asdict, dataclass
from pathlib import Path

from dltrain import runs
from dltrain.errors import UserError

FORMATS = ("savedmodel", "onnx", "litert", "keras")
MODELS = {"final": runs.MODEL, "best": runs.BEST}
EXTRAS = {"onnx": ("onnx", ("tf2onnx", "onnx", "onnxruntime")), "litert": ("litert", ("ai_edge_litert",))}


@dataclass
class ExportResult:
    """One checked export.

    Attributes:
        run_dir: the run exported.
        format: savedmodel, onnx, litert or keras.
        model: the run's model file exported (model.keras or best.keras).
        path: the exported file (a folder for savedmodel).
        samples: raw test samples the parity check ran on.
        max_abs_diff: the largest absolute difference from the Keras model's predictions.
        tolerance: the format's allowed difference.
    """

    run_dir: Path
    format: str
    model: str
    path: Path
    samples: int
    max_abs_diff: float
    tolerance: float

    def as_dict(self) -> dict:
        """JSON-ready, as ``export.json`` holds it."""
        return {**asdict(self), "run_dir": str(self.run_dir), "path": str(self.path)}


def _check_request(format: str, model: str) -> None:
    if format not in FORMATS:
        raise UserError(f"unknown export format {format!r}; expected one of: {', '.join(FORMATS)}")
    if model not in MODELS:
        raise UserError(f"unknown model {model!r}; expected final (model.keras) or best (best.keras)")
    extra, modules = EXTRAS.get(format, (None, ()))
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(f"the {format} export needs {', '.join(missing)}: pip install 'dltrain[{extra}]'")


def export(run: str | Path, format: str, runs_dir: str | Path = "runs", model: str = "final",
           output: str | Path | None = None) -> ExportResult:
    """Exports a run's model, reloads the export and checks its predictions against the Keras model's.

    Args:
        run: a run directory, id or unique id prefix (looked up in ``runs_dir``).
        format: ``savedmodel``, ``onnx``, ``litert`` or ``keras``.
        runs_dir: where run ids are looked up.
        model: ``final`` (``model.keras``) or ``best`` (``best.keras``).
        output: where to write the export (default: ``<run>/exports/<model><suffix>``).

    Returns:
        An :class:`ExportResult`, also recorded in ``<run>/export.json`` under its path.

    Raises:
        UserError: no such run or model, a missing optional package, a model
            the format cannot represent, or an export that disagrees with the
            Keras model (then removed).
    """
    _check_request(format, model)
    run_dir = runs.find_run(runs_dir, run)
    from dltrain.export.checked import write_checked

    source = run_dir / MODELS[model]
    path = Path(output) if output is not None else run_dir / runs.EXPORTS / (source.stem + _suffix(format))
    samples, difference = write_checked(run_dir, source, format, path)
    from dltrain.export.parity import TOLERANCES

    result = ExportResult(run_dir, format, source.name, path, samples, difference, TOLERANCES[format])
    _record(result)
    return result


def _suffix(format: str) -> str:
    return {"savedmodel": "_savedmodel", "onnx": ".onnx", "litert": ".tflite", "keras": ".keras"}[format]


def _record(result: ExportResult) -> None:
    """Adds the export to the run's ``export.json``, keyed by the exported path."""
    path = result.run_dir / runs.EXPORT
    try:
        exports = runs.read_json_if_present(path) or {}
        key = result.path.resolve()
        key = key.relative_to(result.run_dir.resolve()) if key.is_relative_to(result.run_dir.resolve()) else key
        exports[str(key)] = {**result.as_dict(), "at": runs.now()}
        runs.write_json(path, exports)
    except OSError as err:
        raise runs.os_error_message(err, path) from None


__all__ = ["FORMATS", "ExportResult", "export"]
