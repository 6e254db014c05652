"""Keras applications as layers: ``- MobileNetV2: {weights: null, include_top: false, pooling: avg}``.

Any model ``keras.applications`` exports by name is built with the shape it
receives at its place in ``model.layers``, and the input preprocessing that
application expects is put in front of it as plain Keras layers, so the saved
model needs no code to load (``safe_mode``) and takes the same raw images.

Which preprocessing an application expects is read from Keras itself: its
module's ``preprocess_input`` is run on a probe and compared with the three
modes of ``keras/src/applications/imagenet_utils.py``:

========= ============================================== =================================
mode      what Keras does to 0–255 RGB pixels              the layers dltrain adds
========= ============================================== =================================
tf        ``x / 127.5 - 1``                              ``Rescaling(1/127.5, offset=-1)``
torch     ``(x / 255 - mean) / std`` per channel         ``Normalization(mean, variance)``
caffe     RGB → BGR, minus the ImageNet mean per channel a frozen ``Dense(3)`` (a permutation and a bias)
none      nothing: the model rescales inside             nothing
========= ============================================== =================================

With ``data.scale: unit`` the images arrive in 0–1, and the layers scale by
255 more; ``data.scale: standard`` cannot be undone and is refused.
"""

from __future__ import annotations

import functools

import numpy as np

from dltrain import keras_names
from dltrain.config import Config, KerasObject
from dltrain.models.errors import _first_line
from dltrain.tf_quiet import keras

# Set by dltrain from the layer's place in the model; a config cannot choose them.
MANAGED_ARGUMENTS = ("input_shape", "input_tensor")
_PROBE = np.random.default_rng(0).uniform(0.0, 255.0, (1, 2, 2, 3)).astype(np.float32)
_IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)  # keras/src/applications/imagenet_utils.py, caffe mode
_TORCH_MEAN, _TORCH_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)  # same file, torch mode


def is_application(name: str) -> bool:
    """True if ``keras.applications`` exports a model of this name (``MobileNetV2``)."""
    return name in keras_names.application_names()


@functools.cache
def preprocessing_mode(name: str) -> str:
    """'tf', 'torch', 'caffe', 'none' or 'unknown': what the application's ``preprocess_input`` does."""
    module = getattr(keras.applications, getattr(keras.applications, name).__module__.rsplit(".", 1)[-1], None)
    preprocess = getattr(module, "preprocess_input", None)
    if preprocess is None:
        return "unknown"
    out = np.asarray(preprocess(_PROBE.copy()))  # NumPy input is changed in place: always a copy
    if np.allclose(out, _PROBE):
        return "none"
    for mode in ("tf", "torch", "caffe"):
        if np.allclose(out, keras.applications.imagenet_utils.preprocess_input(_PROBE.copy(), mode=mode)):
            return mode
    return "unknown"


def _frozen_channel_map(matrix: np.ndarray, bias: np.ndarray, input_shape: tuple, name: str) -> keras.layers.Layer:
    """A Dense layer over the channel axis with fixed weights: x @ matrix + bias, never trained."""
    layer = keras.layers.Dense(3, trainable=False, name=name)
    layer.build((None, *input_shape))
    layer.set_weights([matrix.astype(np.float32), bias.astype(np.float32)])
    return layer


def _input_layers(mode: str, peak: float, input_shape: tuple, prefix: str) -> list[keras.layers.Layer]:
    """The layers that turn images in 0..peak into what the application expects."""
    to_255 = 255.0 / peak
    if mode == "none":
        return [] if to_255 == 1.0 else [keras.layers.Rescaling(to_255, name=f"{prefix}_to_255")]
    if mode == "tf":
        return [keras.layers.Rescaling(to_255 / 127.5, offset=-1.0, name=f"{prefix}_preprocessing")]
    if mode == "torch":
        mean = [m * 255.0 / to_255 for m in _TORCH_MEAN]
        variance = [(s * 255.0 / to_255) ** 2 for s in _TORCH_STD]
        return [keras.layers.Normalization(axis=-1, mean=mean, variance=variance, name=f"{prefix}_preprocessing")]
    # caffe: RGB → BGR (a permutation of the channels), then minus the mean of each BGR channel.
    flip = np.eye(3)[::-1] * to_255
    return [_frozen_channel_map(flip, -np.asarray(_IMAGENET_MEAN_BGR), input_shape, f"{prefix}_preprocessing")]


def _peak(config: Config, name: str, *path: str | int) -> float:
    """The largest pixel value the application receives: 255 raw, 1 after ``data.scale: unit``."""
    if config.data.scale == "standard":
        raise config.error(f"{name} expects pixels in 0–255 and applies its own preprocessing; data.scale: standard "
                           "is not supported before it: set data.scale: none (or unit)", "data", "scale")
    return 1.0 if config.data.scale == "unit" else 255.0


def application_layers(spec: KerasObject, config: Config, input_shape: tuple[int, ...],
                       *path: str | int) -> list[keras.layers.Layer]:
    """The application ``spec`` names, built for ``input_shape``, behind the preprocessing it expects.

    ``weights`` defaults to None (random weights); ``weights: imagenet``
    downloads the ImageNet weights once into Keras's cache (``~/.keras/models``).

    Args:
        spec: the layer entry, e.g. ``MobileNetV2: {include_top: false, pooling: avg}``.
        config: the validated config (for ``data.scale`` and error locations).
        input_shape: one sample's shape where the application sits in the model.
        *path: the entry's key path, for error messages.

    Raises:
        UserError: a managed or wrong argument, a shape the application refuses, or
            a preprocessing dltrain cannot express as layers.
    """
    for name in MANAGED_ARGUMENTS:
        if name in spec.kwargs:
            raise config.error(f"{spec.name}: {name} is not supported in a config; dltrain sets it from the "
                               "shape the layer receives", *path, spec.name, name)
    mode = preprocessing_mode(spec.name)
    if mode == "unknown":
        raise config.error(f"{spec.name} is not supported: its preprocess_input is not one dltrain can express "
                           "as Keras layers", *path)
    if mode in ("torch", "caffe") and input_shape[-1:] != (3,):
        raise config.error(f"{spec.name} expects RGB images (3 channels) but receives shape {input_shape}; "
                           "set data.color_mode: rgb", *path)
    peak = _peak(config, spec.name, *path)
    kwargs = {"weights": None, **spec.kwargs}
    try:
        application = getattr(keras.applications, spec.name)(input_shape=input_shape, **kwargs)
    except (ValueError, TypeError) as err:
        raise config.error(f"{spec.name}: {_first_line(err)}; fix its arguments or the image size", *path,
                           spec.name) from None
    prefix = application.name.split("_")[0].lower()
    return [*_input_layers(mode, peak, input_shape, prefix), application]
