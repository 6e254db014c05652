"""This machine's float32 matrix-multiply rate in TensorFlow: the "peak" run.py divides by.

    python bench/matmul_peak.py [--n 2048] [--warmup 2] [--reps 5]

Prints one JSON line: the best and median GFLOP/s over the timed repetitions
(one n×n by n×n matmul is 2·n³ FLOPs), and TensorFlow's and Keras's versions.
It runs with TensorFlow's default thread pools, as the trainings do; the best
repetition is the peak because noise on a shared machine only slows runs down.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402


def matmul_gflops(n: int, warmup: int, reps: int) -> list[float]:
    """GFLOP/s of each timed n×n float32 matmul, after ``warmup`` untimed ones."""
    a = tf.random.uniform((n, n), dtype=tf.float32)
    b = tf.random.uniform((n, n), dtype=tf.float32)
    rates = []
    for i in range(warmup + reps):
        start = time.perf_counter()
        c = tf.linalg.matmul(a, b)
        float(c[0, 0])  # copying one element back waits for the result
        seconds = time.perf_counter() - start
        if i >= warmup:
            rates.append(2 * n**3 / seconds / 1e9)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    rates = matmul_gflops(args.n, args.warmup, args.reps)
    print(json.dumps({"n": args.n, "reps": args.reps, "best_gflops": max(rates),
                      "median_gflops": statistics.median(rates),
                      "tensorflow": tf.__version__, "keras": keras.__version__}))


if __name__ == "__main__":
    main()
