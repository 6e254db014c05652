"""The seed MLP and CNN on a GPU: float32 against Keras's mixed precision, compiled and eager.

Plain Keras (any backend), built as dltrain builds a ``training.mixed_precision: true``
model: the global dtype policy set while the model is built, a last float32
``Activation`` casting the output back, and ``compile``'s own loss scaling. Run where a
GPU is; prints a Markdown table (and writes it to ``--out``)::

    KERAS_BACKEND=jax python bench/gpu_precision.py --data DIR_WITH_FASHION_MNIST_GZ

Epoch times are the median of the epochs after the first (which compiles).
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import time
from pathlib import Path

import numpy as np


def read_idx(path: Path) -> np.ndarray:
    data = gzip.decompress(path.read_bytes())
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist(folder: Path):
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    return [read_idx(folder / f"{n}.gz") for n in names]


class EpochTimes:
    def __init__(self):
        self.times, self._start = [], None

    def callback(self, keras):
        outer = self

        class Timer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                outer._start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                outer.times.append(time.perf_counter() - outer._start)

        return Timer()


def build(keras, kind: str, policy: str):
    """The seed's layers under ``policy`` (the seeds' posts: bench/seeds/seed_000 and seed_002)."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        if kind == "mlp":
            layers = [keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                      keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10, activation="softmax")]
        else:
            layers = [keras.Input((28, 28, 1)), keras.layers.Conv2D(32, (3, 3), activation="relu"),
                      keras.layers.MaxPooling2D((2, 2)), keras.layers.Flatten(),
                      keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10, activation="softmax")]
        if policy != "float32":
            layers.append(keras.layers.Activation("linear", dtype="float32", name="float32_output"))
        return keras.Sequential(layers)
    finally:
        keras.config.set_dtype_policy(previous)


def one(keras, kind, policy, eager, data, epochs):
    x_train, y_train, x_test, y_test = data
    x_train, x_test = x_train.astype("float32") / 255, x_test.astype("float32") / 255
    if kind == "mlp":
        x_train, x_test = x_train.reshape(-1, 784), x_test.reshape(-1, 784)
        batch, optimizer, loss = 128, "sgd", "categorical_crossentropy"
        y_train, y_test = keras.utils.to_categorical(y_train, 10), keras.utils.to_categorical(y_test, 10)
    else:
        x_train, x_test = x_train[..., None], x_test[..., None]
        batch, optimizer, loss = 32, "adam", "sparse_categorical_crossentropy"
    keras.utils.set_random_seed(1)
    model = build(keras, kind, policy)
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"], steps_per_execution=32,
                  run_eagerly=eager, jit_compile=not eager)
    timer = EpochTimes()
    model.fit(x_train, y_train, batch_size=batch, epochs=epochs, verbose=0, callbacks=[timer.callback(keras)])
    accuracy = model.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]
    steady = statistics.median(timer.times[1:])
    return {"model": kind, "policy": policy, "compiled": "eager" if eager else "XLA (jit)",
            "first epoch s": timer.times[0], "steady epoch s": steady, "samples/s": len(x_train) / steady,
            "test accuracy": accuracy, "optimizer": type(model.optimizer).__name__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with Fashion-MNIST's four .gz files")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import keras

    data = fashion_mnist(args.data)
    rows = []
    for kind in ("mlp", "cnn"):
        for policy in ("float32", "mixed_float16", "mixed_bfloat16"):
            rows.append(one(keras, kind, policy, False, data, args.epochs))
            print(rows[-1], flush=True)
        rows.append(one(keras, kind, "float32", True, data, 3))
        print(rows[-1], flush=True)
    head = ["model", "policy", "compiled", "first epoch s", "steady epoch s", "samples/s", "test accuracy", "optimizer"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"{r[h]:,.0f}" if h == "samples/s" else f"{r[h]:.3f}" if isinstance(r[h], float) else str(r[h])
                 for h in head]
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
