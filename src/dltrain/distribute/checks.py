"""What a config needs to train distributed, checked before any process starts (no Keras imported).

Refused, each in one line, because the engine cannot honour it:

- ``multi_worker`` on TensorFlow: ``tf.distribute.MultiWorkerMirroredStrategy``
  fails in Keras 3's ``fit`` ("Attempt to convert a value (PerReplica…)",
  keras-team/keras#20585, tensorflow/tensorflow#72388), and Keras 3.15.1 marks
  its TensorFlow distribution API "do not use"; Keras's multi-process path is
  its distribution API on jax.
- a global ``batch_size`` that the process count does not divide: every
  process takes an equal share of each batch (``DataParallel`` shards the
  batch axis), and the learning rate is never rescaled behind the user's back.
- several processes with ``distribute: none``: they would each train alone
  and write the same run.
- string inputs (text folders, tables) across processes: on jax they are
  scored through ``tf.data`` by the trained layers (see ``training.scoring``),
  which live on every process; not supported yet.
"""

from __future__ import annotations

from dltrain.backend import resolve_backend
from dltrain.config import Config
from dltrain.distribute.environment import ProcessRole


def check_distribute(config: Config, role: ProcessRole) -> None:
    """Refuses a distribution the engines cannot honour.

    Raises:
        UserError: one problem, naming the key and what to change.
    """
    mode, processes = config.training.distribute, role.num_processes
    if mode != "multi_worker":
        if processes > 1:
            raise config.error(f"the environment says {processes} processes, but training.distribute is "
                               f"{mode}: set it to multi_worker (or --distribute multi_worker)", "training",
                               "distribute")
        return
    if resolve_backend(config) != "jax":
        raise config.error("multi_worker trains on the jax backend (keras.distribution.DataParallel across "
                           "processes): set backend: jax. TensorFlow's MultiWorkerMirroredStrategy fails with "
                           "Keras 3's fit (keras-team/keras#20585)", "backend")
    if config.training.batch_size % processes:
        raise config.error(f"the global batch of {config.training.batch_size} does not split into {processes} "
                           f"equal shares, one per process: make batch_size a multiple of {processes} (the "
                           "learning rate is not changed for you)", "training", "batch_size")
    if config.data.dataset == "text_folder" or config.data.features:
        raise config.error("data with string inputs (text folders, tables read with FeatureSpace) is not "
                           "trained across processes yet; use training.distribute: none or mirrored", "data",
                           "dataset")
