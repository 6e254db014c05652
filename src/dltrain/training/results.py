"""What the training commands return: plain data the CLI prints or dumps as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FitResult:
    """What a finished ``fit`` produced.

    ``test_metrics`` describe the final model (``model.keras``: the weights
    after the last epoch, or the best epoch's when EarlyStopping restored
    them); ``best_test_metrics`` describe ``best.keras``, the checkpoint of
    the best ``monitor`` value, at ``best_epoch``.
    """

    run_dir: Path
    history: dict[str, list[float]]
    test_metrics: dict[str, float]
    monitor: str
    best_value: float | None
    epochs_run: int
    seconds: float
    parameters: int = 0
    smoke: bool = False
    epochs_planned: int = 0
    stopped_early: bool = False
    best_epoch: int | None = None
    best_test_metrics: dict[str, float] | None = None
    restored_best_weights: bool = False
    weights_sha256: str | None = None  # a multi-process run: the trained weights' digest, the same on every process

    def as_dict(self) -> dict:
        """The result as JSON-ready data (for ``--json``)."""
        extra = {"weights_sha256": self.weights_sha256} if self.weights_sha256 else {}
        return {**extra,
            "status": "completed",
            "run_dir": str(self.run_dir),
            "smoke": self.smoke,
            "epochs": self.epochs_run,
            "epochs_planned": self.epochs_planned,
            "stopped_early": self.stopped_early,
            "seconds": round(self.seconds, 3),
            "parameters": self.parameters,
            "best": {"monitor": self.monitor, "value": self.best_value, "epoch": self.best_epoch,
                     "test": self.best_test_metrics},
            "test": self.test_metrics,
            "test_model": "model.keras",
        }


@dataclass
class EvalResult:
    """Test metrics of a saved model, and where they were written."""

    model_path: Path
    metrics: dict[str, float]
    written_to: Path
    fit_metrics: dict[str, float] | None = field(default=None)

    def as_dict(self) -> dict:
        """The result as JSON-ready data (for ``--json``)."""
        return {"status": "completed", "model": str(self.model_path), "test": self.metrics,
                "at_fit": self.fit_metrics, "written_to": str(self.written_to)}


# How far a non-deterministic re-run's test metrics may drift (absolute): thread
# scheduling changes float sums, so two runs of one seed differ slightly.
REPRODUCE_TOLERANCE = 0.02


@dataclass
class ReproduceResult:
    """A re-run of a finished run's config, compared with the original."""

    original_dir: Path
    rerun: FitResult
    original_metrics: dict[str, float]
    tolerance: float

    @property
    def matches(self) -> bool:
        """True if every test metric agrees within the tolerance (exactly when 0)."""
        return all(
            name in self.rerun.test_metrics and abs(self.rerun.test_metrics[name] - value) <= self.tolerance
            for name, value in self.original_metrics.items()
        )

    def as_dict(self) -> dict:
        """The comparison as JSON-ready data."""
        return {"status": "completed", "original": str(self.original_dir), "rerun": str(self.rerun.run_dir),
                "tolerance": self.tolerance, "matches": self.matches,
                "test": {"original": self.original_metrics, "rerun": self.rerun.test_metrics}}
