"""Does the image-folder pipeline keep the model fed? Folder vs in-memory array, same model, one run.

    python configs/data/make_image_folders.py            # once: Fashion-MNIST as PNG folders
    python bench/image_folder.py [--folder configs/data/fashion_mnist_png] [--epochs 3]

Trains the seed CNN (Conv2D 32 3×3 → MaxPooling 2×2 → Dense 128 → Dense 10,
batch 32, ``steps_per_execution`` 32 as dltrain compiles it) on the PNG
folder's training images through :func:`dltrain.data.image_folder.image_folder_bundle`,
then on the same images as an in-memory uint8 array through
:func:`dltrain.data.pipeline.training_dataset`, and prints the median epoch
time after the first (the folder's first epoch decodes and fills the cache)
and their ratio. The goal is a ratio of at most 1.2.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from dltrain.config import config_from_data
from dltrain.data.image_folder import image_folder_bundle
from dltrain.data.pipeline import training_dataset
from dltrain.tf_quiet import keras

DEFAULT_FOLDER = Path(__file__).resolve().parents[1] / "configs" / "data" / "fashion_mnist_png"


class EpochTimer(keras.callbacks.Callback):
    """Wall time of each epoch."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def seed_cnn() -> keras.Model:
    """The seed CNN, behind Rescaling(1/255) as dltrain's preprocessing does in the pipeline."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=32, jit_compile=False)
    return model


def epochs_of(train, epochs: int) -> list[float]:
    """Per-epoch seconds of ``fit`` on a TrainingData, reshuffled each epoch as dltrain does."""
    timer = EpochTimer()
    reshuffle = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: train.set_epoch(epoch))
    seed_cnn().fit(train.dataset, epochs=epochs, callbacks=[reshuffle, timer], verbose=0)
    return timer.seconds


def main() -> None:
    """Times both pipelines and prints the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    config = config_from_data({
        "data": {"dataset": "image_folder", "path": str(args.folder / "train"), "test_path": str(args.folder / "test"),
                 "image_size": [28, 28], "color_mode": "grayscale", "validation_split": 0.0},
        "model": {"type": "cnn"},
    })
    start = time.perf_counter()
    bundle = image_folder_bundle(config, seed=0)
    listing = time.perf_counter() - start
    folder = epochs_of(bundle.train, args.epochs)

    # The same images as one uint8 array, read back through the folder pipeline once (not timed).
    images, labels = [], []
    bundle.train.set_epoch(0)
    for x, y in bundle.train.dataset:
        images.append(np.rint(x.numpy() * 255).astype(np.uint8))
        labels.append(y.numpy())
    x_all, y_all = np.concatenate(images), np.concatenate(labels)
    rescale = keras.layers.Rescaling(1 / 255)
    memory = epochs_of(training_dataset(x_all, y_all, 32, seed=0, preprocess=rescale), args.epochs)

    f, m = statistics.median(folder[1:]), statistics.median(memory[1:])
    print(f"{len(y_all):,} training images from {args.folder}; listing and checking the files: {listing:.1f} s")
    print(f"image folder epochs (s): {', '.join(f'{s:.2f}' for s in folder)}")
    print(f"in-memory array epochs (s): {', '.join(f'{s:.2f}' for s in memory)}")
    print(f"median epoch after the first: folder {f:.2f} s, array {m:.2f} s, ratio {f / m:.2f}× (goal ≤ 1.2×)")


if __name__ == "__main__":
    main()
