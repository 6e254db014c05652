"""The one error type for mistakes a user can make and fix.

Anything a user causes — bad YAML, an unknown key, a wrong type, a missing
data file, an impossible model shape — raises :class:`UserError`. Its message
names the file, the YAML line and the key path, and says how to fix it. The
CLI prints it on one line per problem and exits with code 2; tracebacks are
kept for dltrain's own bugs. A training that runs but diverges raises
:class:`TrainingFailed` instead (exit code 1).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a user's input, with where it is and how to fix it."""

    message: str
    file: str | None = None
    line: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        key = f"{self.key}: " if self.key else ""
        return _printable(f"{where}{key}{self.message}")


def _printable(text: str) -> str:
    """One line, whatever a file or key contains: control characters are escaped."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class UserError(Exception):
    """A problem with the user's input; carries one or more :class:`Problem`."""

    def __init__(self, problems: Problem | str | list[Problem], **where):
        if isinstance(problems, str):
            problems = Problem(problems, **where)
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def located(self, file: str | None = None, line: int | None = None, key: str | None = None) -> UserError:
        """Returns a copy whose problems default to this file, line and key."""
        return UserError(
            [
                Problem(p.message, p.file or file, p.line or line, p.key or key)
                for p in self.problems
            ]
        )


class Interrupted(Exception):
    """Training stopped by Ctrl-C (SIGINT) or SIGTERM.

    Not a KeyboardInterrupt: the interrupt has been handled (the run marked
    interrupted, its state saved), and Typer would swallow a KeyboardInterrupt.
    ``resumable`` is False when no epoch completed: there is nothing to resume,
    and :attr:`hint` says to start again instead.
    """

    def __init__(self, run_dir, signal_name: str = "SIGINT", resumable: bool = True):
        super().__init__(f"{signal_name}: run {run_dir} interrupted")
        self.run_dir = run_dir
        self.signal_name = signal_name
        self.resumable = resumable

    @property
    def hint(self) -> str:
        """What to do next: the resume command, or why there is none."""
        if self.resumable:
            return f"the state of the last complete epoch is saved. Resume with:\n  dltrain fit --resume {self.run_dir}"
        return "no epoch had completed, so there is nothing to resume: start the run again with dltrain fit CONFIG"


class TrainingFailed(Exception):
    """Training ran but failed (a non-finite loss): exit code 1, the run marked failed."""


def format_key(path: tuple) -> str:
    """A key path as users write it: ``model.layers[2].Dense.units``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
