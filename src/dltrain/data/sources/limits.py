"""Limits on what a data file may ask for, checked before anything is allocated.

A file's header (an IDX shape, an .npy header inside an .npz, a pickled
CIFAR array) says how much memory reading it takes; a hostile or damaged
file can ask for terabytes. Every reader compares the header with these
limits, and with the bytes the file really holds, before it allocates.
The README's Reliability section lists them.
"""

from __future__ import annotations

# The largest array one file may hold: 4 GiB (CIFAR-100's training images are 150 MiB).
MAX_ARRAY_BYTES = 4 * 2**30
# Class labels run 0..MAX_CLASSES-1: a label of 10**12 would make a one-hot 10**12 wide.
MAX_CLASSES = 10_000
# The largest CSV read (it is parsed into Python lists, several times its size in memory).
MAX_CSV_BYTES = 256 * 2**20
# The longest CSV cell (Python's csv module's own default limit).
MAX_CSV_FIELD = 131_072
