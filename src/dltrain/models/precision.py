"""Mixed precision: Keras's dtype policies, for the building of one run's model only.

Keras's mixed-precision guide: layers compute in float16 (bfloat16 on TPUs)
while their variables stay float32, the model's output goes back to float32
(the guide ends the model with a float32 ``Activation``), and ``compile``
wraps the optimizer in a ``LossScaleOptimizer`` for ``mixed_float16`` by
itself (``auto_scale_loss``, ``keras/src/trainers/trainer.py``). A CPU gains
nothing from it (float16 arithmetic is emulated there), so without an
accelerator the run says so and trains in float32.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from dltrain.config import Config
from dltrain.tf_quiet import keras, tf

OUTPUT_CAST = "float32_output"


def accelerator() -> str | None:
    """'gpu' or 'tpu' when the backend sees one, else None."""
    if keras.backend.backend() == "jax":
        import jax

        platform = jax.devices()[0].platform
        return {"gpu": "gpu", "cuda": "gpu", "rocm": "gpu", "tpu": "tpu"}.get(platform)
    for kind in ("tpu", "gpu"):
        if tf.config.list_physical_devices(kind.upper()):
            return kind
    return None


def precision_policy(config: Config, verbose: int = 1) -> str:
    """The dtype policy the run's model is built with: 'float32', 'mixed_float16' or 'mixed_bfloat16'."""
    if not config.training.mixed_precision:
        return "float32"
    device = accelerator()
    if device is None:
        if verbose:
            print("note: training.mixed_precision needs a GPU or TPU and none is visible; training in float32",
                  file=sys.stderr)
        return "float32"
    return "mixed_bfloat16" if device == "tpu" else "mixed_float16"


@contextlib.contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Keras's global dtype policy set to ``name`` for the block, then put back (it is process-wide)."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def float32_output(model: keras.Model) -> keras.Model:
    """The model with its output cast to float32 by a last ``Activation('linear', dtype='float32')``.

    It has no weights: the parameter count stays the config's. dltrain's models have one output.
    """
    cast = keras.layers.Activation("linear", dtype="float32", name=OUTPUT_CAST)
    if isinstance(model, keras.Sequential):
        model.add(cast)
        return model
    return keras.Model(model.inputs, cast(model.outputs[0]), name=model.name)
