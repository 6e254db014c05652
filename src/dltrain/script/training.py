"""The compile, fit and evaluate section: the config's Keras objects and arguments, written out."""

from __future__ import annotations

from dltrain import keras_names
from dltrain.config import Config, KerasObject
from dltrain.script.parts import DataPart
from dltrain.script.python import Code, block, keras_object, literal

# dltrain's `jit_compile: auto` turns XLA on for models of these layers only, and only for a training of
# at least this many FLOPs (dltrain.models.compile, which a test keeps equal to these).
XLA_FRIENDLY = {"Dense", "Dropout", "Flatten", "Activation", "BatchNormalization", "Reshape", "InputLayer"}
XLA_MIN_TRAINING_FLOPS = 250e9
# dltrain's `steps_per_execution: auto` runs one batch per call for a training of fewer batches than this.
MULTI_STEP_MIN_BATCHES = 400


def _object(family: str, spec: KerasObject) -> str:
    """A bare name stays a string (``"adam"``); with arguments it is the class (``keras.optimizers.Adam(...)``)."""
    if not spec.kwargs:
        return literal(spec.name)
    name = spec.name if spec.name[:1].isupper() else (keras_names.class_for(family, spec.name) or spec.name)
    return keras_object(family, name, spec.kwargs)


def _jit(config: Config, layer_names: list[str]) -> bool | str:
    """True/False, or "measured" where dltrain decides by the training's size (see :func:`_xla_lines`)."""
    choice = config.training.jit_compile
    if choice != "auto":
        return bool(choice)
    if config.training.deterministic or not all(name in XLA_FRIENDLY for name in layer_names):
        return False
    return "measured"


def _samples(data: DataPart, batch_size: int) -> str:
    """The expression that counts the training samples where the script runs."""
    return "len(x_train)" if data.arrays else f"int(train_ds.cardinality()) * {batch_size}"


def _steps_lines(data: DataPart, batch_size: int) -> list[str]:
    """dltrain's `steps_per_execution: auto`, computed where the script runs."""
    return ["# Batches per call as dltrain's `steps_per_execution: auto` chooses them: 32, or 1 for a training of",
            f"# fewer than {MULTI_STEP_MIN_BATCHES} batches, which does not repay tracing Keras's 32-step loop.",
            f"steps_per_execution = 32 if {_samples(data, batch_size)} * EPOCHS >= "
            f"{MULTI_STEP_MIN_BATCHES} * {batch_size} else 1", ""]


def _xla_lines(data: DataPart, batch_size: int) -> list[str]:
    """dltrain's rule for a dense model, computed where the script runs (the sample count is known there)."""
    samples = _samples(data, batch_size)
    return ["# XLA as dltrain's `jit_compile: auto` chooses it for dense layers: on when training takes at least",
            f"# {XLA_MIN_TRAINING_FLOPS / 1e9:.0f} GFLOP (6 x parameters x samples x epochs); "
            "shorter runs do not repay the compile.",
            f"use_xla = 6 * model.count_params() * {samples} * EPOCHS >= {XLA_MIN_TRAINING_FLOPS / 1e9:.0f}e9", ""]


def compile_lines(config: Config, layer_names: list[str], data: DataPart) -> list[str]:
    """``model.compile(...)`` with the config's loss, optimizer, metrics and speed settings."""
    metrics = ", ".join(_object("metrics", m) for m in config.metrics)
    jit = _jit(config, layer_names)
    steps = config.training.steps_per_execution
    lines = _xla_lines(data, config.training.batch_size) if jit == "measured" else []
    lines += _steps_lines(data, config.training.batch_size) if steps == "auto" else []
    lines += ["model.compile(",
             f"    optimizer={_object('optimizers', config.optimizer)},",
             f"    loss={_object('losses', config.loss)},",
             f"    metrics=[{metrics}],"]
    if steps == "auto":
        lines.append("    steps_per_execution=steps_per_execution,")
    elif steps != 1:
        lines.append(f"    steps_per_execution={steps},  # fewer calls into TensorFlow")
    if jit == "measured":
        lines.append("    jit_compile=use_xla,")
    elif jit:
        lines.append("    jit_compile=True,")
    return lines + [")"]


def _class_weight(config: Config, data: DataPart) -> list[str]:
    weights = config.training.class_weight
    if weights is None:
        return []
    if weights == "balanced":
        labels = "y_train" if data.label_encoding in ("sparse", "binary") else "y_train.argmax(axis=1)"
        if not data.arrays:
            raise config.error("the script generator writes class_weight: balanced for arrays only",
                               "training", "class_weight")
        return ["# balanced: n / (classes * count of the class), on the training labels",
                f"counts = np.bincount(np.asarray({labels}, int).reshape(-1))",
                "class_weight = {i: counts.sum() / (len(counts) * c) for i, c in enumerate(counts)}"]
    entries = []
    for key, value in weights.items():
        if key.isdigit():
            index = int(key)
        elif data.class_names and key in data.class_names:
            index = data.class_names.index(key)
        else:
            index = Code(f"list(class_names).index({literal(key)})")
        entries.append(f"    {literal(index)}: {value!r},  # {key}")
    return ["class_weight = {"] + entries + ["}"]


def _callbacks(config: Config) -> list[str]:
    if not config.training.callbacks:
        return []
    items = [_object("callbacks", c) if c.kwargs else f"keras.callbacks.{c.name}()" for c in config.training.callbacks]
    return ["callbacks = ["] + block([i + "," for i in items]) + ["]"]


def fit_lines(config: Config, data: DataPart) -> list[str]:
    """Callbacks, class weights, ``model.fit(...)`` and ``model.evaluate(...)``."""
    lines = _callbacks(config) + _class_weight(config, data)
    args = ["x_train, y_train", f"batch_size={config.training.batch_size}"] if data.arrays else ["train_ds"]
    args.append("epochs=EPOCHS")
    if data.validation:
        args.append(data.validation)
    if config.training.callbacks:
        args.append("callbacks=callbacks")
    if config.training.class_weight is not None:
        args.append("class_weight=class_weight")
    if not config.data.shuffle and data.arrays:
        args.append("shuffle=False")
    lines += ["model.fit(" + ", ".join(args) + ")", ""]
    test = f"x_test, y_test, batch_size={config.training.batch_size}" if data.arrays else "test_ds"
    lines += [f"scores = model.evaluate({test}, return_dict=True)", "print(\"test:\", scores)"]
    return lines
