"""Models: a validated config → a compiled Keras model, and the user's callbacks.

Every name resolves through Keras's own registries (``keras.layers``,
``keras.losses.get``, ``keras.optimizers.get``, ``keras.metrics.get``,
``keras.callbacks``, and for objects inside arguments ``keras.regularizers.get``
and the like, in :mod:`dltrain.models.objects`); nothing here lists Keras's
objects again. Keras's own
errors (a wrong argument, an impossible shape) come back as :class:`UserError`
pointing at the config line that caused them.

Build and compile inside a ``tf.distribute`` strategy's scope to place the
variables: :func:`dltrain.training.fit` does so.
"""

from dltrain.models.builder import build_model, output_units
from dltrain.models.callbacks import make_callbacks
from dltrain.models.compile import XLA_FRIENDLY, compile_model, make_optimizer, use_xla
from dltrain.models.summary import summary_text

__all__ = ["XLA_FRIENDLY", "build_model", "compile_model", "make_callbacks", "make_optimizer", "output_units",
           "summary_text", "use_xla"]
