"""Run a training script or module in this process and record each epoch's wall time.

    python bench/epoch_timer.py OUT.json SCRIPT.py [ARGS...]
    python bench/epoch_timer.py OUT.json -m dltrain.cli fit CONFIG [ARGS...]

bench/run.py starts every measured training through this wrapper, the seed
scripts and dltrain alike, so both sides are timed by the same code. As soon
as the target imports keras, ``keras.Model.fit`` is wrapped to append one
callback, ``EpochTimer``; the target's model and training code are untouched.
OUT.json is rewritten after every epoch (a crash still leaves the epochs done):

    {"epochs": [{"end_to_end": s, "begin_to_end": s, "parts": {...}}, ...],
     "params": N, "samples": N or null, "batch_size": B or null, "first_step_s": s}

``first_step_s`` is the time from this wrapper's start to the first training
step's ``on_train_batch_begin``: importing Keras, reading the data, building
and compiling (tracing the step comes after it).

``parts`` says where an epoch's seconds went, to find what makes one epoch
slower than the others (the jitter bench/run.py reports): ``train`` (the
timer's epoch begin to the validation's begin), ``validation``, every other
callback's ``on_epoch_begin`` + ``on_epoch_end`` by class name, ``gc`` (the
seconds Python's collector paused this thread, from ``gc.callbacks``),
``cpu`` (this process's CPU seconds, all threads) and, from /proc/stat, the
machine's ``steal`` and ``iowait`` seconds summed over its CPUs: CPU time
the hypervisor gave to other guests, and idle time waiting for the disk.

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
import gc
import importlib.abc
import importlib.util
import json
import os
import runpy
import sys
import time

_STARTED = time.perf_counter()  # this wrapper's first line: the Python start-up before it is not counted


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


def _machine_seconds() -> dict[str, float]:
    """The machine's steal and iowait seconds so far, summed over CPUs (zeros where /proc/stat is absent)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return {"steal": 0.0, "iowait": 0.0}
    ticks = os.sysconf("SC_CLK_TCK")
    return {"iowait": int(fields[5]) / ticks, "steal": int(fields[8]) / ticks if len(fields) > 8 else 0.0}


class _PartClock:
    """Seconds per named part of the current epoch, plus the collector's pauses."""

    def __init__(self):
        self.parts: dict[str, float] = {}
        self.epoch_end_started: float | None = None
        self._gc_start = 0.0
        gc.callbacks.append(self._on_gc)

    def close(self) -> None:
        """Stops listening to the collector (a process may fit several models)."""
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase, info):
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.add("gc", time.perf_counter() - self._gc_start)

    def add(self, name: str, seconds: float) -> None:
        self.parts[name] = self.parts.get(name, 0.0) + seconds

    def timed(self, name: str, method):
        """``method`` wrapped to add its seconds to ``name``."""
        @functools.wraps(method)
        def run(*args, **kwargs):
            start = time.perf_counter()
            if method.__name__ == "on_epoch_end" and self.epoch_end_started is None:
                self.epoch_end_started = start  # the training (and validation) of the epoch ended here
            try:
                return method(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - start)
        return run

    def time_callbacks(self, callbacks: list) -> None:
        """Times each callback's epoch hooks (on this instance only; the class is untouched)."""
        seen: dict[str, int] = {}
        for callback in callbacks:
            name = type(callback).__name__
            seen[name] = seen.get(name, 0) + 1
            label = name if seen[name] == 1 else f"{name}#{seen[name]}"
            for hook in ("on_epoch_begin", "on_epoch_end"):
                setattr(callback, hook, self.timed(label, getattr(callback, hook)))


def _patch_fit(keras, out: str) -> None:
    """Wraps keras.Model.fit so every fit gets an EpochTimer as its last callback."""

    class EpochTimer(keras.callbacks.Callback):
        """Records the wall time of each epoch, and where it went, into ``out``."""

        def __init__(self, record: dict, clock: _PartClock):
            super().__init__()
            self.record = record
            self.clock = clock

        def on_train_begin(self, logs=None):
            self.record["params"] = int(self.model.count_params())
            self._last_end = time.perf_counter()
            self._mark()

        def _mark(self):
            self.clock.parts = {}
            self.clock.epoch_end_started = None
            self._cpu = sum(os.times()[:2])
            self._machine = _machine_seconds()

        def on_train_end(self, logs=None):
            self.clock.close()

        def on_epoch_begin(self, epoch, logs=None):
            self._begin = time.perf_counter()

        def on_train_batch_begin(self, batch, logs=None):
            if self.record["first_step_s"] is None:  # the process's start-up, up to its first training step
                self.record["first_step_s"] = time.perf_counter() - _STARTED

        def on_test_begin(self, logs=None):
            self._test_begin = time.perf_counter()
            self.clock.add("train", self._test_begin - self._begin)

        def on_test_end(self, logs=None):
            self.clock.add("validation", time.perf_counter() - self._test_begin)

        def on_epoch_end(self, epoch, logs=None):
            now = time.perf_counter()
            if "train" not in self.clock.parts:  # no validation pass: training ended where the callbacks began
                self.clock.add("train", (self.clock.epoch_end_started or now) - self._begin)
            machine = _machine_seconds()
            parts = {**self.clock.parts, "cpu": sum(os.times()[:2]) - self._cpu,
                     **{k: machine[k] - self._machine[k] for k in machine}}
            self.record["epochs"].append({"end_to_end": now - self._last_end, "begin_to_end": now - self._begin,
                                          "parts": {k: round(v, 4) for k, v in parts.items()}})
            self._last_end = now
            _write_json(out, self.record)
            self._mark()

    original = keras.Model.fit

    @functools.wraps(original)
    def fit(self, *args, **kwargs):
        args, kwargs = _with_overrides(args, kwargs)
        x = args[0] if args else kwargs.get("x")
        record = {"epochs": [], "params": None, "batch_size": kwargs.get("batch_size"), "first_step_s": None,
                  "samples": len(x) if hasattr(x, "__len__") and hasattr(x, "shape") else None}
        clock = _PartClock()
        callbacks = list(kwargs.get("callbacks") or [])
        clock.time_callbacks(callbacks)
        kwargs["callbacks"] = [*callbacks, EpochTimer(record, clock)]
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
    _write_json(out, {"epochs": [], "params": None, "samples": None, "batch_size": None, "first_step_s": None})
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
