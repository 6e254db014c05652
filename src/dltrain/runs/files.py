"""Writing and reading a run's files safely: atomic writes, readable damage.

Every file of a run directory is written through :func:`atomic` (a temporary
file beside it, then a rename), so a kill at any instant leaves either the old
file or the new one. A file a user truncated or edited by hand is read back as
one :class:`UserError` naming it, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dltrain.errors import UserError

# JSON files of a run are small (statuses, metrics, environments); anything
# larger is not ours and is refused rather than read into memory.
MAX_JSON_BYTES = 16 * 1024 * 1024


def os_error_message(err: OSError, path: Path | str | None = None) -> UserError:
    """One line that names the real cause of an ``OSError`` met writing a run."""
    where = str(path or err.filename or "")
    reason = err.strerror or str(err)
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free some disk space or choose another --runs-dir"
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "the run directory is not writable: fix its permissions or choose another --runs-dir"
    elif err.errno == errno.ENOENT:
        fix = "a file or folder of the run is missing: it was moved or deleted while in use"
    else:
        fix = "check the run directory"
    return UserError(f"cannot write the run: {reason}; {fix}", file=where or None)


@contextlib.contextmanager
def atomic(path: Path):
    """Yields a temporary path beside ``path``; renames it onto ``path`` if the block succeeds.

    A crash at any moment leaves either the old file or the new one, never half
    of one. The temporary name keeps the suffix (Keras wants '.keras').
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    """Writes a text file atomically, flushed to disk before the rename."""
    with atomic(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())


def write_json(path: Path, data: Any) -> None:
    """Writes JSON atomically."""
    write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def read_json(path: Path) -> dict:
    """Reads one JSON object of a run.

    Raises:
        UserError: the file is missing, unreadable, too large, or not a JSON
            object (a truncated or hand-edited file), naming the file.
    """
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise UserError(f"the file is larger than {MAX_JSON_BYTES // 2**20} MiB; it is not a dltrain run file",
                            file=str(path))
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError("the file is missing; the run directory is damaged", file=str(path)) from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        why = err.strerror if isinstance(err, OSError) else "not valid JSON (truncated or edited?)"
        raise UserError(f"cannot read the file: {why}; the run directory is damaged", file=str(path)) from None
    if not isinstance(data, dict):
        raise UserError("the file does not hold a JSON object; the run directory is damaged", file=str(path))
    return data


def read_json_if_present(path: Path) -> dict | None:
    """A run's JSON file, or None when the run has not written it (yet)."""
    return read_json(path) if path.is_file() else None


def read_text_if_present(path: Path) -> str:
    """A run's text file (config.yaml, summary.txt) as written, or "" when the run has none."""
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def now() -> str:
    """The current time, ISO 8601 with time zone."""
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
