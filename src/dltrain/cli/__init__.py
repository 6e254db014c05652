"""The ``dltrain`` command: each command parses, calls one library function, prints.

================ ===============================================================
``app``          the Typer app, :func:`run` (errors → one line and an exit code), :func:`main`
``train``        ``fit``, ``evaluate``, ``reproduce`` (the commands that load TensorFlow)
``validate``     ``validate``: configs checked without training
``runs``         the ``runs`` group (list, show, compare, clean) and ``report``
``console``      ``--json`` or the human view (:func:`~dltrain.cli.console.emit`), stage lines, exit codes
``tables``       every rich table and summary the terminal shows
``options``      options shared by several commands
================ ===============================================================

TensorFlow is imported only inside the commands that need it (``fit``,
``evaluate``, ``reproduce``, ``validate --build``), so ``dltrain --help`` and
``dltrain validate`` stay fast. With ``--json`` a command prints one JSON
document on stdout and nothing else, errors included.

Exit codes, the same for every command: 0 success, 1 training failed (a
non-finite loss) or not reproduced, 2 bad input (config, data, arguments),
130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

from dltrain.cli.app import app, main, run
from dltrain.cli.console import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, EXIT_USER_ERROR

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_TERMINATED", "EXIT_USER_ERROR", "app", "main", "run"]
