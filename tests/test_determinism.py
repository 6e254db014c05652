"""deterministic_ops: TensorFlow's op determinism on for one block, then back as it was."""

from __future__ import annotations

import pytest

from dltrain import determinism
from dltrain.determinism import deterministic_ops, is_enabled
from dltrain.tf_quiet import tf


@pytest.fixture(autouse=True)
def determinism_off():
    """Each test starts with determinism off and leaves it off, whatever it broke."""
    determinism.disable_op_determinism()
    yield
    determinism.disable_op_determinism()


def timestamp_runs() -> bool:
    """True if tf.timestamp() runs: TensorFlow's C++ refuses it while op determinism is on."""
    try:
        tf.timestamp()
    except tf.errors.FailedPreconditionError:
        return False
    return True


def test_on_inside_the_block_and_off_after():
    with deterministic_ops(True):
        assert is_enabled()
        assert not timestamp_runs()
    assert not is_enabled()
    assert timestamp_runs()


def test_ops_traced_before_the_block_follow_it():
    """The flag is read when an op runs: a tf.function traced earlier obeys the block, then not."""
    stamp = tf.function(tf.timestamp)
    stamp()
    with deterministic_ops(True):
        with pytest.raises(tf.errors.FailedPreconditionError, match="determinism is enabled"):
            stamp()
    stamp()


def test_restored_when_the_block_raises():
    with pytest.raises(ValueError, match="inside"):
        with deterministic_ops(True):
            raise ValueError("inside")
    assert not is_enabled()


def test_false_switches_it_off_for_the_block_and_nesting_restores_each_level():
    with deterministic_ops(True):
        with deterministic_ops(False):
            assert not is_enabled()
            with deterministic_ops(True):
                assert is_enabled()
            assert not is_enabled()
        assert is_enabled()
    assert not is_enabled()


def test_an_earlier_setting_outside_any_block_is_kept():
    tf.config.experimental.enable_op_determinism()
    with deterministic_ops(False):
        assert not is_enabled()
    assert is_enabled()


def test_without_a_way_to_switch_off_a_later_non_deterministic_block_refuses(monkeypatch):
    """A TensorFlow without disable_op_determinism: never a silently deterministic run."""
    real_disable = determinism.disable_op_determinism
    monkeypatch.setattr(determinism, "disable_op_determinism", None)
    with deterministic_ops(True):
        pass
    assert is_enabled()  # could not be put back
    with pytest.raises(RuntimeError, match="cannot switch it off again"):
        with deterministic_ops(False):
            pytest.fail("the block must not run")
    real_disable()
