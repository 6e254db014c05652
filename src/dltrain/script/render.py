"""The whole script: a header, imports, then data → model → compile → fit → evaluate, top to bottom."""

from __future__ import annotations

from dltrain.config import Config
from dltrain.data.table import needs_table_kind
from dltrain.script.arrays import array_data
from dltrain.script.folders import image_folder_data, text_folder_data
from dltrain.script.model import model_lines
from dltrain.script.parts import SMOKE_SAMPLES, SMOKE_VARIABLE, DataPart
from dltrain.script.training import compile_lines, fit_lines

WHAT_DLTRAIN_ADDS = (
    "a run directory (resolved config, history.csv, best.keras and model.keras, report.html)",
    "resume after an interruption, from the last complete epoch",
    "a per-epoch reshuffle from the seed, and the seed set for every library",
    "the scaling as layers inside the saved model, which then takes raw data",
)


def _data(config: Config) -> tuple[DataPart, Config]:
    if config.data.dataset == "image_folder":
        return image_folder_data(config), config
    if config.data.dataset == "text_folder":
        return text_folder_data(config), config
    if needs_table_kind(config):
        from dltrain.script.table import table_data

        return table_data(config)
    return array_data(config)


def _header(config: Config, source: str, notes: list[str]) -> list[str]:
    lines = [f'"""{config.name}: plain Keras, written by `dltrain script {source}`.', "",
             "The same data, model, compile and fit arguments as the config. What dltrain adds that this",
             "script does not:"]
    lines += [f"- {item}" for item in WHAT_DLTRAIN_ADDS]
    if config.training.monitor:
        lines.append(f"- best.keras: the weights of the epoch with the best {config.training.monitor}")
    if config.training.mixed_precision:
        lines.append("- mixed precision on a GPU or TPU (training.mixed_precision): this script trains in float32")
    if notes:
        lines += ["", "Differences:"] + [f"- {note}" for note in notes]
    lines += ["", f"{SMOKE_VARIABLE}=1 runs a smoke test: {SMOKE_SAMPLES} samples, one epoch (generated arrays",
              "for datasets that are downloads).", '"""']
    return lines


def render_script(config: Config) -> str:
    """A self-contained Python script that trains the config's model with plain Keras.

    Args:
        config: the validated config (``dltrain.config.load_config``).

    Returns:
        The script's source: imports only ``keras``, ``numpy``, the standard
        library and the loader its dataset needs (scikit-learn, TensorFlow).

    Raises:
        UserError: a config the generator cannot write (an IDX file, a folder
            without ``test_path``, ...), with the key that stops it.

    Example:
        >>> print(render_script(load_config("configs/mnist_mlp.yaml")))  # doctest: +SKIP
    """
    data, config = _data(config)
    model, layer_classes = model_lines(config, data.task, data.label_encoding, data.skip_layers)
    source = config.source or f"{config.name}.yaml"
    imports = ["import json", "import os", "", "import numpy as np", "import keras", *data.imports]
    smoke = [f"SMOKE = os.environ.get(\"{SMOKE_VARIABLE}\") == \"1\"  # a few samples and one epoch, for tests",
             f"EPOCHS = 1 if SMOKE else {config.training.epochs}"]
    if config.seed is not None:
        smoke.append(f"keras.utils.set_random_seed({config.seed})")
    parts = [_header(config, source, data.notes), imports, smoke, ["# The data"] + data.lines,
             ["# The model"] + model, compile_lines(config, ["InputLayer", *layer_classes], data),
             fit_lines(config, data),
             ["if SMOKE:  # one JSON line for dltrain's tests: what was built",
              "    print(json.dumps({\"params\": model.count_params(),",
              "                      \"layers\": [type(layer).__name__ for layer in model.layers]}))"]]
    return "\n\n".join("\n".join(part) for part in parts) + "\n"
