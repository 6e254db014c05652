"""The compute floor of a seed model's epoch: its bare compiled train step, times the steps.

    python bench/floor.py --model mlp|cnn [--samples 60000] [--steps 200] [--json]

Times, on random data of MNIST's shape, the seed model's whole train step
(forward, loss, gradients, optimizer update) inside one ``tf.function`` that
loops over many steps on one batch held in memory: no Keras ``fit`` loop, no
``tf.data``, no callbacks, no Python between steps. It does so with XLA off and
on (``jit_compile``) and keeps the faster: that is the fastest this machine
runs the step, whatever dltrain or the seed script choose. The epoch floor is

    ceil(samples / batch) × train step  [+ ceil(10,000 / batch) × test step for the MLP]

because the MLP's seed (and so dltrain's config) validates on the 10,000 test
images every epoch; the test step is the forward pass and loss, timed the same
way. ``bench/run.py`` runs this in a child process beside the trainings it
compares and divides their epoch times by the floor.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

TEST_SAMPLES = 10_000
SEEDS = {  # the seed scripts' layers, optimizer and batch (bench/seeds/seed_000 and seed_002)
    "mlp": {"batch": 128, "optimizer": "sgd", "validates": True, "input": (784,),
            "layers": lambda: [keras.layers.Dense(512, activation="relu"), keras.layers.Dense(512, activation="relu"),
                               keras.layers.Dense(10, activation="softmax")]},
    "cnn": {"batch": 32, "optimizer": "adam", "validates": False, "input": (28, 28, 1),
            "layers": lambda: [keras.layers.Conv2D(32, (3, 3), activation="relu"), keras.layers.MaxPooling2D((2, 2)),
                               keras.layers.Flatten(), keras.layers.Dense(128, activation="relu"),
                               keras.layers.Dense(10, activation="softmax")]},
}


def seconds_per_step(loop, steps: int, reps: int = 3) -> float:
    """Seconds per step of a compiled loop of ``steps`` steps (best of ``reps``, after a warm-up)."""
    loop(tf.constant(2)).numpy()  # trace, compile, warm up
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        loop(tf.constant(steps)).numpy()
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def step_loops(name: str, jit: bool):
    """(train loop, test loop) of a fresh seed model, each a tf.function running ``n`` steps on one batch."""
    seed = SEEDS[name]
    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((seed["batch"], *seed["input"]), np.float32))
    y = tf.constant(rng.integers(0, 10, seed["batch"]))
    model = keras.Sequential([keras.Input(seed["input"]), *seed["layers"]()])
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    optimizer = keras.optimizers.get(seed["optimizer"])
    optimizer.build(model.trainable_variables)

    @tf.function(jit_compile=jit)
    def train(n):
        loss = tf.constant(0.0)
        for _ in tf.range(n):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    @tf.function(jit_compile=jit)
    def test(n):
        total = tf.constant(0.0)
        for i in tf.range(n):
            # The input moves with i: a loop-invariant forward pass would be hoisted out of the loop by XLA.
            total += loss_fn(y, model(x + tf.cast(i, tf.float32) * 1e-6, training=False))
        return total

    return train, test


def floor(name: str, samples: int, steps: int) -> dict:
    """The epoch floor of seed model ``name`` on ``samples`` training samples, with its parts."""
    seed = SEEDS[name]
    result = {"model": name, "batch": seed["batch"], "samples": samples, "step_ms": {}}
    for jit in (False, True):
        train, test = step_loops(name, jit)
        label = "xla" if jit else "graph"
        result["step_ms"][f"train_{label}"] = seconds_per_step(train, steps) * 1e3
        if seed["validates"]:
            result["step_ms"][f"test_{label}"] = seconds_per_step(test, steps) * 1e3
    train_ms = min(result["step_ms"]["train_graph"], result["step_ms"]["train_xla"])
    epoch = math.ceil(samples / seed["batch"]) * train_ms / 1e3
    if seed["validates"]:
        test_ms = min(result["step_ms"]["test_graph"], result["step_ms"]["test_xla"])
        epoch += math.ceil(TEST_SAMPLES / seed["batch"]) * test_ms / 1e3
    result["epoch_floor_s"] = epoch
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(SEEDS), required=True)
    parser.add_argument("--samples", type=int, default=60_000, help="training samples per epoch")
    parser.add_argument("--steps", type=int, default=200, help="steps per timed loop")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = floor(args.model, args.samples, args.steps)
    if args.json:
        print(json.dumps(result))
        return
    steps = ", ".join(f"{k} {v:.3f} ms" for k, v in result["step_ms"].items())
    print(f"{args.model}: batch {result['batch']}; {steps}; epoch floor {result['epoch_floor_s']:.2f} s "
          f"for {args.samples:,} samples")


if __name__ == "__main__":
    main()
