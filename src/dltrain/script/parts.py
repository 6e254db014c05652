"""What each part of a generated script hands to the next: its lines, and the names it defines."""

from __future__ import annotations

from dataclasses import dataclass, field

# The smoke-mode switch every generated script reads (dltrain's tests set it).
SMOKE_VARIABLE = "DLTRAIN_SCRIPT_SMOKE"
SMOKE_SAMPLES = 200


@dataclass
class DataPart:
    """The data section of a script.

    It defines ``input_shape`` (one sample as the model takes it), ``num_classes``
    and ``class_names`` where they exist, and either arrays (``x_train``,
    ``y_train``, ``x_test``, ``y_test``) or datasets (``train_ds``, ``val_ds``, ``test_ds``).
    """

    lines: list[str]
    imports: list[str] = field(default_factory=list)
    arrays: bool = True
    validation: str = ""          # the fit argument, e.g. ``validation_split=0.1``
    notes: list[str] = field(default_factory=list)  # what the script does differently from dltrain
    class_names: list[str] | None = None  # known when the script is written (for class_weight)
    task: str = "classification"
    label_encoding: str = "sparse"
    skip_layers: int = 0          # leading model.layers the data section already holds (TextVectorization)
