"""What a run directory shows a person: plots, per-class scores, the HTML page, comparisons.

Everything here works from a run directory's files alone, read through
:mod:`dltrain.runs`; nothing imports TensorFlow, and nothing prints (the CLI
turns :func:`run_details` and :func:`compare_runs` into terminal tables).

============== ==============================================================
``plots``      learning curves and the confusion matrix (PNG)
``scores``     precision, recall, F1 and support per class
``html``       the self-contained ``report.html``
``details``    ``runs show`` and ``runs compare`` as data
``writer``     :func:`write_run_report`: all of a run's report files
============== ==============================================================

Example::

    from dltrain import report

    for path in report.write_run_report("runs/20260101-120000-digits_mlp"):
        print(path)
"""

from dltrain.report.details import compare_runs, default_comparison_png, run_details
from dltrain.report.html import html_report
from dltrain.report.plots import plot_confusion, plot_curves
from dltrain.report.scores import class_rows, per_class_scores
from dltrain.report.writer import write_run_report

__all__ = ["class_rows", "compare_runs", "default_comparison_png", "html_report", "per_class_scores",
           "plot_confusion", "plot_curves", "run_details", "write_run_report"]
