"""The ``model`` section: the mlp and cnn presets, and any stack of Keras layers."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag

from dltrain.config.keras_objects import Activation, Fraction, LayerSpec, Section, Width


class OutputConfig(Section):
    """The output layer a preset appends."""

    units: Width | None = Field(
        None, description="Default: the number of classes (1 for binary_crossentropy on two classes)."
    )
    activation: Activation | None = Field(
        None,
        description="Default from the loss: softmax for categorical losses and MSE, sigmoid for binary "
        "cross-entropy, linear when the loss has `from_logits: true`.",
    )


class _DenseHead(Section):
    type: str = Field(description="mlp, cnn, sequential or functional.")  # redeclared as a Literal; declared first to come first
    hidden_units: list[Width] = Field([128], description="Units of each hidden Dense layer.")
    activation: Activation = Field("relu", description="Activation of the hidden layers (any Keras activation).")
    dropout: Fraction = Field(0.0, description="Dropout rate after each hidden Dense layer.")
    batch_norm: bool = Field(False, description="Batch normalization before each hidden activation.")
    l1: Annotated[float, Field(ge=0)] = Field(0.0, description="L1 penalty on hidden kernels.")
    l2: Annotated[float, Field(ge=0)] = Field(0.0, description="L2 penalty on hidden kernels.")
    output: OutputConfig = Field(default_factory=OutputConfig, description="The output layer.")


class MLPModel(_DenseHead):
    """A dense network: hidden Dense layers, then the output layer."""

    type: Literal["mlp"] = Field("mlp", description="mlp, cnn, sequential or functional.")


class ConvBlock(Section):
    """Conv2D, then optional batch norm, activation and MaxPooling2D."""

    filters: Width = Field(description="Number of filters.")
    kernel_size: Annotated[int, Field(gt=0)] | tuple[Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)]] = Field(
        3, description="Kernel size: an int or [height, width]."
    )
    padding: Literal["valid", "same"] = Field("valid", description="Conv2D padding.")
    pool_size: Annotated[int, Field(gt=0)] | None = Field(2, description="MaxPooling2D size; null for no pooling.")


class CNNModel(_DenseHead):
    """Conv blocks, Flatten, hidden Dense layers, then the output layer."""

    type: Literal["cnn"] = Field("cnn", description="mlp, cnn, sequential or functional.")
    conv_blocks: list[ConvBlock] = Field(
        default_factory=lambda: [ConvBlock(filters=32)], min_length=1, description="The convolutional blocks."
    )


class SequentialModel(Section):
    """Any stack of Keras layers, by class name, in order."""

    type: Literal["sequential"] = Field("sequential", description="mlp, cnn, sequential or functional.")
    layers: list[LayerSpec] = Field(
        min_length=1,
        description="Keras layers in order, e.g. `- Dense: {units: 64, activation: relu}`. In the last "
        "layer, a Dense without `units` or `activation` gets them from the data and the loss.",
    )


class FunctionalModel(Section):
    """A graph of Keras layers: each layer takes the previous one, or the layers it names in `inputs`."""

    type: Literal["functional"] = Field("functional", description="mlp, cnn, sequential or functional.")
    layers: list[LayerSpec] = Field(
        min_length=1,
        description="Keras layers in order, each named with Keras's own `name` argument where another layer "
        "refers to it; `inputs: [name, ...]` (dltrain's key, not passed to Keras) lists a layer's inputs, by "
        "default the previous layer; `input` is the model's input. Merge with Keras's Add, Concatenate, "
        "Multiply, ... The last layer is the output; a last Dense without `units` or `activation` gets them "
        "from the data and the loss.",
    )


def _model_kind(value: Any) -> str:
    if isinstance(value, dict):
        return value.get("type") or ("sequential" if "layers" in value else "mlp")
    return getattr(value, "type", "mlp")


ModelConfig = Annotated[
    Union[
        Annotated[MLPModel, Tag("mlp")],
        Annotated[CNNModel, Tag("cnn")],
        Annotated[SequentialModel, Tag("sequential")],
        Annotated[FunctionalModel, Tag("functional")],
    ],
    Discriminator(
        _model_kind,
        custom_error_type="dltrain_unknown_model_type",
        custom_error_message="unknown model type; use mlp, cnn, sequential or functional",
    ),
]
