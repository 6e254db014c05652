"""Run a training script or module in this process and record each epoch's wall time.

    python bench/epoch_timer.py OUT.json SCRIPT.py [ARGS...]
    python bench/epoch_timer.py OUT.json -m dltrain.cli fit CONFIG [ARGS...]

bench/run.py starts every measured training through this wrapper, the seed
scripts and dltrain alike, so both sides are timed by the same code. As soon
as the target imports keras, ``keras.Model.fit`` is wrapped to append one
callback, ``EpochTimer``; the target's model and training code are untouched.
OUT.json is rewritten after every epoch (a crash still leaves the epochs done):

    {"epochs": [{"end_to_end": s, "begin_to_end": s}, ...],
     "params": N, "samples": N or null, "batch_size": B or null}

``end_to_end`` is the time between the end of the previous epoch (for the
first, the start of training) and the end of this one. The timer is the last
callback the target passes, so this interval includes every other callback's
per-epoch work (checkpoints, CSV and state writing, validation), which
``begin_to_end`` partly misses and which dltrain's own ``epoch_seconds``
(measured inside its EpochStats callback, before its checkpoint callbacks
run) leaves out. run.py reports ``end_to_end``.

Two environment variables let run.py vary the plain scripts without editing
them (it never sets them for dltrain, which gets ``--set`` and its own data):

    BENCH_SAMPLES=N      train on the first N samples: fit's x and y are sliced.
                         seed_000 hard-codes ``reshape(60000, 784)``, so the
                         seeds always load the full set and are cut here.
    BENCH_BATCH_SIZE=B   replaces fit's ``batch_size`` keyword.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import json
import os
import runpy
import sys
import time


def _write_json(path: str, data: dict) -> None:
    """Writes atomically, so run.py never reads half a file."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def _with_overrides(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Applies BENCH_SAMPLES and BENCH_BATCH_SIZE to fit's arguments."""
    args, kwargs = list(args), dict(kwargs)
    if os.environ.get("BENCH_SAMPLES"):
        n = int(os.environ["BENCH_SAMPLES"])
        for position, name in ((0, "x"), (1, "y")):
            if len(args) > position:
                args[position] = args[position][:n]
            elif kwargs.get(name) is not None:
                kwargs[name] = kwargs[name][:n]
    if os.environ.get("BENCH_BATCH_SIZE"):
        if len(args) > 2:
            raise SystemExit("epoch_timer: BENCH_BATCH_SIZE needs batch_size passed by keyword")
        kwargs["batch_size"] = int(os.environ["BENCH_BATCH_SIZE"])
    return tuple(args), kwargs


def _patch_fit(keras, out: str) -> None:
    """Wraps keras.Model.fit so every fit gets an EpochTimer as its last callback."""

    class EpochTimer(keras.callbacks.Callback):
        """Records the wall time of each epoch into ``out``."""

        def __init__(self, record: dict):
            super().__init__()
            self.record = record

        def on_train_begin(self, logs=None):
            self.record["params"] = int(self.model.count_params())
            self._last_end = time.perf_counter()

        def on_epoch_begin(self, epoch, logs=None):
            self._begin = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            now = time.perf_counter()
            self.record["epochs"].append({"end_to_end": now - self._last_end, "begin_to_end": now - self._begin})
            self._last_end = now
            _write_json(out, self.record)

    original = keras.Model.fit

    @functools.wraps(original)
    def fit(self, *args, **kwargs):
        args, kwargs = _with_overrides(args, kwargs)
        x = args[0] if args else kwargs.get("x")
        record = {"epochs": [], "params": None, "batch_size": kwargs.get("batch_size"),
                  "samples": len(x) if hasattr(x, "__len__") and hasattr(x, "shape") else None}
        kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), EpochTimer(record)]
        return original(self, *args, **kwargs)

    keras.Model.fit = fit


class _PatchKerasOnImport(importlib.abc.MetaPathFinder):
    """Patches keras.Model.fit right after the target's own first ``import keras``.

    Importing keras here, before the target runs, would load TensorFlow before
    the target's start-up code: dltrain silences descriptor 2 and sets
    environment variables before its import, and a fix for the speed issue may
    well set TensorFlow options there. The benchmark must not change what it
    measures, so it waits for the target to import keras itself.
    """

    def __init__(self, out: str):
        self.out = out

    def find_spec(self, name, path=None, target=None):
        # TensorFlow probes for keras with find_spec several times before it
        # imports it, so every spec handed out is patched, and this finder
        # leaves only once one of them has really been executed.
        if name != "keras":
            return None
        spec = self._spec_from_other_finders(name, path, target)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            _patch_fit(module, self.out)
            if self in sys.meta_path:
                sys.meta_path.remove(self)

        spec.loader.exec_module = exec_and_patch  # this loader instance only
        return spec

    def _spec_from_other_finders(self, name, path, target):
        """What the import system would find without this finder."""
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    return spec
        return None


def main(argv: list[str]) -> None:
    """Runs ``SCRIPT.py ARGS`` or ``-m MODULE ARGS`` as ``python`` would, timed."""
    if len(argv) < 2 or (argv[1] == "-m" and len(argv) < 3):
        raise SystemExit(__doc__)
    out, target = argv[0], argv[1:]
    _write_json(out, {"epochs": [], "params": None, "samples": None, "batch_size": None})
    sys.meta_path.insert(0, _PatchKerasOnImport(out))
    if target[0] == "-m":
        sys.path[0] = os.getcwd()  # as `python -m` has it, instead of bench/
        sys.argv = target[1:]
        runpy.run_module(target[1], run_name="__main__", alter_sys=True)
    else:
        sys.path[0] = os.path.dirname(os.path.abspath(target[0]))
        sys.argv = target
        runpy.run_path(target[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
