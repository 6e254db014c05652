"""The training console: a progress bar that never passes the epoch, epoch lines of metrics only."""

from __future__ import annotations

import io
import re

from dltrain.training.console import ConsoleProgress


def test_progress_bar_counts_batches_and_never_passes_the_epoch():
    out = io.StringIO()
    bar = ConsoleProgress(verbose=1, epochs=2, steps_per_epoch=422, stream=out)
    bar.on_epoch_begin(0)
    for batch in (31, 63, 447):  # Keras reports the last batch of each 32-step execution, past the end
        bar.on_train_batch_end(batch)
    counts = re.findall(r"(\d+)/422", out.getvalue())
    assert counts == ["32", "64", "422"]
    assert "ETA -" not in out.getvalue() and "ETA 0:00" in out.getvalue().split("\r")[-1]


def test_epoch_line_shows_losses_and_metrics_only():
    out = io.StringIO()
    bar = ConsoleProgress(verbose=2, epochs=3, steps_per_epoch=10, stream=out)
    bar.on_epoch_begin(1)
    bar.on_train_batch_end(9)  # no bar in a log
    bar.on_epoch_end(1, {"loss": 0.5, "accuracy": 0.75, "learning_rate": 0.001})
    line = out.getvalue()
    assert line.startswith("Epoch 2/3") and "loss 0.5000" in line and "accuracy 0.7500" in line
    assert "learning_rate" not in line and "\r" not in line and line.count("\n") == 1


def test_silent_when_verbose_is_zero():
    out = io.StringIO()
    bar = ConsoleProgress(verbose=0, epochs=1, steps_per_epoch=1, stream=out)
    bar.on_epoch_begin(0)
    bar.on_train_batch_end(0)
    bar.on_epoch_end(0, {"loss": 1.0})
    assert out.getvalue() == ""
