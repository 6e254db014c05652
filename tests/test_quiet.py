"""silence_native_stderr: TensorFlow's noise hidden, native crashes and everything else shown."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from dltrain.quiet import filter_stream

# What TensorFlow 2.21 printed here for `import tensorflow`, a first op and a first fit.
TF_NOISE = (
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    b"I0000 00:00:1795619624.191452    5955 cudart_stub.cc:31] Could not find cuda drivers on your machine, "
    b"GPU will not be used.\n"
    b"I0000 00:00:1795619624.245015    5955 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
    b"available CPU instructions in performance-critical operations.\n"
    b"To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the "
    b"appropriate compiler flags.\n"
    b"E0000 00:00:1795619627.990482    5955 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: "
    b"Failed call to cuInit: UNKNOWN ERROR (303)\n"
    b"W0000 00:00:1795619509.910302    4523 local_rendezvous.cc:412] Local rendezvous is aborting with status: "
    b"FAILED_PRECONDITION: Timestamp cannot be called when determinism is enabled\n"
    b"\t [[{{node Timestamp}}]]\n"
)
FATAL = b"F0000 00:00:1795619627.990482    5955 op_kernel.cc:12] Check failed: boom \xff\n"


def filtered(data: bytes, close: bool = True) -> bytes:
    """What filter_stream forwards of ``data`` (written in one go, then end of file)."""
    data_r, data_w = os.pipe()
    out_r, out_w = os.pipe()
    worker = threading.Thread(target=filter_stream, args=(data_r, out_w))
    worker.start()
    os.write(data_w, data)
    os.close(data_w)
    worker.join(timeout=10)
    os.close(out_w)
    with os.fdopen(out_r, "rb") as out:
        forwarded = out.read()
    os.close(data_r)
    return forwarded


def run_python(code: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """Runs ``code`` in a fresh interpreter, stdout and stderr captured as bytes."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, timeout=timeout,
                          env={**{k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}, **env})


def test_filter_drops_tensorflow_noise_and_forwards_the_rest_byte_for_byte():
    other = b"a native line\nE0000 00:00:1.5 7 io.cc:3] a real error\n\tits detail\n"
    assert filtered(TF_NOISE + FATAL + other + TF_NOISE + b"no newline at the end") == (
        FATAL + other + b"no newline at the end"
    )


def test_filter_shows_an_unfinished_line_without_waiting_for_the_end():
    data_r, data_w = os.pipe()
    out_r, out_w = os.pipe()
    worker = threading.Thread(target=filter_stream, args=(data_r, out_w))
    worker.start()
    try:
        os.write(data_w, b"Password: ")
        readable, _, _ = select.select([out_r], [], [], 5)
        assert readable, "the unfinished line was held back"
        assert os.read(out_r, 100) == b"Password: "
    finally:
        os.close(data_w)
        worker.join(timeout=10)
        for fd in (out_r, out_w, data_r):
            os.close(fd)


@pytest.mark.slow
def test_tensorflow_import_and_ops_print_nothing_but_our_own_native_line():
    # TensorFlow first, without the TF_CPP_MIN_LOG_LEVEL that tf_quiet sets: the filter alone must hide it.
    code = """
        import os
        from dltrain.quiet import silence_native_stderr
        silence_native_stderr()
        import tensorflow as tf
        before = os.environ.get("TF_CPP_MIN_LOG_LEVEL")  # JAX's import, when installed, sets it to 1
        from dltrain import tf_quiet
        print(float(tf.reduce_sum(tf.ones((2, 2)))), os.environ.get("TF_CPP_MIN_LOG_LEVEL") == before)
        os.write(2, b"native lines still show\\n")
    """
    quiet = run_python(code)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == b"4.0 True\n"  # tf_quiet leaves the variable as it found it
    assert quiet.stderr == b"native lines still show\n"
    # DLTRAIN_TF_LOGS=1 shows everything: TensorFlow's notices prove there was noise to hide.
    loud = run_python(code, DLTRAIN_TF_LOGS="1")
    assert loud.stdout == b"4.0 True\n"
    assert b"absl::InitializeLog()" in loud.stderr
    assert loud.stderr.endswith(b"native lines still show\n")


@pytest.mark.slow
def test_the_log_level_and_the_collector_are_changed_for_tensorflows_import_only():
    done = run_python("""
        import gc, os
        from dltrain import tf_quiet
        print(os.environ.get("TF_CPP_MIN_LOG_LEVEL"), gc.isenabled(), gc.get_freeze_count())
    """)
    assert done.returncode == 0, done.stderr
    # Not even JAX's default of 1 (its import, under TensorFlow's, sets one); and nothing frozen out of the
    # collector's scans: that is process-wide, for a dltrain command's own process only (tests/test_startup.py).
    assert done.stdout == b"None True 0\n"


def test_a_fatal_message_before_abort_reaches_the_user():
    result = run_python("""
        import os, sys
        from dltrain.quiet import silence_native_stderr
        silence_native_stderr()
        print("python's stderr is direct", file=sys.stderr)
        os.write(2, b"F0000 something Check failed: boom\\n")
        os.abort()
    """)
    assert result.returncode == -signal.SIGABRT
    assert b"F0000 something Check failed: boom\n" in result.stderr
    assert b"python's stderr is direct" in result.stderr
    assert b"Fatal Python error: Aborted" in result.stderr  # faulthandler's Python stack


def test_a_segfault_prints_the_python_stack():
    result = run_python("""
        import ctypes
        from dltrain.quiet import silence_native_stderr
        silence_native_stderr()
        ctypes.string_at(0)
    """)
    assert result.returncode == -signal.SIGSEGV
    assert b"Fatal Python error: Segmentation fault" in result.stderr
    assert b"in string_at" in result.stderr


def test_the_filter_never_holds_stdout_open():
    """A reader of stdout gets end of file when the main process exits, even while
    the filter still runs (here: kept alive by a child that inherited descriptor 2)."""
    code = """
        import subprocess
        from dltrain.quiet import silence_native_stderr
        silence_native_stderr()
        child = subprocess.Popen(["sleep", "60"], stdout=subprocess.DEVNULL)
        print(child.pid, flush=True)
    """
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, timeout=30)
    os.kill(int(result.stdout), signal.SIGTERM)
    assert result.returncode == 0
    assert time.monotonic() - start < 20  # the filter's wait at exit is 2 s; sleep holds on for 60


def test_stdout_and_stderr_capture_ends_with_the_main_process():
    result = run_python("""
        import os
        from dltrain.quiet import silence_native_stderr
        silence_native_stderr()
        print("out")
        os.write(2, b"err\\n")
    """, timeout=30)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"out\n", b"err\n")
