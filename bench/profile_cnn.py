"""Where the seed CNN's training step spends its time, layer by layer.

    python bench/profile_cnn.py [--batch 32] [--steps 200]

Times, on random data of MNIST's shape, the forward+backward pass of each part
of the seed 002 CNN alone (Conv2D 32 3x3, MaxPooling, Flatten+Dense 5408->128,
Dense 128->10 with the loss) and the whole Keras train step, each inside one
tf.function looping over many steps, so Python overhead is not counted. The
shares show which layer the 2 cores spend the epoch on, and how far each runs
from the matmul peak (FLOPs per part as in bench/run.py).
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

from floor import seconds_per_step as timed  # noqa: E402  (bench/ is this script's folder)


def part_loop(layer_fn, x):
    """A tf.function running forward + gradients of ``layer_fn`` on ``x`` ``n`` times."""
    @tf.function
    def loop(n):
        total = tf.constant(0.0)
        for _ in tf.range(n):
            with tf.GradientTape() as tape:
                tape.watch(x)
                out = layer_fn(x)
                loss = tf.reduce_mean(out)
            grads = tape.gradient(loss, [x, *tape.watched_variables()])
            total += tf.reduce_sum(grads[0][:1])
        return total
    return loop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    b = args.batch
    rng = np.random.default_rng(0)
    images = tf.constant(rng.random((b, 28, 28, 1), np.float32))
    conv = keras.layers.Conv2D(32, (3, 3), activation="relu")
    pool = keras.layers.MaxPooling2D((2, 2))
    dense = keras.layers.Dense(128, activation="relu")
    head = keras.layers.Dense(10, activation="softmax")
    conv_out = conv(images)
    pooled = pool(conv_out)
    flat = keras.layers.Flatten()(pooled)
    hidden = dense(flat)
    head(hidden)
    labels = tf.constant(rng.integers(0, 10, b))

    parts = {
        "Conv2D 32 3x3 (+relu)": (part_loop(conv, images), 2 * 26 * 26 * 9 * 32),
        "MaxPooling2D 2x2": (part_loop(pool, tf.identity(conv_out)), 0),
        "Dense 5408->128 (+relu)": (part_loop(dense, tf.identity(flat)), 2 * 5408 * 128),
        "Dense 128->10 softmax": (part_loop(head, tf.identity(hidden)), 2 * 128 * 10),
    }
    model = keras.Sequential([keras.Input((28, 28, 1)), conv, pool, keras.layers.Flatten(), dense, head])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.build((None, 28, 28, 1))
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    optimizer = keras.optimizers.Adam()
    optimizer.build(model.trainable_variables)

    @tf.function
    def train_loop(n):
        for _ in tf.range(n):
            with tf.GradientTape() as tape:
                loss = loss_fn(labels, model(images, training=True))
            optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    peak_a = tf.constant(rng.random((2048, 2048), np.float32))
    matmul = tf.function(lambda n: tf.reduce_sum(tf.linalg.matmul(peak_a, peak_a)))
    matmul_s = timed(matmul, 1, reps=5)
    peak = 2 * 2048 ** 3 / matmul_s

    whole = timed(train_loop, args.steps)
    print(f"batch {b}; matmul peak {peak / 1e9:.0f} GFLOP/s; whole train step {whole * 1e3:.2f} ms "
          f"({60000 / b * whole:.2f} s per 60k-sample epoch without any Keras or tf.data overhead)")
    print(f"{'part':<26} {'ms/step':>8} {'share':>7} {'% of peak':>10}")
    for name, (loop, flops) in parts.items():
        seconds = timed(loop, args.steps)
        use = f"{3 * flops * b / seconds / peak * 100:9.1f}%" if flops else "        -"
        print(f"{name:<26} {seconds * 1e3:8.3f} {seconds / whole * 100:6.1f}% {use}")


if __name__ == "__main__":
    main()
