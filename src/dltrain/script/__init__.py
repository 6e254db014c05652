"""``dltrain script``: the plain Keras script a config stands for.

:func:`render_script` writes, for a validated config, the script a student
would write by hand (as the seed posts do): load the data, scale it, define
the model with ``keras.Sequential`` or the functional API, compile, fit and
evaluate, with the same arguments dltrain uses. One module per part:
:mod:`~dltrain.script.arrays` and :mod:`~dltrain.script.folders` (and
:mod:`~dltrain.script.table` for FeatureSpace tables) the data,
:mod:`~dltrain.script.model` the model, :mod:`~dltrain.script.training`
compile and fit, :mod:`~dltrain.script.render` the whole.
"""

from dltrain.script.parts import SMOKE_VARIABLE
from dltrain.script.render import render_script

__all__ = ["SMOKE_VARIABLE", "render_script"]
