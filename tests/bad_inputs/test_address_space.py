"""The bombs under a bounded address space: ``dltrain fit`` in a subprocess, RLIMIT_AS set before it starts.

An allocation the bomb asks for would fail with MemoryError (a traceback, exit
1) under this limit; the promise is that the check comes first: one line, exit
2, within seconds, TensorFlow's import included. Measured here (TensorFlow
2.x CPU, Keras 3): ``fit --smoke`` of a tiny model runs under 4 GiB and fails
with MemoryError under 2 GiB, so the limit is 6 GiB.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time

import pytest

from corpus import IDX, NPZ, error_line
from test_bad_configs import billion_laughs
from test_bad_data import setup_good_npz, setup_idx_gzip_bomb, setup_idx_header_huge, setup_npz_huge_header

pytestmark = pytest.mark.slow

LIMIT = 6 * 2**30
SECONDS = 60


def limited():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def fit(d, *extra):
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "dltrain.cli", "fit", str(d / "config.yaml"), "--runs-dir",
                           str(d / "runs"), *extra], preexec_fn=limited, capture_output=True, text=True,
                          cwd=d, timeout=5 * SECONDS)
    return done, time.monotonic() - start


def test_a_normal_run_fits_under_the_limit(tmp_path):
    setup_good_npz(tmp_path)
    (tmp_path / "config.yaml").write_text(NPZ + "model: {type: mlp, hidden_units: [8]}\n")
    done, seconds = fit(tmp_path, "--smoke")
    assert done.returncode == 0, done.stderr[-2000:]
    assert seconds < SECONDS


BOMBS = {
    "YAML billion laughs": (billion_laughs(), None, "expands to more than 100,000 values"),
    "npz header of 8 TB": (NPZ, setup_npz_huge_header, "x_train declares 8,000,000,000,000 bytes"),
    "IDX header of 2**63 bytes": (IDX, setup_idx_header_huge, "IDX header declares"),
    "gzip bomb": (IDX, setup_idx_gzip_bomb, "the file is longer than its header says"),
}


@pytest.mark.parametrize("case", BOMBS)
def test_a_bomb_under_a_bounded_address_space(tmp_path, case):
    text, setup, expected = BOMBS[case]
    if setup:
        setup(tmp_path)
    (tmp_path / "config.yaml").write_text(text)
    done, seconds = fit(tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    line = error_line(done.stderr)
    assert expected in line and str(tmp_path) in line, line
    assert seconds < SECONDS, f"{seconds:.1f} s"
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
