"""A process's place from its environment, and the refusals made before any process starts."""

from __future__ import annotations

import pytest

from conftest import REPO
from dltrain.config import load_config
from dltrain.distribute.checks import check_distribute
from dltrain.distribute.environment import ProcessRole, export_for_keras, process_role
from dltrain.errors import UserError

DIGITS = REPO / "configs" / "digits_mlp.yaml"


def test_nothing_set_is_one_process_that_writes_the_run():
    role = process_role({})
    assert (role.num_processes, role.process_id, role.chief) == (1, 0, True)


def test_keras_variables_are_read():
    role = process_role({"KERAS_DISTRIBUTION_JOB_ADDRESSES": "10.0.0.1:1234,10.0.0.2:1234",
                         "KERAS_DISTRIBUTION_NUM_PROCESSES": "2", "KERAS_DISTRIBUTION_PROCESS_ID": "1"})
    assert role == ProcessRole(2, 1, "10.0.0.1:1234,10.0.0.2:1234")
    assert not role.chief


def test_jax_and_indexed_job_variables_are_mapped_and_keras_names_win():
    env = {"JAX_COORDINATOR_ADDRESS": "head:1234", "JAX_NUM_PROCESSES": "4", "JOB_COMPLETION_INDEX": "3"}
    assert process_role(env) == ProcessRole(4, 3, "head:1234")
    env["JAX_PROCESS_ID"] = "2"  # JAX's own name comes before the Indexed Job's
    assert process_role(env).process_id == 2
    env["KERAS_DISTRIBUTION_PROCESS_ID"] = "1"
    assert process_role(env).process_id == 1
    out: dict = {}
    export_for_keras(process_role(env), out)
    assert out == {"KERAS_DISTRIBUTION_NUM_PROCESSES": "4", "KERAS_DISTRIBUTION_PROCESS_ID": "1",
                   "KERAS_DISTRIBUTION_JOB_ADDRESSES": "head:1234"}


@pytest.mark.parametrize("env, message", [
    ({"JAX_NUM_PROCESSES": "two"}, "JAX_NUM_PROCESSES='two' is not a whole number"),
    ({"KERAS_DISTRIBUTION_NUM_PROCESSES": "2", "KERAS_DISTRIBUTION_PROCESS_ID": "2",
      "KERAS_DISTRIBUTION_JOB_ADDRESSES": "h:1"}, "must be in 0..1"),
    ({"KERAS_DISTRIBUTION_NUM_PROCESSES": "2"}, "no coordinator address"),
])
def test_contradictions_are_refused(env, message):
    with pytest.raises(UserError, match=message):
        process_role(env)


def test_multi_worker_needs_jax_with_the_upstream_reason():
    config = load_config(DIGITS, ["training.distribute=multi_worker"])
    with pytest.raises(UserError, match="keras-team/keras#20585") as err:
        check_distribute(config, ProcessRole(2, 0, "h:1"))
    assert err.value.problems[0].key == "backend"


def test_a_global_batch_the_processes_cannot_share_is_refused():
    config = load_config(DIGITS, ["backend=jax", "training.distribute=multi_worker"])
    with pytest.raises(UserError, match="32 does not split into 3 equal shares") as err:
        check_distribute(config, ProcessRole(3, 0, "h:1"))
    assert err.value.problems[0].key == "training.batch_size"
    assert err.value.problems[0].line is not None  # located in the YAML
    check_distribute(config, ProcessRole(2, 0, "h:1"))  # 32 = 2 x 16: accepted


def test_several_processes_without_multi_worker_are_refused():
    with pytest.raises(UserError, match="says 2 processes"):
        check_distribute(load_config(DIGITS), ProcessRole(2, 1, "h:1"))
    check_distribute(load_config(DIGITS), ProcessRole())  # one process: fine
