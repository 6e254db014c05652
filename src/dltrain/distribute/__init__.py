"""Training on several devices or processes, on the engines Keras and its backends already have.

- :mod:`~dltrain.distribute.environment`: where a process stands (its id,
  the process count, the coordinator's address), from Keras's own variables
  or the ones a Kubernetes Indexed Job or a JAX runtime sets. Standard library only.
- :mod:`~dltrain.distribute.checks`: what a config needs to train distributed,
  checked before any process starts. Imports no Keras.
- :mod:`~dltrain.distribute.engine`: the engine itself (``MirroredStrategy``
  on TensorFlow, ``keras.distribution.DataParallel`` on jax). Imports Keras.
- :mod:`~dltrain.distribute.launch`: ``dltrain launch``: N local processes
  under a watchdog that never lets them hang.
"""

from dltrain.distribute.environment import ProcessRole, process_role

__all__ = ["ProcessRole", "process_role"]
