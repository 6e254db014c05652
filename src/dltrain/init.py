"""Starter configs: ``dltrain init`` writes a commented config that passes ``dltrain validate``.

Each preset is a small, complete config with a comment beside every key, on
a dataset that works offline (scikit-learn's digits, or its diabetes table for
``regression``) unless ``dataset`` names another one. Datasets read from
files (npz, idx, csv, image_folder, text_folder) get a ``path:`` to fill in.
No TensorFlow is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from dltrain import runs
from dltrain.config.data_section import DataConfig
from dltrain.errors import UserError

PATH_DATASETS = {
    "npz": "data/my_data.npz         # x_train, y_train, x_test, y_test (Keras's mnist.npz layout)",
    "idx": "data/my_idx              # a folder of MNIST-style idx files",
    "csv": "data/my_table.csv        # a header row; one column is the label",
    "image_folder": "data/my_images  # one sub-folder of images per class",
    "text_folder": "data/my_texts    # one sub-folder of .txt files per class",
}
IMAGE_DATASETS = ("mnist", "fashion_mnist", "cifar10", "cifar100", "image_folder")

HEADER = """\
# A starter config written by `dltrain init --preset {preset}`. Train it with:
#   dltrain fit {path}
# Check it without training (add --build to build the model too):
#   dltrain validate {path}
name: {name}
seed: 42                   # the same seed gives the same data split, initial weights and epoch order
"""

FOOTER = """\
optimizer: {{Adam: {{learning_rate: 0.001}}}}  # any Keras optimizer by name, with its arguments
metrics: [{metric}]{metric_comment}
training:
  epochs: {epochs:<17}# passes over the training data
  batch_size: 32           # samples per gradient step
  monitor: {monitor:<16}# best.keras keeps the epoch with the best value of this
  callbacks:
    - EarlyStopping: {{monitor: val_loss, patience: 5, restore_best_weights: true}}
"""

MODELS = {
    "mlp": """\
model:
  type: mlp                # Dense layers on the flattened input
  hidden_units: [128, 64]  # one Dense layer per entry
  activation: relu
  dropout: 0.1             # after each hidden layer
""",
    "cnn": """\
model:
  type: sequential         # Keras layers in order, by class name with their arguments
  layers:
    - Conv2D: {filters: 16, kernel_size: 3, padding: same, activation: relu}
    - MaxPooling2D: {pool_size: 2}
    - Conv2D: {filters: 32, kernel_size: 3, padding: same, activation: relu}
    - GlobalAveragePooling2D
    - Dense: {}            # the output layer: units and activation filled in from the task
""",
    "sequential": """\
model:
  type: sequential         # Keras layers in order, by class name with their arguments
  layers:
    - Flatten
    - Dense: {units: 128, activation: relu}
    - Dropout: {rate: 0.1}
    - Dense: {}            # the output layer: units and activation filled in from the task
""",
    "functional": """\
model:
  type: functional         # a graph of layers: each takes the previous one unless it names `inputs`
  layers:
    - Flatten: {name: flat}
    - Dense: {units: 64, activation: relu, name: wide}
    - Dense: {units: 64, activation: relu, name: deep}
    - Add: {inputs: [wide, deep]}   # joins the two branches
    - Dense: {}            # the output layer: units and activation filled in from the task
""",
    "regression": """\
model:
  type: sequential         # Keras layers in order, by class name with their arguments
  layers:
    - Dense: {units: 64, activation: relu}
    - Dense: {units: 64, activation: relu}
    - Dense: {}            # one linear unit: filled in from the regression task
""",
}
PRESETS = tuple(MODELS)


@dataclass
class InitResult:
    """The starter config written."""

    path: Path
    preset: str
    dataset: str

    def as_dict(self) -> dict:
        """The result as JSON-ready data (``dltrain init --json``)."""
        return {"status": "ok", "path": str(self.path), "preset": self.preset, "dataset": self.dataset}


def _data_section(preset: str, dataset: str) -> str:
    lines = ["data:", f"  dataset: {dataset:<15} # built in: digits, iris, wine, breast_cancer, diabetes, mnist, "
                      "fashion_mnist, cifar10, cifar100; or npz, idx, csv, image_folder, text_folder"]
    if dataset in PATH_DATASETS:
        lines.append(f"  path: {PATH_DATASETS[dataset]}  (relative to this file)")
    if dataset == "image_folder":
        lines.append("  image_size: [64, 64]    # every image's height and width (they are not resized)")
    if dataset in IMAGE_DATASETS or dataset == "digits":
        lines.append("  scale: unit              # pixels -> [0, 1]")
    else:
        lines.append("  scale: standard          # each feature to mean 0, variance 1 (statistics of the training split)")
    if preset == "cnn" and dataset in ("digits", "mnist", "fashion_mnist"):
        lines.append("  reshape: channels        # (height, width) -> (height, width, 1) for Conv2D")
    lines.append("  validation_split: 0.1    # of the training set, for early stopping and best.keras")
    return "\n".join(lines) + "\n"


def starter_config(preset: str = "mlp", dataset: str | None = None, path: str = "config.yaml") -> str:
    """The text of a commented starter config.

    Args:
        preset: one of :data:`PRESETS`.
        dataset: ``data.dataset``; default digits (diabetes for ``regression``).
        path: the file it is written to, for the commands in its header comment.

    Raises:
        UserError: an unknown preset or dataset.
    """
    if preset not in MODELS:
        raise UserError(f"--preset is {preset!r}; expected one of: {', '.join(PRESETS)}")
    datasets = get_args(DataConfig.model_fields["dataset"].annotation)
    dataset = dataset or ("diabetes" if preset == "regression" else "digits")
    if dataset not in datasets:
        raise UserError(f"--dataset is {dataset!r}; expected one of: {', '.join(datasets)}")
    regression = preset == "regression" or dataset == "diabetes"
    loss = ("loss: mean_squared_error        # regression: the mean squared difference" if regression else
            "loss: sparse_categorical_crossentropy  # classes given as integers")
    task = "task: regression           # predict a number (inferred from the labels when left out)\n" if regression else ""
    footer = FOOTER.format(metric="mae" if regression else "accuracy",
                           metric_comment="                 # mean absolute error" if regression else "",
                           epochs=100 if regression else 30,
                           monitor="val_loss" if regression else "val_accuracy")
    name = Path(path).stem or "starter"
    return (HEADER.format(preset=preset, path=path, name=name) + task + _data_section(preset, dataset)
            + MODELS[preset] + loss + "\n" + footer)


def init(path: str | Path = "config.yaml", preset: str = "mlp", dataset: str | None = None,
         force: bool = False) -> InitResult:
    """Writes a commented starter config that passes ``dltrain validate``.

    Args:
        path: the YAML file to write.
        preset: mlp, cnn, sequential, functional or regression.
        dataset: ``data.dataset`` (default: digits; diabetes for ``regression``).
        force: overwrite an existing file.

    Raises:
        UserError: an unknown preset or dataset, or the file exists (without ``force``)
            or cannot be written.
    """
    path = Path(path)
    text = starter_config(preset, dataset, str(path))
    if path.exists() and not force:
        raise UserError("the file exists; choose another path or pass --force to overwrite it", file=str(path))
    try:
        runs.write_text(path, text)
    except OSError as err:
        raise UserError(f"cannot write the config ({err.strerror}); choose another path", file=str(path)) from None
    return InitResult(path, preset, dataset or ("diabetes" if preset == "regression" else "digits"))
