"""``python -m dltrain.cli``: the console script (the benchmarks run it this way)."""

from dltrain.cli.app import main

main()
