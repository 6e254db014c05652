"""The study's plots, drawn by Optuna's own matplotlib visualizations, as PNGs in the study directory.

A plot that the study cannot have yet (importances before two completed
trials, a parallel-coordinate plot of one parameter) is left out with its
reason, never an error: the study's table and best config matter more.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from dltrain.runs import atomic

PLOTS = {
    "history.png": "optimization history",
    "importances.png": "parameter importances",
    "parallel.png": "parallel coordinates",
    "slice.png": "slices",
    "intermediate.png": "epoch values (pruning)",
}


def _figure(axes):
    """The figure of what an Optuna matplotlib plot returns (one Axes, or an array of them)."""
    import numpy as np

    return np.ravel(axes)[0].figure


def _draw(name: str, study):
    from optuna.visualization import matplotlib as plots

    if name == "history.png":
        return plots.plot_optimization_history(study)
    if name == "importances.png":
        return plots.plot_param_importances(study)
    if name == "parallel.png":
        return plots.plot_parallel_coordinate(study)
    if name == "slice.png":
        return plots.plot_slice(study)
    return plots.plot_intermediate_values(study)


def _wanted(study) -> list[str]:
    from optuna.trial import TrialState

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    params = {key for trial in complete for key in trial.params}
    names = ["history.png"]
    if len(complete) >= 2 and params:
        names += ["importances.png", "parallel.png" if len(params) >= 2 else "slice.png"]
    if any(trial.intermediate_values for trial in study.get_trials(deepcopy=False)):
        names.append("intermediate.png")
    return names


def write_plots(study, study_dir: Path) -> tuple[list[Path], dict[str, str]]:
    """Draws the plots the study can have; returns the PNGs written and {plot: why it was left out}.

    Args:
        study: the Optuna study.
        study_dir: where the PNGs go.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only: never a window, even where a display exists
    import matplotlib.pyplot as plt
    from optuna.exceptions import ExperimentalWarning

    written, skipped = [], {}
    wanted = _wanted(study)
    for name in PLOTS:
        if name not in wanted:
            skipped[name] = ("parallel.png shows the parameters" if name == "slice.png" and "parallel.png" in wanted
                             else "slice.png shows the parameter" if name == "parallel.png" and "slice.png" in wanted
                             else "the study has too few completed trials (or no epoch values) for it yet")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ExperimentalWarning)  # Optuna marks its matplotlib plots experimental
                warnings.simplefilter("ignore", UserWarning)
                figure = _figure(_draw(name, study))
            figure.set_size_inches(9, 5)
            with atomic(study_dir / name) as tmp:
                figure.savefig(tmp, dpi=90, bbox_inches="tight")
            written.append(study_dir / name)
        except (ValueError, RuntimeError, ZeroDivisionError) as err:  # a study Optuna cannot draw (yet)
            skipped[name] = f"{type(err).__name__}: {err}"[:200]
        finally:
            plt.close("all")
    return written, skipped
