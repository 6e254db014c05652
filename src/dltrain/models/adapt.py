"""Adapting the preprocessing layers a config puts in ``model.layers``, on the training split only.

``TextVectorization``, ``Normalization``, ``StringLookup``, ``IntegerLookup``
and ``Discretization`` compute their state (vocabulary, mean and variance,
bin edges) from data with ``adapt()``, as Keras's preprocessing guide does
before training. Each is adapted on the training inputs as they reach it:
passed through the layers before it, which are already adapted. The model
then carries the state, so the saved model does too.
"""

from __future__ import annotations

from dltrain.tf_quiet import keras, tf

ADAPTABLE = ("TextVectorization", "Normalization", "StringLookup", "IntegerLookup", "Discretization")
STRING_LAYERS = ("TextVectorization", "StringLookup")


def needs_adapting(layer: keras.layers.Layer) -> bool:
    """Whether a layer computes its state from data and was given none in its arguments."""
    name = type(layer).__name__
    if name not in ADAPTABLE:
        return False
    if name == "Normalization":
        return layer.input_mean is None  # mean and variance given: nothing to learn
    if name == "Discretization":
        return layer.bin_boundaries is None
    if name == "TextVectorization":
        return not layer._has_input_vocabulary  # noqa: SLF001  (Keras's FeatureSpace reads the same flag)
    return not layer.vocabulary_size() > layer.num_oov_indices + (layer.mask_token is not None)


def adapt_layers(model: keras.Model, train_x: tf.data.Dataset) -> list[str]:
    """Adapts each adaptable layer of ``model`` on the training inputs, in layer order.

    Args:
        model: a built model whose ``layers`` run in sequence (a ``keras.Sequential``).
        train_x: the training split's inputs, batched, as the model's first layer receives them
            (e.g. ``bundle.train.dataset.map(lambda x, y: x)``). Never the validation or test split:
            their vocabulary and statistics must not leak into training.

    Returns:
        The names of the layers adapted (empty when there were none).

    Example:
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Normalization(), keras.layers.Dense(2)])
        >>> adapt_layers(model, tf.data.Dataset.from_tensor_slices(x).batch(32))
        ['normalization']
    """
    adapted = []
    for i, layer in enumerate(model.layers):
        if not needs_adapting(layer):
            continue
        before = model.layers[:i]

        def through(x, before=before):
            for previous in before:
                x = previous(x)
            return x

        layer.adapt(train_x.map(through) if before else train_x)
        adapted.append(layer.name)
    return adapted


def holds_string_layers(model: keras.Model) -> bool:
    """Whether a model holds layers that take strings, which XLA cannot compile."""
    return any(type(layer).__name__ in STRING_LAYERS for layer in model.layers)
