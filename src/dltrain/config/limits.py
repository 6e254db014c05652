"""Limits on a config, so that any YAML fails fast, in bounded memory and time.

YAML can describe far more than it spells out: an alias repeats a whole
subtree (a "billion laughs" document of a few hundred bytes expands to
gigabytes), an alias inside its own anchor is a cycle, nesting and digits
have no bound of their own. A config is a few dozen keys; these limits are
orders of magnitude above any real one. The README's Reliability section
lists them.
"""

from __future__ import annotations

MAX_CONFIG_BYTES = 1_000_000  # one config file, or one --set value
MAX_YAML_NODES = 100_000  # values in a document, each alias counted at the size of what it repeats
MAX_YAML_ALIASES = 1_000  # *alias uses in a document
MAX_YAML_DEPTH = 64  # nesting of mappings and lists
MAX_INT_DIGITS = 30  # digits of one integer (2**64 has 20); Python refuses over 4300
MAX_BASE_CHAIN = 16  # configs in one `base:` chain

# Values the schema bounds, far above any model that trains on one machine:
MAX_LAYER_WIDTH = 65_536  # units or filters of one layer (a Dense of 10**9 units cannot be allocated)
MAX_BATCH_SIZE = 65_536  # samples per step
MAX_EPOCHS = 1_000_000
MAX_SEED = 2**32 - 1  # NumPy's seeds are 0..2**32-1
