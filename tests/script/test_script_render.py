"""``dltrain script``: every shipped config renders a valid script of keras, numpy and its loader only."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from dltrain.cli.app import run
from dltrain.config import load_config
from dltrain.errors import UserError
from dltrain.script import SMOKE_VARIABLE, render_script

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
ALLOWED_IMPORTS = {"keras", "numpy", "sklearn", "tensorflow", "json", "os", "csv"}
# Seed 001's model and compile lines, as its post writes them (the post has no data, so no script in bench/seeds).
SEED_001 = """
model = Sequential()
model.add(Dense(units=64, activation='relu', input_dim=100))
model.add(Dense(units=10, activation='softmax'))
"""
SEEDS = {
    "mnist_mlp.yaml": (ROOT / "bench/seeds/seed_000_mnist_mlp.py").read_text(encoding="utf-8"),
    "mnist_cnn.yaml": (ROOT / "bench/seeds/seed_002_mnist_cnn.py").read_text(encoding="utf-8"),
    "mnist_dense.yaml": (ROOT / "bench/seeds/seed_003_mnist_dense.py").read_text(encoding="utf-8"),
    "features_mlp.yaml": SEED_001,
}


def load_or_skip(path: Path):
    """The config, or a skip when its data folder is not on this machine (it cannot be validated without it)."""
    try:
        return load_config(path)
    except UserError as err:
        if "no such file or folder" in str(err):
            pytest.skip(f"{path.name}: its data is not on this machine")
        raise


def imported_modules(source: str) -> set[str]:
    """The top-level packages a script imports."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


def layer_calls(source: str) -> list[tuple[str, dict]]:
    """Each Keras layer a script constructs, with its arguments bound to names (input shapes left out)."""
    import keras

    calls = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        cls = getattr(keras.layers, name, None)
        if not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)) or name in ("Input", "InputLayer"):
            continue
        value = lambda n: ast.literal_eval(n) if not isinstance(n, ast.Name) else n.id  # noqa: E731
        args = [value(a) for a in node.args]
        kwargs = {k.arg: value(k.value) for k in node.keywords if k.arg not in ("input_shape", "input_dim")}
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs).arguments
        bound.pop("self", None)
        bound.update(bound.pop("kwargs", {}))
        calls.append((name, {k: tuple(v) if isinstance(v, list) else v for k, v in bound.items()}))
    return calls


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_every_shipped_config_renders_a_valid_plain_keras_script(path):
    source = render_script(load_or_skip(path))
    compile(source, str(path), "exec")
    assert imported_modules(source) <= ALLOWED_IMPORTS, imported_modules(source) - ALLOWED_IMPORTS
    assert "dltrain" not in imported_modules(source)
    assert SMOKE_VARIABLE in source
    assert "model.fit(" in source and "model.evaluate(" in source and "model.compile(" in source


@pytest.mark.parametrize("config_name", sorted(SEEDS))
def test_a_seed_configs_model_is_the_seed_posts_model(config_name):
    source = render_script(load_config(ROOT / "configs" / config_name))
    expected = layer_calls(SEEDS[config_name])
    assert expected, "the seed has layers to compare"
    assert layer_calls(source) == expected


def test_the_compile_and_fit_arguments_are_the_configs():
    source = render_script(load_config(ROOT / "configs" / "breast_cancer_imbalanced.yaml"))
    assert "optimizer=keras.optimizers.Adam(learning_rate=0.01)" in source
    assert 'keras.metrics.FalseNegatives(name="fn")' in source
    assert "batch_size=2048" in source and "EPOCHS = 1 if SMOKE else 30" in source
    assert "validation_data=(x_test, y_test)" in source and "class_weight=class_weight" in source
    assert "0: 0.006289308176100629,  # malignant" in source  # the class name mapped to its index


def test_a_config_it_cannot_render_is_one_error_line(capsys):
    code = run(["script", str(ROOT / "configs" / "digits_mlp.yaml"), "--set", "data.dataset=idx",
                "--set", "data.path=data/features.csv"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert [line for line in err if line.startswith("error:")] == [
        line for line in err if "cannot write a loader for IDX files" in line]
    assert len([line for line in err if line.startswith("error:")]) == 1


def test_the_command_prints_the_script_or_writes_it(capsys, tmp_path):
    config = str(ROOT / "configs" / "digits_mlp.yaml")
    assert run(["script", config]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith('"""digits_mlp: plain Keras') and "sklearn.datasets.load_digits()" in printed
    assert run(["script", config, "--set", "training.epochs=3", "-o", str(tmp_path / "train.py")]) == 0
    assert "EPOCHS = 1 if SMOKE else 3" in (tmp_path / "train.py").read_text(encoding="utf-8")


def test_keras_objects_inside_arguments_become_the_calls_that_build_them(write_config):
    path = write_config("""\
        model:
          type: sequential
          layers:
            - Reshape: {target_shape: [8, 8]}
            - Bidirectional: {layer: {LSTM: {units: 4, kernel_regularizer: {l2: {l2: 0.001}}}}}
            - Dense: {units: 16, kernel_initializer: {HeNormal: {seed: 1}}, kernel_constraint: {MaxNorm: {max_value: 2}}}
            - Dense: {}
        optimizer: {SGD: {learning_rate: {ExponentialDecay: {initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.9}}}}
        """)
    source = render_script(load_config(path))
    compile(source, str(path), "exec")
    assert ("keras.layers.Bidirectional(layer=keras.layers.LSTM(units=4, "
            "kernel_regularizer=keras.regularizers.L2(l2=0.001)))") in source
    assert ("keras.layers.Dense(16, kernel_initializer=keras.initializers.HeNormal(seed=1), "
            "kernel_constraint=keras.constraints.MaxNorm(max_value=2))") in source
    assert ("optimizer=keras.optimizers.SGD(learning_rate=keras.optimizers.schedules.ExponentialDecay("
            "initial_learning_rate=0.1, decay_steps=10, decay_rate=0.9))") in source


@pytest.mark.slow
def test_a_script_with_nested_objects_runs(write_config, tmp_path):
    import os
    import subprocess
    import sys

    path = write_config("""\
        data: {dataset: digits}
        model:
          type: sequential
          layers:
            - Dense: {units: 8, kernel_regularizer: {L1L2: {l1: 0.01}}, bias_initializer: {Constant: {value: 0.1}}}
            - Dense: {}
        """)
    (tmp_path / "train.py").write_text(render_script(load_config(path)), encoding="utf-8")
    done = subprocess.run([sys.executable, str(tmp_path / "train.py")], capture_output=True, text=True,
                          env={**os.environ, SMOKE_VARIABLE: "1"}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"layers": ["Dense", "Dense"]' in done.stdout


def test_the_scripts_xla_choice_is_dltrains_rule():
    from dltrain.models.compile import XLA_FRIENDLY, XLA_MIN_TRAINING_FLOPS
    from dltrain.script import training

    assert training.XLA_FRIENDLY == XLA_FRIENDLY and training.XLA_MIN_TRAINING_FLOPS == XLA_MIN_TRAINING_FLOPS
    script = render_script(load_config(ROOT / "configs" / "mnist_mlp.yaml"))
    rule = next(line for line in script.splitlines() if line.startswith("use_xla = "))
    assert "jit_compile=use_xla," in script
    for params, samples, epochs, expected in [(669_706, 60_000, 20, True), (669_706, 200, 1, False)]:
        namespace = {"model": type("M", (), {"count_params": lambda self, p=params: p})(),
                     "x_train": range(samples), "EPOCHS": epochs}
        exec(rule, namespace)  # noqa: S102  (the script's own line, evaluated)
        assert namespace["use_xla"] is expected
    cnn = render_script(load_config(ROOT / "configs" / "mnist_cnn.yaml"))
    assert "jit_compile" not in cnn and "use_xla" not in cnn  # convolutions: dltrain keeps XLA off


def test_the_scripts_steps_per_execution_is_dltrains_rule():
    from dltrain.models.compile import MULTI_STEP_MIN_BATCHES
    from dltrain.script import training

    assert training.MULTI_STEP_MIN_BATCHES == MULTI_STEP_MIN_BATCHES
    script = render_script(load_config(ROOT / "configs" / "digits_mlp.yaml"))
    rule = next(line for line in script.splitlines() if line.startswith("steps_per_execution = "))
    assert "    steps_per_execution=steps_per_execution," in script
    for samples, epochs, expected in [(1_347, 60, 32), (1_347, 2, 1), (12_800, 1, 32), (12_799, 1, 1)]:
        namespace = {"x_train": range(samples), "EPOCHS": epochs}
        exec(rule, namespace)  # noqa: S102  (the script's own line, evaluated)
        assert namespace["steps_per_execution"] == expected
    fixed = render_script(load_config(ROOT / "configs" / "digits_mlp.yaml", ["training.steps_per_execution=4"]))
    assert "steps_per_execution=4," in fixed and "steps_per_execution = " not in fixed
    assert "steps_per_execution" not in render_script(
        load_config(ROOT / "configs" / "digits_mlp.yaml", ["training.steps_per_execution=1"]))


def test_a_mixed_precision_config_says_the_script_trains_in_float32():
    script = render_script(load_config(ROOT / "configs" / "digits_mlp.yaml", ["training.mixed_precision=true"]))
    assert "mixed precision on a GPU or TPU (training.mixed_precision): this script trains in float32" in script
    assert "mixed precision" not in render_script(load_config(ROOT / "configs" / "digits_mlp.yaml"))
