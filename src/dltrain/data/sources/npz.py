"""``.npz`` files in Keras's mnist.npz layout: ``x_train, y_train, x_test, y_test``.

Each member's ``.npy`` header is read first: the array it declares must fit
:data:`MAX_ARRAY_BYTES` and the bytes the member really holds, so a damaged
or hostile header fails before NumPy allocates anything. Pickled (object)
arrays are never loaded.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from dltrain.data.sources.arrays import Arrays
from dltrain.data.sources.limits import MAX_ARRAY_BYTES
from dltrain.errors import UserError

KEYS = ("x_train", "y_train", "x_test", "y_test")


def _declared_bytes(archive: zipfile.ZipFile, member: str, file: str) -> int:
    """The size the member's .npy header declares, refused when it cannot be true."""
    info = archive.getinfo(member)
    with archive.open(member) as f:
        version = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(f)
        header = f.tell() if f.seekable() else None
    if dtype.hasobject:
        raise UserError(f"{member[:-4]} holds Python objects (a pickle); dltrain reads numeric arrays only", file=file)
    size = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if size > MAX_ARRAY_BYTES:
        raise UserError(f"{member[:-4]} declares {size:,} bytes ({shape}, {dtype}); the limit is {MAX_ARRAY_BYTES:,} "
                        "bytes per array", file=file)
    if header is not None and info.file_size - header != size:
        raise UserError(f"{member[:-4]} holds {info.file_size - header:,} bytes but its header declares {size:,}; "
                        "the file is truncated or corrupted", file=file)
    return size


def _check_members(path: Path) -> None:
    file = str(path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        missing = [k for k in KEYS if f"{k}.npy" not in names]
        if missing:
            found = sorted(n.removesuffix(".npy") for n in names)
            raise UserError(f"missing arrays {missing} (found {found}); an .npz needs x_train, y_train, x_test, y_test",
                            file=file)
        for key in KEYS:
            _declared_bytes(archive, f"{key}.npy", file)


def _starts_with(path: Path, magic: bytes) -> bool:
    with open(path, "rb") as f:
        return f.read(len(magic)) == magic


def read_npz(path: Path) -> Arrays:
    """Reads an .npz with ``x_train, y_train, x_test, y_test`` (Keras's mnist.npz layout).

    Raises:
        UserError: the file is missing, not an .npz (an .npy, a text file), truncated, holds
            objects, declares arrays over the limit, or its arrays are not a dataset.
    """
    file = str(path)
    try:
        if not zipfile.is_zipfile(path):
            what = "a single .npy array" if _starts_with(path, b"\x93NUMPY") else "not a zip archive"
            raise UserError(f"not a readable .npz file ({what}); it is truncated or corrupted, or not an .npz: "
                            "save the four arrays with numpy.savez", file=file)
        _check_members(path)
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in KEYS}
    except UserError:
        raise
    except FileNotFoundError:
        raise UserError("file not found; check data.path", file=file) from None
    except MemoryError:
        raise UserError("not enough memory to read the arrays; use a smaller dataset", file=file) from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, NotImplementedError) as err:
        raise UserError(f"not a readable .npz file ({err}); the file is truncated or corrupted", file=file) from None
    return Arrays(**arrays, origin=file)
