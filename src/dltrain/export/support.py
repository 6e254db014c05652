"""What each export format cannot represent, refused before anything is written.

Each reason was measured with Keras 3.15.1 and TensorFlow 2.21 (tf2onnx 1.17,
ONNX Runtime 1.32, ai-edge-litert 2.3) on dltrain's own models:

- ONNX, augmentation layers: tf2onnx writes their random ops
  (``StatelessRandomUniformV2``) even for inference, and ONNX Runtime
  rejects the graph as invalid.
- ONNX and LiteRT, string inputs (text models): ``TextVectorization``'s
  string ops (``StaticRegexReplace``, ``StringSplit``) have no ONNX
  equivalent, and LiteRT runs them only through the Flex delegate.
- ONNX and LiteRT, dict inputs (a ``FeatureSpace`` model of mixed columns):
  its lookup and hashing layers are string ops as well.
- LiteRT, recurrent layers: the converter keeps them as TensorFlow ops
  (``FlexTensorListReserve``), which need the Flex delegate that
  ``ai-edge-litert``'s interpreter does not ship.
"""

from __future__ import annotations

import keras

from dltrain.errors import UserError

# Keras 3's augmentation layers not named Random*: active in training only.
_AUGMENTATION = {"AugMix", "CutMix", "MixUp", "RandAugment", "Solarization"}
_RECURRENT = {"LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}


def all_layers(model: keras.Model) -> list[keras.Layer]:
    """Every layer of a model, nested models and wrapped layers included."""
    found = []
    pending = list(getattr(model, "layers", []))
    while pending:
        layer = pending.pop(0)
        found.append(layer)
        pending.extend(getattr(layer, "layers", []))
        for attribute in ("layer", "forward_layer", "backward_layer"):  # Bidirectional, TimeDistributed
            inner = getattr(layer, attribute, None)
            if isinstance(inner, keras.Layer):
                pending.append(inner)
    return found


def _names(model: keras.Model, wanted) -> list[str]:
    names = {type(layer).__name__ for layer in all_layers(model)}
    return sorted(name for name in names if wanted(name))


def _is_augmentation(name: str) -> bool:
    return name.startswith("Random") or name in _AUGMENTATION


def _input_problem(model: keras.Model) -> str | None:
    if isinstance(model.input, dict):
        return "the model takes a dict of columns (a FeatureSpace table model), whose lookup and hashing ops it has no equivalent for"
    if any(str(tensor.dtype) == "string" for tensor in keras.tree.flatten(model.input)):
        return "the model takes strings (a text model), and TextVectorization's string ops have no equivalent there"
    return None


def refusal(model: keras.Model, format: str) -> str | None:
    """Why ``format`` cannot represent ``model``, or None when it can.

    Args:
        model: the Keras model to export.
        format: one of ``dltrain.export.FORMATS``.

    Returns:
        One sentence naming the layers or inputs at fault and why, or None.
    """
    if format in ("onnx", "litert") and (problem := _input_problem(model)):
        return problem
    if format == "onnx" and (names := _names(model, _is_augmentation)):
        return (f"augmentation layers ({', '.join(names)}) keep their random ops in tf2onnx's graph, which ONNX "
                "Runtime rejects as invalid; export savedmodel, litert or keras instead")
    if format == "litert" and (names := _names(model, _RECURRENT.__contains__)):
        return (f"recurrent layers ({', '.join(names)}) need LiteRT's Flex delegate, which ai-edge-litert's "
                "interpreter lacks; export savedmodel, onnx or keras instead")
    return None


def check_supported(model: keras.Model, format: str, origin: str) -> None:
    """Raises a one-line :class:`UserError` when ``format`` cannot represent ``model``."""
    reason = refusal(model, format)
    if reason:
        raise UserError(f"cannot export to {format}: {reason}", file=origin)
