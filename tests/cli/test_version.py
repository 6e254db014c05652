"""``dltrain --version`` and Typer's shell completion options."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

from dltrain.cli.app import run as cli


def test_version(capsys):
    assert cli(["--version"]) == 0
    assert capsys.readouterr().out == f"dltrain {version('dltrain')}\n"


def test_help_offers_completion_without_importing_tensorflow():
    code = ("import sys; from dltrain.cli.app import run; code = run(['--help']); "
            "print('tensorflow' in sys.modules, code)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "--install-completion" in out and "--show-completion" in out
    assert out.strip().endswith("False 0")
