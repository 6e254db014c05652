"""Training: fit, evaluate and reproduce runs (imports TensorFlow).

=============== ===============================================================
``fit``         the pipeline: data → model → Keras ``fit`` → final model → metrics
``plan``        new run, smoke run or resume, decided before the pipeline runs
``callbacks``   dltrain's Keras callbacks (data order, epoch facts, history, divergence, best checkpoint)
``resume``      the per-epoch state a resume restores; callback state by identity
``finish``      the final model, test metrics of the final and best models, the report
``evaluate``    test metrics of a saved model on raw test data
``reproduce``   re-run a finished run and compare
``checks``      what is checked before a run directory exists
``record``      what a run records before its first epoch
``console``     what training prints while it runs
``results``     the result types the commands return
=============== ===============================================================
"""

from dltrain.training.checks import check_build
from dltrain.training.evaluate import evaluate, load_model
from dltrain.training.fit import fit
from dltrain.training.reproduce import reproduce
from dltrain.training.results import REPRODUCE_TOLERANCE, EvalResult, FitResult, ReproduceResult

__all__ = ["REPRODUCE_TOLERANCE", "EvalResult", "FitResult", "ReproduceResult", "check_build", "evaluate", "fit",
           "load_model", "reproduce"]
