"""Run directories: the one owner of everything under ``runs/``.

A run directory is ``<runs>/<YYYYmmdd-HHMMSS>-<config name>`` (``-2``, ``-3``
... when two runs start in the same second; ``-smoke`` for smoke runs, which
``run.json`` also marks). Only this package names, writes and reads its files;
everything else asks it. Its files, all plain:

======================== ==========================================================
``config.yaml``          the resolved config, every default filled in
``run.json``             status (running, completed, failed, interrupted), times, resumes
``.lock``                held by the process writing the run (one at a time)
``environment.json``     dltrain/TensorFlow/Keras/Python versions, seed, command, git commit
``summary.txt``          the model summary
``history.csv``          one row per epoch: losses, metrics, learning rate, epoch seconds
``best.keras``           the best checkpoint by ``training.monitor``; takes raw inputs
``state/``               the last completed epoch's full state, for ``--resume``
``model.keras``          the final model; takes raw inputs (it carries the preprocessing)
``metrics.json``         test metrics of the final and the best model
``evaluate.json``        written by ``dltrain evaluate``
``predictions.npz``      the test set's true and predicted classes, and the class names
``curves.png``           learning curves: each loss and metric, train and validation, and the learning rate
``confusion_matrix.png`` counts and normalized, with class names (classification)
``predicted_vs_true.png`` predicted against true values, and residuals (regression)
``roc_pr.png``           ROC and precision-recall curves (two classes)
``per_class.json``       precision, recall, F1 and support per class (scikit-learn)
``report.html``          all of it in one self-contained page
``tensorboard/``         TensorBoard logs: ``tensorboard --logdir runs``
``exports/``             written by ``dltrain export``: the exported models
``export.json``          each export's format, path and parity with the Keras model
======================== ==========================================================
"""

from dltrain.runs.catalog import RunInfo, find_run, list_runs, remove_run, run_info, runs_to_clean
from dltrain.runs.files import (
    atomic,
    now,
    os_error_message,
    read_json,
    read_json_if_present,
    read_text_if_present,
    write_json,
    write_text,
)
from dltrain.runs.history import HistoryFile, read_history
from dltrain.runs.predictions import read_predictions, read_probabilities, write_predictions
from dltrain.runs.layout import (
    BEST,
    BINARY_CURVES,
    CONFIG,
    CONFUSION,
    CURVES,
    ENVIRONMENT,
    EVALUATION,
    EXPORT,
    EXPORTS,
    HISTORY,
    LOCK,
    METRICS,
    MODEL,
    PER_CLASS,
    PREDICTIONS,
    REGRESSION_PLOT,
    REPORT,
    RUN,
    STATE,
    STUDIES,
    SUMMARY,
    TENSORBOARD,
    create_run_dir,
    is_run_dir,
)
from dltrain.runs.status import RunLock, RunStatus, current_status, is_locked, process_alive

__all__ = [
    "BEST", "BINARY_CURVES", "CONFIG", "CONFUSION", "CURVES", "ENVIRONMENT", "EVALUATION", "EXPORT", "EXPORTS", "HISTORY", "LOCK", "METRICS", "MODEL",
    "PER_CLASS", "PREDICTIONS", "REGRESSION_PLOT", "REPORT", "RUN", "STATE", "STUDIES", "SUMMARY", "TENSORBOARD",
    "HistoryFile", "RunInfo", "RunLock", "RunStatus",
    "atomic", "create_run_dir", "current_status", "find_run", "is_locked", "process_alive", "is_run_dir", "list_runs", "now",
    "os_error_message", "read_history", "read_json", "read_json_if_present", "read_predictions", "read_probabilities",
    "read_text_if_present", "remove_run", "run_info", "runs_to_clean", "write_json", "write_predictions",
    "write_text",
]
