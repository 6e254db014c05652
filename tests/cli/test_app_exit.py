"""The console script's exit skips only Python's module teardown: threads, atexit and output still finish."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent("""
    import atexit, sys, threading, time
    from pathlib import Path
    from dltrain.cli.app import exit_process
    out = Path(sys.argv[1])
    {imports}
    atexit.register(lambda: (out / "atexit").write_text("ran"))
    def late_writer():
        time.sleep(0.3)
        (out / "thread").write_text("joined")
    threading.Thread(target=late_writer).start()  # non-daemon: the exit must wait for it
    print("buffered line", end="")  # no newline, no flush: the exit flushes it
    exit_process(3)
    (out / "after").write_text("exit_process returned")
""")


@pytest.mark.slow  # a Python process that imports TensorFlow
@pytest.mark.parametrize("imports", ["import tensorflow", "pass"])
def test_exit_waits_for_threads_runs_atexit_and_flushes(tmp_path, imports):
    done = subprocess.run([sys.executable, "-c", PROBE.format(imports=imports), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert done.stdout == "buffered line"
    assert (tmp_path / "atexit").read_text() == "ran"
    assert (tmp_path / "thread").read_text() == "joined"
    assert not (tmp_path / "after").exists()
