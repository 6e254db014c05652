"""Dataset sources: each returns raw arrays (:class:`Arrays`), no TensorFlow.

Built-in names are looked up, in order, at: the config's ``data.path`` →
``$DLTRAIN_DATA_DIR`` → Keras's cache (``~/.keras/datasets``) → system copies
(Debian's ``dataset-fashion-mnist``) → Keras's own download. Local copies use
Keras's file names and layout, so a file downloaded by Keras works as is.
"""

from __future__ import annotations

import csv
import gzip
import os
import pickle
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dltrain.config import Config, data_path
from dltrain.errors import UserError

# A fixed split for datasets that ship without a test set, so that every run of
# every config is scored on the same held-out rows whatever its `seed`.
TEST_SPLIT_SEED = 0

FASHION_MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
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
    "mnist": Spec((28, 28), 10),
    "fashion_mnist": Spec((28, 28), 10, class_names=tuple(FASHION_MNIST_CLASSES)),
    "cifar10": Spec((32, 32, 3), 10, class_names=tuple(CIFAR10_CLASSES)),
    "cifar100": Spec((32, 32, 3), 100),
}


@dataclass
class Arrays:
    """A dataset as NumPy arrays, labels as integers 0..num_classes-1."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str] | None = None
    origin: str = ""
    num_classes: int = field(init=False)

    def __post_init__(self) -> None:
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if len(x) != len(y):
                raise UserError(
                    f"x_{split} has {len(x)} samples but y_{split} has {len(y)}; the data file is inconsistent",
                    file=self.origin or None,
                )
            if len(x) == 0:
                raise UserError(f"the {split} set is empty; check the data file", file=self.origin or None)
        self.y_train, self.y_test, names = _encode_labels(self.y_train, self.y_test, self.origin)
        if self.class_names is None:
            self.class_names = names
        self.num_classes = max(len(self.class_names), int(self.y_train.max()) + 1, int(self.y_test.max()) + 1)
        for split in ("train", "test"):
            x = getattr(self, f"x_{split}")
            if x.dtype.kind == "f" and not np.isfinite(x).all():
                raise UserError(
                    f"x_{split} contains NaN or infinite values; clean the data first", file=self.origin or None
                )


    def head(self, n_train: int, n_test: int) -> Arrays:
        """The first samples of each split, keeping the full dataset's classes."""
        return Arrays(self.x_train[:n_train], self.y_train[:n_train], self.x_test[:n_test], self.y_test[:n_test],
                      class_names=self.class_names, origin=self.origin)


def _encode_labels(y_train: np.ndarray, y_test: np.ndarray, origin: str):
    """Labels as int32 0..K-1; string or sparse labels are mapped, names kept."""
    y_train, y_test = np.asarray(y_train).reshape(-1), np.asarray(y_test).reshape(-1)
    if y_train.dtype.kind in "iu" and y_test.dtype.kind in "iu" and min(y_train.min(), y_test.min()) >= 0:
        k = int(max(y_train.max(), y_test.max())) + 1
        return y_train.astype(np.int32, copy=False), y_test.astype(np.int32, copy=False), [str(i) for i in range(k)]
    if y_train.dtype.kind == "f" and not (np.isfinite(y_train).all() and np.isfinite(y_test).all()):
        raise UserError("labels contain NaN or infinite values", file=origin or None)
    if y_train.dtype.kind == "f" and not (np.all(y_train == np.round(y_train)) and np.all(y_test == np.round(y_test))):
        raise UserError(
            "labels are not class labels (they have fractions); dltrain trains classifiers", file=origin or None
        )
    classes = np.unique(np.concatenate([y_train, y_test]))
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    encode = np.vectorize(lookup.__getitem__, otypes=[np.int32])
    return encode(y_train), encode(y_test), [_label_name(c) for c in classes.tolist()]


def _label_name(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


# --------------------------------------------------------------------------- file formats


def read_npz(path: Path) -> Arrays:
    """Reads an .npz with ``x_train, y_train, x_test, y_test`` (Keras's mnist.npz layout)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in f.files]
            if missing:
                raise UserError(
                    f"missing arrays {missing} (found {sorted(f.files)}); an .npz needs x_train, y_train, x_test, y_test",
                    file=str(path),
                )
            arrays = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except UserError:
        raise
    except FileNotFoundError:
        raise UserError("file not found; check data.path", file=str(path)) from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise UserError(f"not a readable .npz file ({err}); the file is truncated or corrupted", file=str(path)) from None
    return Arrays(**arrays, origin=str(path))


def read_idx(path: Path) -> np.ndarray:
    """Reads one IDX file (gzipped or not), as used by MNIST and Fashion-MNIST."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise UserError(f"cannot read IDX file ({err}); it is truncated or corrupted", file=str(path)) from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise UserError("not an unsigned-byte IDX file (bad magic number); the file is corrupted", file=str(path))
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise UserError("IDX header is truncated; the file is corrupted", file=str(path))
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    size = int(np.prod(shape))
    if len(raw) - header != size:
        raise UserError(
            f"IDX file holds {len(raw) - header} bytes of data but its header says {size}; the file is truncated",
            file=str(path),
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _idx_file(directory: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (directory / name).is_file():
            return directory / name
    raise UserError(f"missing {stem}.gz (or {stem}); an IDX directory needs the four MNIST-style files", file=str(directory))


def read_idx_dir(directory: Path, class_names: list[str] | None = None) -> Arrays:
    """Reads the four MNIST-style IDX files of a directory."""
    if not directory.is_dir():
        raise UserError("not a directory; data.path must be the folder holding the IDX files", file=str(directory))
    parts = [read_idx(_idx_file(directory, stem.removesuffix(".gz"))) for stem in FASHION_MNIST_FILES]
    return Arrays(*parts, class_names=class_names, origin=str(directory))


def read_csv(path: Path, label_column: str) -> tuple[np.ndarray, np.ndarray]:
    """Reads a table of numeric features with a named label column."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise UserError("file not found; check data.path", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"cannot read the CSV ({err})", file=str(path)) from None
    if len(rows) < 2:
        raise UserError("the CSV needs a header row and at least one data row", file=str(path))
    header, body = rows[0], [r for r in rows[1:] if r]
    if label_column not in header:
        raise UserError(
            f"no column '{label_column}' (columns: {', '.join(header[:20])}); set data.label_column", file=str(path)
        )
    label_at = header.index(label_column)
    labels, features = [], []
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise UserError(f"row has {len(row)} fields but the header has {len(header)}", file=str(path), line=line)
        labels.append(row[label_at])
        try:
            features.append([float(v) for i, v in enumerate(row) if i != label_at])
        except ValueError:
            bad = next(v for i, v in enumerate(row) if i != label_at and not _is_number(v))
            raise UserError(f"non-numeric feature value {bad!r}; features must be numbers", file=str(path), line=line) from None
    y = np.array(labels)
    if all(_is_number(v) for v in labels):
        y = y.astype(np.float64)
    return np.asarray(features, dtype=np.float32), y


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


class _ArraysOnly(pickle.Unpickler):
    """Unpickles CIFAR's batches but refuses anything beyond NumPy arrays."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _cifar_batch(path: Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as f:
            batch = _ArraysOnly(f, encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[label_key.encode()], dtype=np.int32)
    except FileNotFoundError:
        raise UserError("missing CIFAR batch file; the folder is incomplete", file=str(path)) from None
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, ValueError, TypeError) as err:
        raise UserError(f"cannot read CIFAR batch ({err}); the file is corrupted", file=str(path)) from None
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def read_cifar10(directory: Path) -> Arrays:
    """Reads Keras's ``cifar-10-batches-py`` folder."""
    parts = [_cifar_batch(directory / f"data_batch_{i}", "labels") for i in range(1, 6)]
    x_test, y_test = _cifar_batch(directory / "test_batch", "labels")
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    return Arrays(x_train, y_train, x_test, y_test, class_names=CIFAR10_CLASSES, origin=str(directory))


def read_cifar100(directory: Path) -> Arrays:
    """Reads Keras's ``cifar-100-python`` folder (fine labels)."""
    x_train, y_train = _cifar_batch(directory / "train", "fine_labels")
    x_test, y_test = _cifar_batch(directory / "test", "fine_labels")
    return Arrays(x_train, y_train, x_test, y_test, origin=str(directory))


# --------------------------------------------------------------------------- built-in datasets

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
    if (place / keras_name).exists():
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


def _split(x: np.ndarray, y: np.ndarray, fraction: float) -> tuple[np.ndarray, ...]:
    from sklearn.model_selection import train_test_split

    counts = np.unique(y, return_counts=True)[1]
    stratify = y if counts.min() >= 2 and int(len(y) * fraction) >= len(counts) else None
    return train_test_split(x, y, test_size=fraction, random_state=TEST_SPLIT_SEED, stratify=stratify)


def load_digits(config: Config) -> Arrays:
    """scikit-learn's embedded 8×8 digits (offline), with a fixed stratified split."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    images = digits.images.astype(np.float32)
    x_train, x_test, y_train, y_test = _split(images, digits.target, config.data.test_split)
    return Arrays(x_train, y_train, x_test, y_test, origin="sklearn.datasets.load_digits")


def load_csv(config: Config) -> Arrays:
    """A CSV table; a separate test table, or a fixed split of `test_split`."""
    path = data_path(config, config.data.path)
    x, y = read_csv(path, config.data.label_column)
    if config.data.test_path:
        x_test, y_test = read_csv(data_path(config, config.data.test_path), config.data.label_column)
        if x_test.shape[1] != x.shape[1]:
            raise UserError(
                f"test table has {x_test.shape[1]} features but the training table has {x.shape[1]}",
                file=str(data_path(config, config.data.test_path)),
            )
        x_train, y_train = x, y
    else:
        if len(y) < 4:
            raise UserError("too few rows to hold out a test set; add rows or set data.test_path", file=str(path))
        x_train, x_test, y_train, y_test = _split(x, y, config.data.test_split)
    return Arrays(x_train, y_train, x_test, y_test, origin=str(path))


def load_arrays(config: Config, download: bool = True) -> Arrays:
    """Loads the config's dataset as raw arrays.

    Args:
        config: the validated config.
        download: allow Keras's download as the last resort for built-ins.

    Raises:
        UserError: the data cannot be found or read, or is inconsistent.
    """
    dataset = config.data.dataset
    if dataset == "digits":
        return load_digits(config)
    if dataset == "npz":
        return read_npz(data_path(config, config.data.path))
    if dataset == "idx":
        return read_idx_dir(data_path(config, config.data.path))
    if dataset == "csv":
        return load_csv(config)
    return load_builtin(config, download=download)


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
        return x, np.arange(n) % spec.num_classes  # every class present

    (x_train, y_train), (x_test, y_test) = split(n_train), split(n_test)
    names = list(spec.class_names) if spec.class_names else [str(i) for i in range(spec.num_classes)]
    return Arrays(x_train, y_train, x_test, y_test, class_names=names, origin=f"synthetic {config.data.dataset}")


def sample_spec(config: Config) -> tuple[tuple[int, ...], int]:
    """(shape of one raw sample, number of classes), without loading a built-in dataset.

    Local files are read: their shape is only known from the file.
    """
    spec = BUILTIN_SPECS.get(config.data.dataset)
    if spec is not None:
        return spec.sample_shape, spec.num_classes
    arrays = load_arrays(config, download=False)
    return tuple(arrays.x_train.shape[1:]), arrays.num_classes


def _relabel(y: np.ndarray, names: list[str], wanted: list[str], origin: str) -> np.ndarray:
    """Labels encoded by ``names`` re-encoded by the run's ``wanted`` class names."""
    if list(names) == list(wanted):
        return y
    position = {name: i for i, name in enumerate(wanted)}
    unknown = sorted({names[i] for i in np.unique(y)} - set(position))
    if unknown:
        raise UserError(f"the test labels {unknown[:5]} are not among the model's classes ({', '.join(wanted[:10])}); "
                        "the data is not the data the model was trained for", file=origin or None)
    return np.array([position[names[i]] for i in range(len(names))], np.int32)[y]


def load_test_arrays(config: Config, class_names: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The test split alone (raw features, integer labels in the run's class order).

    A CSV with ``data.test_path`` is read without its training table, so a
    trained model can be evaluated where the training data is gone.
    """
    if config.data.dataset == "csv" and config.data.test_path:
        path = data_path(config, config.data.test_path)
        x, y = read_csv(path, config.data.label_column)
        (_, y_int, names) = _encode_labels(y[:1], y, str(path))
        origin = str(path)
    else:
        arrays = load_arrays(config)
        x, y_int, names, origin = arrays.x_test, arrays.y_test, arrays.class_names, arrays.origin
    return x, (_relabel(y_int, names, class_names, origin) if class_names else y_int)
