"""Built-in datasets: where a copy is looked for, digits, synthetic data of a dataset's shape.

Built-in names are looked up, in order, at: the config's ``data.path`` →
``$DLTRAIN_DATA_DIR`` → Keras's cache (``~/.keras/datasets``) → system copies
(Debian's ``dataset-fashion-mnist``) → Keras's own download. Local copies use
Keras's file names and layout, so a file downloaded by Keras works as is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dltrain.config import Config, data_path
from dltrain.data.sources.arrays import Arrays
from dltrain.data.sources.cifar import CIFAR10_CLASSES, read_cifar10, read_cifar100
from dltrain.data.sources.idx import FILES as FASHION_MNIST_FILES
from dltrain.data.sources.idx import read_idx_dir
from dltrain.data.sources.npz import read_npz
from dltrain.errors import UserError

# A fixed split for datasets that ship without a test set, so that every run of
# every config is scored on the same held-out rows whatever its `seed`.
TEST_SPLIT_SEED = 0

FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
SYSTEM_DIRS = {"fashion_mnist": [Path("/usr/share/datasets/fashion-mnist")]}


@dataclass(frozen=True)
class Spec:
    """What a built-in dataset looks like, known without loading it."""

    sample_shape: tuple[int, ...]
    num_classes: int
    dtype: str = "uint8"
    class_names: tuple[str, ...] | None = None


BUILTIN_SPECS = {
    "digits": Spec((8, 8), 10, "float32"),
    "iris": Spec((4,), 3, "float32"),
    "wine": Spec((13,), 3, "float32"),
    "breast_cancer": Spec((30,), 2, "float32"),
    "diabetes": Spec((10,), 0, "float32"),
    "mnist": Spec((28, 28), 10),
    "fashion_mnist": Spec((28, 28), 10, class_names=tuple(FASHION_MNIST_CLASSES)),
    "cifar10": Spec((32, 32, 3), 10, class_names=tuple(CIFAR10_CLASSES)),
    "cifar100": Spec((32, 32, 3), 100),
}


# For each built-in: the name Keras caches it under, and how to read it from there.
_LAYOUT = {
    "mnist": ("mnist.npz", read_npz),
    "fashion_mnist": ("fashion-mnist", lambda p: read_idx_dir(p, FASHION_MNIST_CLASSES)),
    "cifar10": ("cifar-10-batches-py", read_cifar10),
    "cifar100": ("cifar-100-python", read_cifar100),
}


def _looks_like(place: Path, dataset: str) -> bool:
    """Whether ``place`` itself is a copy of the dataset, whatever its name."""
    if dataset == "mnist":
        return place.is_file()
    marker = {"fashion_mnist": FASHION_MNIST_FILES[0], "cifar10": "data_batch_1", "cifar100": "train"}[dataset]
    return place.is_dir() and (place / marker).exists()


def _copy_in(place: Path, dataset: str) -> Path | None:
    """The dataset's copy at a place: the place itself, or Keras's name inside it."""
    keras_name, _ = _LAYOUT[dataset]
    if _looks_like(place / keras_name, dataset):  # not the empty folder a failed Keras download leaves
        return place / keras_name
    if _looks_like(place, dataset):
        return place  # e.g. Debian's IDX files directly in /usr/share/datasets/fashion-mnist
    return None


def candidate_places(config: Config) -> list[tuple[str, Path]]:
    """Where a built-in dataset is looked for, in order, with a label for each."""
    places = []
    if config.data.path:
        places.append(("data.path", data_path(config, config.data.path)))
    if os.environ.get("DLTRAIN_DATA_DIR"):
        places.append(("$DLTRAIN_DATA_DIR", Path(os.environ["DLTRAIN_DATA_DIR"]).expanduser()))
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    places.append(("Keras's cache", keras_home / "datasets"))
    places += [("system copy", p) for p in SYSTEM_DIRS.get(config.data.dataset, [])]
    return places


def _download(dataset: str) -> Arrays:
    """Keras's own download, the last resort (needs the internet)."""
    from dltrain import tf_quiet  # noqa: F401  (silences TensorFlow before Keras loads it)
    import keras

    loaders = {
        "mnist": keras.datasets.mnist,
        "fashion_mnist": keras.datasets.fashion_mnist,
        "cifar10": keras.datasets.cifar10,
        "cifar100": keras.datasets.cifar100,
    }
    (x_train, y_train), (x_test, y_test) = loaders[dataset].load_data()
    names = FASHION_MNIST_CLASSES if dataset == "fashion_mnist" else CIFAR10_CLASSES if dataset == "cifar10" else None
    return Arrays(x_train, y_train, x_test, y_test, class_names=names, origin=f"keras.datasets.{dataset}")


def load_builtin(config: Config, download: bool = True) -> Arrays:
    """Finds and reads a built-in dataset, trying each place in order.

    Raises:
        UserError: no copy anywhere and the download failed; lists every place tried.
    """
    dataset = config.data.dataset
    keras_name, reader = _LAYOUT[dataset]
    tried = []
    for label, place in candidate_places(config):
        copy = _copy_in(place, dataset)
        if copy is not None:
            return reader(copy)
        tried.append(f"{label} {place}")
        if label == "data.path":
            raise UserError(
                f"no {dataset} copy at data.path {place} (expected {keras_name} there, in Keras's layout)",
                file=config.source,
            )
    if download:
        try:
            return _download(dataset)
        except Exception as err:  # noqa: BLE001  (any download failure means: not available)
            tried.append(f"Keras download ({type(err).__name__}: {str(err).splitlines()[0][:80]})")
    raise UserError(
        f"dataset '{dataset}' not found; tried {'; '.join(tried)}{'' if download else ' (no download)'}. "
        f"Put Keras's '{keras_name}' in one of those places, or set $DLTRAIN_DATA_DIR or data.path to a folder "
        f"holding it{'' if download else ', or use --synthetic for generated data of its shape'}",
        file=config.source,
    )


def held_out_split(x: np.ndarray, y: np.ndarray, fraction: float, stratify: bool = True) -> tuple[np.ndarray, ...]:
    """A fixed split (the same for every run, whatever its seed), stratified by class where it can be."""
    from sklearn.model_selection import train_test_split

    counts = np.unique(y, return_counts=True)[1]
    stratify = y if stratify and counts.min() >= 2 and int(len(y) * fraction) >= len(counts) else None
    return train_test_split(x, y, test_size=fraction, random_state=TEST_SPLIT_SEED, stratify=stratify)


def load_digits(config: Config) -> Arrays:
    """scikit-learn's embedded 8×8 digits (offline), with a fixed stratified split."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    images = digits.images.astype(np.float32)
    x_train, x_test, y_train, y_test = held_out_split(images, digits.target, config.data.test_split)
    return Arrays(x_train, y_train, x_test, y_test, origin="sklearn.datasets.load_digits")


def load_sklearn_table(config: Config) -> Arrays:
    """One of scikit-learn's embedded tables (iris, wine, breast_cancer, diabetes), with a fixed split.

    The class names are scikit-learn's (``malignant``/``benign``, ...); diabetes
    has a numeric target (disease progression), so it is a regression.
    """
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, f"load_{config.data.dataset}")()
    x = bunch.data.astype(np.float32)
    names = getattr(bunch, "target_names", None)
    if names is not None:  # classes: keep scikit-learn's names in label order
        x_train, x_test, y_train, y_test = held_out_split(x, bunch.target, config.data.test_split)
        return Arrays(x_train, y_train, x_test, y_test, class_names=[str(n) for n in names],
                      origin=f"sklearn.datasets.load_{config.data.dataset}")
    x_train, x_test, y_train, y_test = held_out_split(x, bunch.target.astype(np.float32), config.data.test_split,
                                                      stratify=False)
    return Arrays(x_train, y_train, x_test, y_test, origin=f"sklearn.datasets.load_{config.data.dataset}")


def synthetic_arrays(config: Config, n_train: int, n_test: int) -> Arrays:
    """Random data shaped like a built-in dataset (for CI machines without it).

    Raises:
        UserError: the config reads a local file, whose shape is not known.
    """
    spec = BUILTIN_SPECS.get(config.data.dataset)
    if spec is None:
        raise UserError(
            f"--synthetic generates data for built-in datasets ({', '.join(BUILTIN_SPECS)}); "
            f"a '{config.data.dataset}' config reads its own file: run it without --synthetic",
            file=config.source,
        )
    rng = np.random.default_rng(config.seed or 0)
    high = 255 if spec.dtype == "uint8" else 16

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.integers(0, high + 1, (n, *spec.sample_shape)).astype(spec.dtype)
        if not spec.num_classes:  # a regression's targets
            return x, rng.normal(100.0, 30.0, n).astype(np.float32) + 0.5
        return x, np.arange(n) % spec.num_classes  # every class present

    (x_train, y_train), (x_test, y_test) = split(n_train), split(n_test)
    if not spec.num_classes:
        return Arrays(x_train, y_train, x_test, y_test, origin=f"synthetic {config.data.dataset}")
    names = list(spec.class_names) if spec.class_names else [str(i) for i in range(spec.num_classes)]
    return Arrays(x_train, y_train, x_test, y_test, class_names=names, origin=f"synthetic {config.data.dataset}")
