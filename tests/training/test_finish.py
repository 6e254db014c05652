"""The end of a run: the throughput it records."""

from __future__ import annotations

import pytest

from dltrain.training.finish import throughput


def test_throughput_is_the_median_epoch_after_the_first_in_all_and_per_device():
    history = {"loss": [1, 1, 1, 1], "epoch_seconds": [9.0, 2.0, 2.5, 3.0]}  # the first compiles
    assert throughput(history, 1000, 2) == {"samples_per_second": 400.0, "devices": 2, "per_device": 200.0}


def test_one_epoch_is_its_own_median_and_no_epoch_has_no_throughput():
    assert throughput({"epoch_seconds": [4.0]}, 1000, 1)["samples_per_second"] == pytest.approx(250.0)
    assert throughput({"epoch_seconds": []}, 1000, 1) is None
    assert throughput({}, 1000, 1) is None
