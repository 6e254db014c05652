"""Hide TensorFlow's C++ start-up and log noise, but never a native crash.

TensorFlow 2.21 writes notices straight to file descriptor 2 from C++ while it
is imported and at first device use, and ``TF_CPP_MIN_LOG_LEVEL=3`` does not
stop the ones logged before absl is initialised (checked here:
``python -c "import tensorflow"`` with the variable set still prints "All log
messages before absl::InitializeLog() is called are written to STDERR" and an
``I0000 ... cudart_stub.cc:31] Could not find cuda drivers`` line).

Pointing descriptor 2 at /dev/null would hide those, and also the last words
of a crash inside TensorFlow (an absl ``F0000 ... Check failed`` line before
``abort()``). So :func:`silence_native_stderr` points descriptor 2 at a pipe
read by a small filter *process* (this file, run as a script): it drops the
lines it recognises as TensorFlow noise and forwards every other byte,
unchanged, to the real stderr. Being a process of its own, it outlives a
main process that aborts or segfaults, reads the pipe to its end and only
then exits. :mod:`faulthandler` writes a Python traceback to the real stderr
on a segfault or abort.

This module must run *before* TensorFlow is imported (TensorFlow prints
while it loads), so it imports nothing but the standard library; see
:mod:`dltrain.tf_quiet` for the Python-side logging TensorFlow does.
"""

from __future__ import annotations

import atexit
import faulthandler
import os
import re
import select
import signal
import subprocess
import sys

# Lines TensorFlow (and its absl, CUDA and XLA parts) prints that tell a user
# nothing actionable. Info and warning lines in absl's format
# ("I0000 00:00:1795619624.191452    5955 cudart_stub.cc:31] ...") all go;
# error and fatal lines (E, F) stay unless they are known start-up noise.
_ABSL_INFO_OR_WARNING = rb"[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^ \]]+:\d+\] "
_ABSL_ANY_LEVEL = rb"[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^ \]]+:\d+\] "
_NOISE = re.compile(
    rb"(?:" + _ABSL_INFO_OR_WARNING + rb".*"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\."
    rb"|(?:" + _ABSL_ANY_LEVEL + rb")?(?:"
    rb".*oneDNN custom operations are on\..*"
    rb"|.*This TensorFlow binary is optimized to use available CPU instructions.*"
    rb"|.*Could not find cuda drivers on your machine.*"
    rb"|.*failed call to cuInit.*"
    rb"|.*Unable to register cu(?:DNN|FFT|BLAS) factory.*"
    rb"|.*computation placer already registered.*"
    rb"|.*TF-TRT Warning: Could not find TensorRT.*"
    rb"))\r?\n?"
)
# An indented line right after a dropped one continues its message
# (TensorFlow indents the "[[{{node ...}}]]" lines of a status).
_CONTINUATION = re.compile(rb"[ \t].*\n?")
_CHUNK = 65536
_PARTIAL_LINE_WAIT_S = 0.5


def silence_native_stderr() -> None:
    """Filters TensorFlow's noise out of file descriptor 2; everything else still shows.

    Call it before TensorFlow is imported. Afterwards C/C++ writes to
    descriptor 2 pass through a filter process that drops TensorFlow's
    start-up and info/warning log lines and forwards the rest byte for byte,
    including the message of a crash. ``sys.stderr`` is given a private copy
    of the real stderr, so Python's own messages and tracebacks bypass the
    filter, as before. :mod:`faulthandler` is enabled on the real stderr, so a
    segfault or abort also prints the Python stack (a native crash message,
    passing through the filter, may come out just after it). The filter is a
    second ``python`` process that ends when the last writer to descriptor 2
    (this process and any child that inherited it) has gone.

    With ``DLTRAIN_TF_LOGS=1`` in the environment nothing is filtered (only
    :mod:`faulthandler` is enabled). A second call does nothing. Where no
    filter can be started (no real descriptor 2, no Python executable), fd 2
    is left alone: noise is better than a silent crash.
    """
    if getattr(silence_native_stderr, "done", False):
        return
    silence_native_stderr.done = True
    if os.environ.get("DLTRAIN_TF_LOGS") == "1" or os.name != "posix":
        _enable_faulthandler(sys.stderr)
        return
    try:
        sys.stderr.flush()
        real = os.dup(2)
    except (OSError, ValueError, AttributeError):
        return  # no real stderr (embedded, closed): nothing to filter
    try:
        read_end, write_end = os.pipe()
        filter_process = _start_filter(read_end, real)
    except OSError:
        os.close(real)
        return
    os.close(read_end)
    os.dup2(write_end, 2)
    os.close(write_end)
    sys.stderr = os.fdopen(real, "w", buffering=1, encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
                           errors="backslashreplace")
    _enable_faulthandler(sys.stderr)
    atexit.register(_drain, filter_process, real)


def _start_filter(read_end: int, real_stderr: int) -> subprocess.Popen:
    # A fresh interpreter running this file (-I -S: no site, no dltrain import,
    # ~20 ms), not a fork: fork is unsafe once threads exist. close_fds leaves
    # it only the pipe's read end and the real stderr, so it never holds our
    # stdout or the pipe's write end open (which would hang readers and
    # itself).
    if not sys.executable:
        raise OSError("no Python executable to run the filter")
    return subprocess.Popen([sys.executable, "-I", "-S", os.path.abspath(__file__)],
                            stdin=read_end, stdout=real_stderr, stderr=real_stderr, close_fds=True)


def _enable_faulthandler(stream) -> None:
    try:
        faulthandler.enable(file=stream, all_threads=True)
    except (AttributeError, ValueError, OSError, RuntimeError):
        pass  # a stream without a file descriptor (embedded, captured): keep Python's default


def _drain(filter_process: subprocess.Popen, real_stderr: int) -> None:
    # At a normal exit, let the filter forward what is left before our exit
    # status reaches the shell, so native lines do not appear after the
    # prompt. Late native writes then go straight to the real stderr.
    try:
        os.dup2(real_stderr, 2)
        filter_process.wait(timeout=2)
    except (OSError, subprocess.TimeoutExpired):
        pass


def filter_stream(read_fd: int, write_fd: int) -> None:
    """Copies ``read_fd`` to ``write_fd`` until end of file, minus TensorFlow's noise lines.

    The filter process's loop, public so it can be tested in-process. Lines
    are judged whole: a line without its newline waits for the rest, but
    never longer than half a second or 64 KiB. Once ``write_fd`` fails (stderr closed),
    input is still read and dropped so that writers never block.

    Args:
        read_fd: the pipe's read end, descriptor 2 of the main process.
        write_fd: the real stderr.
    """
    pending = b""
    dropping = False  # the last line was noise: its indented continuation goes too
    writable = True
    at_end = False
    while not at_end:
        lines, pending, at_end = _next_lines(read_fd, pending)
        kept = []
        for line in lines:
            dropping = bool(_NOISE.fullmatch(line) or (dropping and _CONTINUATION.fullmatch(line)))
            if not dropping:
                kept.append(line)
        if kept and writable:
            writable = _write_all(write_fd, b"".join(kept))


def _next_lines(fd: int, pending: bytes) -> tuple[list[bytes], bytes, bool]:
    """The complete lines now readable, the unfinished rest, and whether input ended."""
    if pending and not _readable_soon(fd):
        return [pending], b"", False  # a prompt-like write: show it rather than hold it
    chunk = _read(fd)
    if not chunk:
        return [pending] if pending else [], b"", True
    lines = (pending + chunk).splitlines(keepends=True)
    rest = b"" if lines[-1].endswith((b"\n", b"\r")) else lines.pop()
    if len(rest) >= _CHUNK:
        lines.append(rest)
        rest = b""
    return lines, rest, False


def _readable_soon(fd: int) -> bool:
    try:
        return bool(select.select([fd], [], [], _PARTIAL_LINE_WAIT_S)[0])
    except (OSError, ValueError):
        return True


def _read(fd: int) -> bytes:
    while True:
        try:
            return os.read(fd, _CHUNK)
        except InterruptedError:  # pragma: no cover - Python retries EINTR itself (PEP 475)
            continue
        except OSError:
            return b""


def _write_all(fd: int, data: bytes) -> bool:
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        return False
    return True


def _filter_main() -> None:
    # Ctrl-C and `kill -TERM -<group>` reach the whole process group; the
    # filter must outlive the main process to forward its last words, and it
    # ends by itself at end of file, when every writer has gone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    filter_stream(0, 1)


if __name__ == "__main__":
    _filter_main()
