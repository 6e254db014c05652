"""What a config's task means: label encoding, output layer, regression defaults.

:class:`TaskRules` is part of :class:`~dltrain.config.schema.Config`; its
methods read the config's loss and model only, never Keras.
"""

from __future__ import annotations

from typing import Any, Literal

from dltrain.config.keras_objects import KerasObject
from dltrain.config.model_sections import CNNModel, MLPModel

# Keras losses for real-valued targets, by the names a config may use (compared lower-cased).
REGRESSION_LOSSES = {
    "mse", "mae", "mape", "msle", "huber", "log_cosh", "logcosh", "mean_squared_error", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "meansquarederror", "meanabsoluteerror",
    "meanabsolutepercentageerror", "meansquaredlogarithmicerror", "huber_loss",
}



class TaskRules:
    """The rules that follow from a config's task, loss and output layer (mixed into ``Config``)."""

    def label_encoding(self, num_classes: int) -> Literal["sparse", "binary", "onehot", "regression"]:
        """How labels must be encoded for this config's loss (float targets for a regression).

        sparse_* losses take integer labels; binary cross-entropy on two classes
        takes one 0/1 column; every other loss (categorical cross-entropy, MSE,
        hinge, ...) takes one-hot rows, as the seed scripts build with
        ``to_categorical``.
        """
        if self.task == "regression":
            return "regression"
        name = self.loss.name.lower()
        if "sparse" in name:
            return "sparse"
        if ("binary" in name or name == "bce") and num_classes == 2:
            return "binary"
        return "onehot"

    def declared_output_units(self) -> int | None:
        """The output layer's units when the config writes them (None when left to the data)."""
        model = self.model
        if isinstance(model, (MLPModel, CNNModel)):
            return model.output.units
        last = model.layers[-1]
        units = last.kwargs.get("units") if last.name == "Dense" else None
        return units if isinstance(units, int) else None

    def resolve_task(self, continuous_labels: bool) -> Literal["classification", "regression"]:
        """The task: the config's, else inferred from the labels, the loss and the output layer."""
        if self.task != "auto":
            return self.task
        if continuous_labels:
            return "regression"
        if self.loss.name.lower() in REGRESSION_LOSSES and self.declared_output_units() == 1:
            return "regression"
        return "classification"

    def for_task(self, task: str) -> TaskRules:
        """A copy of this config with the task resolved, and a regression's defaults where the config names none."""
        if task != "regression":
            updated = self.model_copy(update={"task": task})
        else:
            changes: dict[str, Any] = {"task": task}
            if "loss" not in self.model_fields_set:
                changes["loss"] = KerasObject(name="mse")
            if "metrics" not in self.model_fields_set:
                changes["metrics"] = [KerasObject(name="mae")]  # RMSE and R² are added from the predictions
            updated = self.model_copy(update=changes)
        updated._source, updated._origins, updated._overrides = self._source, self._origins, self._overrides
        return updated

    def output_activation(self) -> str:
        """The output activation the loss expects when the config does not say."""
        if self.task == "regression":
            return "linear"
        name = self.loss.name.lower()
        if self.loss.kwargs.get("from_logits"):
            return "linear"
        if "binary" in name or name == "bce":
            return "sigmoid"
        return "softmax"
