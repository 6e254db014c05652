"""Hyperparameter search on Optuna: ``dltrain tune`` (needs ``pip install 'dltrain[tune]'``).

=============== ===============================================================
``session``     one ``tune``: open or continue the study, run trials, write the study directory
``study``       the Optuna storage, sampler and pruner, resuming, failing killed trials, counts
``space``       ``search.space`` as Optuna suggestions, trial values as ``--set`` overrides
``trial``       one trial = one ordinary run through ``dltrain.training.fit``; pruning per epoch
``runner``      trials in one process until the study has enough
``workers``     ``--jobs N``: worker processes sharing the storage
``report``      the study directory: trials table, best config, HTML report
``plots``       Optuna's matplotlib plots as PNGs
=============== ===============================================================

The search section itself is part of the config (:mod:`dltrain.config.search`).
Importing this package imports neither Optuna nor TensorFlow.

Example::

    from dltrain.tune import tune

    result = tune("configs/digits_tune.yaml", trials=20)
    print(result.best, result.best_config)
"""

from dltrain.tune.session import StudyInterrupted, TuneResult, tune

__all__ = ["StudyInterrupted", "TuneResult", "tune"]
