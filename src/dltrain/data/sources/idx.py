"""MNIST-style IDX files (gzipped or not): four files in one folder.

The header is read first; the data it declares must fit
:data:`MAX_ARRAY_BYTES`, and a gzip stream is inflated only up to that
size, so a file that inflates to gigabytes fails before it is held.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from dltrain.data.sources.arrays import Arrays
from dltrain.data.sources.limits import MAX_ARRAY_BYTES
from dltrain.errors import UserError

FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

CHUNK = 2**20


def _read_at_most(path: Path, limit: int) -> bytes:
    """The file's bytes (inflated when gzipped), at most ``limit + 1`` of them."""
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw) if gzipped else raw
        chunks, total = [], 0
        while total <= limit:  # in chunks: one read(limit) would reserve the whole limit up front
            chunk = stream.read(min(CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks)


def _header(path: Path, head: bytes, ndim_expected: int | None) -> tuple[int, ...]:
    file = str(path)
    if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] != 0x08:
        raise UserError("not an unsigned-byte IDX file (bad magic number); the file is corrupted", file=file)
    ndim = head[3]
    if len(head) < 4 + 4 * ndim:
        raise UserError("IDX header is truncated; the file is corrupted", file=file)
    shape = struct.unpack(f">{ndim}I", head[4:4 + 4 * ndim])
    if ndim_expected is not None and ndim != ndim_expected:
        what = "images need 3 dimensions (count, height, width)" if ndim_expected == 3 else "labels need 1 dimension"
        raise UserError(f"IDX file has {ndim} dimensions {shape}; {what}", file=file)
    if ndim == 0 or 0 in shape[1:]:
        raise UserError(f"IDX file has shape {shape}: it holds no samples' values", file=file)
    size = int(np.prod(shape, dtype=object))
    if size > MAX_ARRAY_BYTES:
        raise UserError(f"IDX header declares {size:,} bytes {shape}; the limit is {MAX_ARRAY_BYTES:,}", file=file)
    return shape


def read_idx(path: Path, ndim: int | None = None) -> np.ndarray:
    """Reads one IDX file (gzipped or not), as used by MNIST and Fashion-MNIST.

    Args:
        path: the file.
        ndim: the number of dimensions it must have (3 for images, 1 for labels), or None.

    Raises:
        UserError: the file is unreadable, truncated, longer than its header says,
            of the wrong dimensions, or declares more than the size limit.
    """
    file = str(path)
    try:
        head = _read_at_most(path, 4 + 4 * 255)
        shape = _header(path, head, ndim)
        header = 4 + 4 * len(shape)
        size = int(np.prod(shape, dtype=object))
        raw = _read_at_most(path, header + size)  # never more than the header promises, plus one byte
    except UserError:
        raise
    except (OSError, EOFError, zlib.error) as err:
        raise UserError(f"cannot read IDX file ({err}); it is truncated or corrupted", file=file) from None
    if len(raw) - header != size:
        more = "more" if len(raw) - header > size else f"{len(raw) - header}"
        raise UserError(f"IDX file holds {more} bytes of data but its header says {size}; the file is "
                        f"{'longer than its header says' if more == 'more' else 'truncated'}", file=file)
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _idx_file(directory: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (directory / name).is_file():
            return directory / name
    raise UserError(f"missing {stem}.gz (or {stem}); an IDX directory needs the four MNIST-style files",
                    file=str(directory))


def read_idx_dir(directory: Path, class_names: list[str] | None = None) -> Arrays:
    """Reads the four MNIST-style IDX files of a directory.

    Raises:
        UserError: the folder or a file is missing, or a file is damaged (see :func:`read_idx`).
    """
    if not directory.is_dir():
        raise UserError("not a directory; data.path must be the folder holding the IDX files", file=str(directory))
    parts = [read_idx(_idx_file(directory, name.removesuffix(".gz")), 3 if "images" in name else 1) for name in FILES]
    return Arrays(*parts, class_names=class_names, origin=str(directory))
