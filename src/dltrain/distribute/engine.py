"""The distribution engines, all Keras's or its backends' own; dltrain only chooses and configures one.

============== ============================================= ============================================
distribute     TensorFlow backend                            jax backend
============== ============================================= ============================================
none           the default strategy                          no distribution
mirrored       ``tf.distribute.MirroredStrategy`` (local)    ``keras.distribution.DataParallel`` (local)
multi_worker   refused (see :mod:`.checks`)                  ``keras.distribution.initialize()`` +
                                                             ``DataParallel`` across processes
============== ============================================= ============================================

``batch_size`` is always the global batch: each step sees ``batch_size``
samples in all, split across devices and processes.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from dltrain.config import Config
from dltrain.distribute.environment import ProcessRole, export_for_keras
from dltrain.errors import UserError
from dltrain.tf_quiet import keras, tf


@dataclass
class Engine:
    """The engine one run trains on."""

    name: str  # what run.json records
    role: ProcessRole
    devices: int = 1  # devices in the whole run (all processes)
    strategy: tf.distribute.Strategy | None = None  # TensorFlow's, for mirrored
    sharded: bool = False  # jax: each process feeds its share of full batches only

    @property
    def multi_process(self) -> bool:
        """Several processes train together."""
        return self.role.num_processes > 1

    def scope(self):
        """Where the model and optimizer are built (TensorFlow's strategy scope; jax needs none)."""
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()

    def describe(self) -> dict:
        """For run.json."""
        return {"engine": self.name, "devices": self.devices, **self.role.describe()}

    def release(self) -> None:
        """After training: later Keras work in this process (evaluation, reloads) runs undistributed."""
        if keras.backend.backend() == "jax":
            keras.distribution.set_distribution(None)


def _jax_data_parallel(config: Config, role: ProcessRole, seed: int) -> Engine:
    import jax

    if role.num_processes > 1:
        export_for_keras(role)
        keras.utils.set_random_seed(seed)  # the same initial weights everywhere, with no collective to agree on it
        jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU processes need collectives
        keras.distribution.initialize()  # reads KERAS_DISTRIBUTION_* (mapped by dltrain from the cluster's names)
    devices = keras.distribution.list_devices()
    if config.training.batch_size % len(devices):
        raise config.error(f"the global batch of {config.training.batch_size} does not split across "
                           f"{len(devices)} devices: make batch_size a multiple of {len(devices)}", "training",
                           "batch_size")
    # dltrain shards the batches itself (every process: the same steps, its own share of each full batch),
    # so Keras must not shard them again.
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False))
    name = "keras.distribution.DataParallel" + (" (multi-process)" if role.num_processes > 1 else "")
    return Engine(name, role, devices=len(devices), sharded=True)


CPU_DEVICES = "DLTRAIN_CPU_DEVICES"  # TensorFlow, mirrored: split the CPU into N logical devices (to try it)


def _split_cpu() -> None:
    """With ``DLTRAIN_CPU_DEVICES=N``: N logical CPU devices for MirroredStrategy on a machine without GPUs.

    TensorFlow's own ``tf.config.set_logical_device_configuration``; it must
    run before TensorFlow initialises its devices. (On jax, JAX's own
    ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` does the same.)
    """
    count = os.environ.get(CPU_DEVICES)
    if not count or tf.config.list_physical_devices("GPU"):
        return
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * int(count))
    except RuntimeError as err:  # TensorFlow already initialised: say so rather than train on one device
        raise UserError(f"{CPU_DEVICES}={count} cannot apply: TensorFlow's devices are already initialised in "
                        f"this process ({err})") from None


def start_engine(config: Config, role: ProcessRole, seed: int) -> Engine:
    """Sets up the config's engine; for multi_worker, joins the other processes (blocks until they come).

    Raises:
        UserError: the batch does not split across the devices.
    """
    mode = config.training.distribute
    if mode == "none":
        return Engine("none", role)
    if keras.backend.backend() == "jax":
        return _jax_data_parallel(config, role, seed)
    if mode == "mirrored":
        _split_cpu()
        strategy = tf.distribute.MirroredStrategy()
        return Engine("tf.distribute.MirroredStrategy", role, devices=strategy.num_replicas_in_sync,
                      strategy=strategy)
    raise UserError(f"training.distribute {mode} is not available on backend {keras.backend.backend()}")


@contextlib.contextmanager
def undistributed():
    """Keras work that one process does alone (saving a model), with no distribution set meanwhile.

    Under a multi-process ``DataParallel`` every new Keras variable is placed
    on all processes' devices, which takes every process (a ``device_put``
    that checks the value is the same everywhere). ``model.save`` creates one
    (a throwaway optimizer, ``get_attr_skipset`` in ``keras/src/saving/saving_lib.py``,
    Keras 3.15.1): done by process 0 alone under the distribution, it fails.
    """
    if keras.backend.backend() != "jax":
        yield
        return
    current = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(current)
