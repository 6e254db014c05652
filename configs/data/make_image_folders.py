"""Writes Fashion-MNIST as PNG folders, one sub-folder per class: the layout `data.dataset: image_folder` reads.

    python configs/data/make_image_folders.py                   # all 70,000 images (about 1 minute)
    python configs/data/make_image_folders.py --per-class 100   # a quick subset

The images come from Debian's `dataset-fashion-mnist` package
(/usr/share/datasets/fashion-mnist), read with dltrain's IDX reader, and are
written as ``<out>/train/<class>/<i>.png`` and ``<out>/test/<class>/<i>.png``
(28×28, grayscale). ``configs/fashion_mnist_folder_cnn.yaml`` reads the default
output folder, ``configs/data/fashion_mnist_png``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from dltrain.data.sources.builtin import FASHION_MNIST_CLASSES
from dltrain.data.sources.idx import read_idx_dir

SOURCE = Path("/usr/share/datasets/fashion-mnist")
DEFAULT_OUT = Path(__file__).resolve().parent / "fashion_mnist_png"


def folder_name(class_name: str) -> str:
    """A class name usable as a folder name ('T-shirt/top' → 'T-shirt_top')."""
    return class_name.replace("/", "_")


def write_split(images: np.ndarray, labels: np.ndarray, out: Path, per_class: int | None) -> int:
    """Writes one split's images as ``out/<class>/<index>.png``; returns how many were written."""
    written = 0
    for label, name in enumerate(FASHION_MNIST_CLASSES):
        folder = out / folder_name(name)
        folder.mkdir(parents=True, exist_ok=True)
        indices = np.flatnonzero(labels == label)[:per_class]
        for i in indices:
            Image.fromarray(images[i], mode="L").save(folder / f"{i}.png")
        written += len(indices)
    return written


def main(argv: list[str] | None = None) -> int:
    """Parses the command line and writes both splits."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="folder with the four IDX files")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write train/ and test/")
    parser.add_argument("--per-class", type=int, default=None, help="write at most N images per class and split")
    args = parser.parse_args(argv)
    if (args.out / "train").exists() or (args.out / "test").exists():
        print(f"{args.out} already has train/ or test/: remove it first", file=sys.stderr)
        return 1
    arrays = read_idx_dir(args.source)
    n_train = write_split(arrays.x_train, arrays.y_train, args.out / "train", args.per_class)
    n_test = write_split(arrays.x_test, arrays.y_test, args.out / "test", args.per_class)
    print(f"wrote {n_train:,} training and {n_test:,} test images under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
