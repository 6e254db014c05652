"""The user's Keras callbacks, by name, with their arguments checked before training."""

from __future__ import annotations

from dltrain.config import Config
from dltrain.models.arguments import _check_argument_names, _check_argument_types
from dltrain.models.errors import _first_line
from dltrain.models.objects import keras_arguments
from dltrain.tf_quiet import keras


CODE_CALLBACKS = {"LambdaCallback", "LearningRateScheduler"}


def make_callbacks(config: Config) -> list[keras.callbacks.Callback]:
    """The user's Keras callbacks, by name from ``keras.callbacks``."""
    callbacks = []
    for i, spec in enumerate(config.training.callbacks):
        cls = getattr(keras.callbacks, spec.name, None)
        if not (isinstance(cls, type) and issubclass(cls, keras.callbacks.Callback)):
            raise config.error(f"'{spec.name}' is not a Keras callback", "training", "callbacks", i)
        if spec.name in CODE_CALLBACKS:
            raise config.error(f"{spec.name} takes Python functions and cannot come from a config",
                               "training", "callbacks", i)
        kwargs = keras_arguments(config, spec.kwargs, "training", "callbacks", i, spec.name)
        try:
            _check_argument_names(cls, spec.kwargs)
            _check_argument_types(cls, {k: v for k, v in spec.kwargs.items() if not isinstance(v, dict)})
            callbacks.append(cls(**kwargs))
        except (TypeError, ValueError) as err:
            raise config.error(f"{spec.name}: {_first_line(err)}", "training", "callbacks", i, spec.name) from None
    return callbacks
