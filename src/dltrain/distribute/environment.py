"""A process's place in a multi-process run, from its environment.

Keras's ``keras.distribution.initialize()`` reads
``KERAS_DISTRIBUTION_JOB_ADDRESSES``, ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and
``KERAS_DISTRIBUTION_PROCESS_ID`` itself (``keras/src/distribution/distribution_lib.py``,
Keras 3.15.1). Clusters set other names: JAX's own ``JAX_COORDINATOR_ADDRESS``,
``JAX_NUM_PROCESSES``, ``JAX_PROCESS_ID`` (Kubeflow's JAX runtime), and a
Kubernetes Indexed Job ``JOB_COMPLETION_INDEX``. JAX 0.10 reads only the
coordinator's address of these (checked in ``jax/_src/distributed.py``), so
dltrain maps them onto Keras's names itself; Keras's own, when set, win.

Standard library only: ``dltrain launch`` and the CLI use it before Keras is imported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from dltrain.errors import UserError

ADDRESSES = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
NUM_PROCESSES = "KERAS_DISTRIBUTION_NUM_PROCESSES"
PROCESS_ID = "KERAS_DISTRIBUTION_PROCESS_ID"
# Other names for the same facts, in the order they are tried after Keras's own.
ALIASES = {
    ADDRESSES: ("JAX_COORDINATOR_ADDRESS",),
    NUM_PROCESSES: ("JAX_NUM_PROCESSES",),
    PROCESS_ID: ("JAX_PROCESS_ID", "JOB_COMPLETION_INDEX"),
}
HEARTBEAT = "DLTRAIN_HEARTBEAT_FILE"  # set by dltrain launch: touched at every completed step


@dataclass(frozen=True)
class ProcessRole:
    """Where this process stands: ``process_id`` of ``num_processes``; process 0 writes the run."""

    num_processes: int = 1
    process_id: int = 0
    addresses: str | None = None

    @property
    def chief(self) -> bool:
        """Whether this process writes the run directory (process 0)."""
        return self.process_id == 0

    def describe(self) -> dict:
        """For run.json."""
        return {"processes": self.num_processes, "addresses": self.addresses}


def _lookup(env: dict, name: str) -> tuple[str | None, str | None]:
    """(value, the variable it came from) for one of Keras's names or its aliases."""
    for key in (name, *ALIASES[name]):
        value = env.get(key)
        if value not in (None, ""):
            return value, key
    return None, None


def _integer(env: dict, name: str, default: int) -> int:
    value, key = _lookup(env, name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise UserError(f"{key}={value!r} is not a whole number; set it to the process "
                        f"{'count' if name == NUM_PROCESSES else 'index'}") from None


def process_role(env: dict | None = None) -> ProcessRole:
    """This process's role from the environment (one process when nothing is set).

    Raises:
        UserError: the variables contradict each other or are not numbers.
    """
    env = os.environ if env is None else env
    count = _integer(env, NUM_PROCESSES, 1)
    index = _integer(env, PROCESS_ID, 0)
    addresses, _ = _lookup(env, ADDRESSES)
    if count < 1 or not 0 <= index < count:
        raise UserError(f"process {index} of {count} processes: the process id must be in 0..{count - 1}; "
                        f"check {PROCESS_ID} and {NUM_PROCESSES} (or JAX_PROCESS_ID, JOB_COMPLETION_INDEX, "
                        "JAX_NUM_PROCESSES)")
    if count > 1 and not addresses:
        raise UserError(f"{count} processes but no coordinator address: set {ADDRESSES} (or "
                        "JAX_COORDINATOR_ADDRESS) to host:port of process 0, the same on every process")
    return ProcessRole(count, index, addresses)


def export_for_keras(role: ProcessRole, env: dict | None = None) -> None:
    """Writes the role under Keras's own names, which ``keras.distribution.initialize()`` reads."""
    env = os.environ if env is None else env
    env[NUM_PROCESSES] = str(role.num_processes)
    env[PROCESS_ID] = str(role.process_id)
    if role.addresses:
        env[ADDRESSES] = role.addresses
