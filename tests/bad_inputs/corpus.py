"""The bad-input corpus's shared part: files to break, and the one check every case passes.

Every case gives exit code 2, exactly one ``error:`` line naming the file (and
the line and key where there is one), no traceback, and no run directory. The
CLI's stage lines (``loading TensorFlow…``) may come before it. Cases run
in-process through the CLI, so the corpus stays fast.
"""

from __future__ import annotations

import gzip
import resource
import time
from pathlib import Path

import numpy as np

from conftest import tiny_images, write_idx
from dltrain import cli
from dltrain import tf_quiet  # noqa: F401  (TensorFlow's own memory belongs in the baseline of the RSS bound)

NPZ = "data: {dataset: npz, path: data.npz}\n"
IDX = "data: {dataset: idx, path: idx}\n"
CSV = "data: {dataset: csv, path: t.csv}\n"
CIFAR = "data: {dataset: cifar10, path: cifar-10-batches-py}\n"

# Every case stays under these: the bombs must fail fast, in bounded memory.
SECONDS = 20
EXTRA_RSS_MB = 500


def npz(path: Path, **arrays):
    x, y = tiny_images(64)
    base = {"x_train": x, "y_train": y, "x_test": x[:16], "y_test": y[:16]}
    base.update(arrays)
    np.savez(path, **{k: v for k, v in base.items() if v is not None})


def make_idx(folder: Path, n: int = 32):
    folder.mkdir()
    x, y = tiny_images(n)
    write_idx(folder / "train-images-idx3-ubyte.gz", x)
    write_idx(folder / "train-labels-idx1-ubyte.gz", y)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", x[:8])
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", y[:8])


def truncate(path: Path, keep: float = 0.5):
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9)


def error_line(err: str) -> str:
    """The one error line of a failed command's stderr; fails the test unless there is exactly one."""
    lines = err.strip().splitlines()
    stages = [line for line in lines if line.endswith("…") and not line.startswith("error:")]
    errors = [line for line in lines if line not in stages]
    assert len(errors) == 1, lines
    assert errors[0].startswith("error: ") and "Traceback" not in err, lines
    return errors[0]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check_case(tmp_path: Path, capsys, text: str, setup, expected: str, command: str = "fit") -> str:
    """Writes the case, runs the command in-process and checks the promise; returns the error line."""
    if setup is not None:
        setup(tmp_path)
    config = tmp_path / "config.yaml"
    if text is not None:
        config.write_text(text)
    runs_dir = tmp_path / "runs"
    args = ["fit", str(config), "--runs-dir", str(runs_dir)] if command == "fit" else ["validate", "--build", str(config)]
    rss, start = peak_rss_mb(), time.monotonic()
    code = cli.run(args)
    seconds = time.monotonic() - start
    line = error_line(capsys.readouterr().err)
    assert code == 2, line
    assert expected in line, line
    assert not runs_dir.exists() or not any(runs_dir.iterdir()), list(runs_dir.iterdir())
    assert seconds < SECONDS, f"{seconds:.1f} s"
    assert peak_rss_mb() - rss < EXTRA_RSS_MB, f"peak RSS grew {peak_rss_mb() - rss:.0f} MB"
    return line
