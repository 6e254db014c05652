"""Optional experiment tracking with MLflow.

Off unless a config sets ``tracking.mlflow``; dltrain works without mlflow
installed. Params are the flattened resolved config, metrics are logged per
epoch (``step`` = epoch), and the run directory's files (plots, report,
history, models) become the MLflow run's artifacts. A resumed dltrain run
continues its MLflow run.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from dltrain.config import Config, flatten
from dltrain.errors import UserError, format_key
from dltrain.tf_quiet import keras

MLFLOW_RUN = "mlflow.json"
_NOT_ARTIFACTS = {"state", "tensorboard"}


def _mlflow():
    try:
        import mlflow
    except ImportError:
        raise UserError("tracking.mlflow is set but MLflow is not installed: pip install mlflow-skinny "
                        "(or mlflow), or remove tracking.mlflow") from None
    logging.getLogger("mlflow").setLevel(logging.WARNING)  # its INFO lines are noise in a training log
    return mlflow


def check_available(config: Config) -> None:
    """Fails before any run directory exists if tracking is asked for but impossible."""
    if config.tracking.mlflow is not None:
        _mlflow()


def _params(config: Config) -> dict[str, str]:
    """The resolved config as MLflow params: one per key path, values as text."""
    return {
        format_key(path): (value if isinstance(value, str) else json.dumps(value))[:500]  # MLflow's limit
        for path, value in flatten(config.resolved()).items()
    }


class MLflowLogger(keras.callbacks.Callback):
    """Logs a dltrain run to MLflow: params at the start, metrics every epoch."""

    def __init__(self, config: Config, run_dir: Path):
        super().__init__()
        self.mlflow = _mlflow()
        settings = config.tracking.mlflow
        if settings.uri.startswith("file:") or "://" not in settings.uri:
            # MLflow 3 keeps its file store only behind this switch; a user who
            # names a file URI has chosen it.
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        self.mlflow.set_tracking_uri(settings.uri)
        self.mlflow.set_experiment(settings.experiment or config.name)
        self.run_dir = run_dir
        marker = run_dir / MLFLOW_RUN
        previous = json.loads(marker.read_text())["run_id"] if marker.is_file() else None
        self.run = self.mlflow.start_run(run_id=previous, run_name=None if previous else run_dir.name)
        marker.write_text(json.dumps({"run_id": self.run.info.run_id, "uri": settings.uri}))
        if previous is None:
            self.mlflow.log_params(_params(config))
            self.mlflow.set_tags({"dltrain.run_dir": str(run_dir.resolve())})

    def on_epoch_end(self, epoch, logs=None):
        metrics = {k: float(v) for k, v in (logs or {}).items() if isinstance(v, (int, float)) or hasattr(v, "__float__")}
        self.mlflow.log_metrics(metrics, step=epoch)

    def finish(self, status: str) -> None:
        """Logs the run directory's files and closes the MLflow run."""
        if status == "completed":
            for path in sorted(self.run_dir.iterdir()):
                if path.is_file():
                    self.mlflow.log_artifact(str(path))
                elif path.name not in _NOT_ARTIFACTS:
                    self.mlflow.log_artifacts(str(path), artifact_path=path.name)
        mlflow_status = {"completed": "FINISHED", "interrupted": "KILLED"}.get(status, "FAILED")
        self.mlflow.end_run(status=mlflow_status)
