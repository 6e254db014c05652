"""Shared fixtures: tiny generated datasets and config files."""

from __future__ import annotations

import gc
import gzip
import struct
import textwrap
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
# Shipped configs whose data a script of configs/data/ writes (see each config's header); until
# it has run, `validate` rightly reports the missing folder.
GENERATED_DATA = {"fashion_mnist_folder_cnn.yaml": CONFIGS / "data" / "fashion_mnist_png",
                  "fortunes_text.yaml": CONFIGS / "data" / "fortunes"}
READY_CONFIGS = sorted(p for p in CONFIGS.glob("*.yaml")
                       if p.name not in GENERATED_DATA or GENERATED_DATA[p.name].exists())


def write_idx(path: Path, array: np.ndarray, gz: bool = True) -> None:
    """Writes an unsigned-byte IDX file, as MNIST's are."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if gz else data)


def tiny_images(n: int, seed: int = 0, size: int = 8, classes: int = 3):
    """Images whose class is readable from which quadrant is bright: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    x = rng.integers(0, 40, (n, size, size)).astype(np.uint8)
    half = size // 2
    for i, label in enumerate(y):
        r, c = divmod(int(label), 2)
        x[i, r * half:(r + 1) * half, c * half:(c + 1) * half] += 200
    return x, y.astype(np.uint8)


@pytest.fixture
def npz_file(tmp_path: Path) -> Path:
    """A small mnist.npz-style file: 8x8 uint8 images, 3 classes."""
    x_train, y_train = tiny_images(240, seed=1)
    x_test, y_test = tiny_images(60, seed=2)
    path = tmp_path / "tiny.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


@pytest.fixture
def idx_dir(tmp_path: Path) -> Path:
    """A folder with the four MNIST-style IDX files (gzipped)."""
    folder = tmp_path / "idx"
    folder.mkdir()
    x_train, y_train = tiny_images(120, seed=3)
    x_test, y_test = tiny_images(40, seed=4)
    write_idx(folder / "train-images-idx3-ubyte.gz", x_train)
    write_idx(folder / "train-labels-idx1-ubyte.gz", y_train)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", x_test)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", y_test)
    return folder


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    """A feature table: 5 numeric columns and a string label column."""
    rng = np.random.default_rng(5)
    path = tmp_path / "table.csv"
    names = np.array(["cat", "dog"])
    lines = ["a,b,c,species,d,e"]
    for _ in range(80):
        label = rng.integers(0, 2)
        f = rng.normal(size=5) + 2 * label
        lines.append(f"{f[0]:.3f},{f[1]:.3f},{f[2]:.3f},{names[label]},{f[3]:.3f},{f[4]:.3f}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def write_config(tmp_path: Path):
    """Writes a YAML config (dedented) into tmp_path and returns its path."""

    def write(text: str, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    return write


@pytest.fixture
def tiny_config(write_config, npz_file):
    """A config that trains in about a second on the tiny npz."""
    return write_config(
        f"""
        name: tiny
        seed: 7
        data: {{dataset: npz, path: {npz_file}, validation_split: 0.2}}
        model: {{type: mlp, hidden_units: [16]}}
        optimizer: {{Adam: {{learning_rate: 0.01}}}}
        training: {{epochs: 3, batch_size: 32}}
        """
    )


# The files that take longest, longest first (per-file seconds from two `--junitxml` suite runs). With
# `-n 2 --dist loadfile` xdist hands out whole files in the queue's order, so starting the long ones first
# lets the many short files fill the end, instead of one long file running alone while the other worker
# idles. xdist's own order (most tests first, its "loadscope reorder") is switched off in pytest_configure.
LONG_FILES_FIRST = [
    "tests/training/test_resume.py", "tests/distribute/test_launch.py", "tests/script/test_script_runs.py",
    "tests/cli/test_cli_commands.py", "tests/training/test_resume_edges.py", "tests/distribute/test_mirrored.py",
    "tests/distribute/test_backend.py", "tests/test_keras_io_examples.py", "tests/bad_inputs/test_address_space.py",
    "tests/tune/test_study_digits.py", "tests/test_readme_examples.py", "tests/training/test_fit.py",
    "tests/test_quiet.py", "tests/test_config_properties.py", "tests/bad_inputs/test_bad_run_dirs.py",
    "tests/tune/test_kill_resume.py", "tests/export/test_export_onnx.py", "tests/export/test_export_litert.py",
    "tests/data/test_text_folder.py", "tests/training/test_tasks.py", "tests/test_startup.py",
    "tests/tune/test_jobs.py", "tests/cli/test_runs_commands.py", "tests/cli/test_run_refs.py",
]


def pytest_collection_finish(session):
    """Leaves what collection imported (TensorFlow, Keras, every test module: ~500,000 objects) out of the
    collector's full scans, which otherwise walk it again every few dozen fits: 0.6 s a scan, 7 s in 150 s of
    in-process fits measured here."""
    gc.freeze()


def pytest_configure(config):
    """Keeps the queue in collection order under ``--dist loadfile`` (xdist reorders by tests per file)."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


@pytest.hookimpl(trylast=True)  # after any plugin that reorders (pytest-randomly shuffles when installed)
def pytest_collection_modifyitems(session, config, items):
    """Runs LONG_FILES_FIRST before every other file, each file's tests in their own order."""
    rank = {name: i for i, name in enumerate(LONG_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))
