"""Benchmark dltrain against the plain Keras seed scripts it replaces.

    python bench/run.py                # full: 5 epochs, 3 interleaved pairs per model -> bench/RESULTS.md
    python bench/run.py --short        # CI, ~3 min: 1 pair, 2 epochs, 6,000 samples -> bench/.cache/RESULTS-short.md
    python bench/run.py --scaling      # epoch time vs data size and batch size (MLP) -> its own section of RESULTS.md
    python bench/run.py --backends tensorflow,jax  # dltrain on both Keras backends, side by side
    python bench/run.py --smoke-startup  # `dltrain fit --smoke` of every config vs `import keras`
    python bench/run.py --help         # every option (--models, --epochs, --pairs, --samples, --out, ...)

What it does:

1. Data. Real MNIST is not on this machine, so it converts the installed
   Fashion-MNIST IDX files into an ``mnist.npz`` in Keras's layout (uint8
   x_train, y_train, x_test, y_test) under bench/.cache/, and points
   $DLTRAIN_DATA_DIR there: the seed scripts and ``dltrain fit
   configs/mnist_*.yaml`` then train on exactly the same arrays. With
   ``--samples N``, dltrain reads an npz holding the first N training images
   and the seeds read the full one and have fit's x and y cut to the same
   first N (seed_000 hard-codes 60,000 in a reshape); the test set is whole.
2. Training. Per model (mlp: seed_000 vs configs/mnist_mlp.yaml; cnn: seed_002
   vs configs/mnist_cnn.yaml) it runs seed, dltrain, seed, dltrain, ...
   (interleaved, so drifting load on the shared cores hits both sides alike),
   each in a fresh process under bench/epoch_timer.py, which times every epoch
   with the same Keras callback on both sides (dltrain as ``-m dltrain.cli
   fit ...``, the main() its console script calls). Both run silently (the
   seeds with VERBOSE=0, dltrain with --json).
3. Peak. bench/matmul_peak.py times a 2048×2048 float32 matmul in TensorFlow;
   each epoch's useful FLOPs are divided by that rate.
4. Report. A table per model, start-up times, machine and versions, printed
   and written as Markdown (``--out``; RESULTS.md is only written by full
   runs, so --short never overwrites real numbers). RESULTS.md has one section
   for the comparison and one for --scaling; a run replaces only its own.

Measures, and how they are computed:

- epoch s: the median over all runs of one side of the wall time of epochs
  2..N (epoch 1 traces the graph). An epoch is measured from the end of the
  previous one to the end of this one (see epoch_timer.py), so it includes
  the validation pass (the MLP validates on the 10,000 test images each epoch,
  as the seed does) and everything a callback does per epoch. In brackets: the
  lowest and highest per-run median, a view of the noise. Beside it, the mean
  of the same epochs (a few slow epochs move it, and a short run's wall time
  with it) and the slowest epoch with its ratio to the median: the jitter.
- bare-step floor: bench/floor.py, in a child of its own after each model's
  pairs, times the seed model's whole train step (forward, loss, gradients,
  optimizer) in one compiled loop on one batch held in memory, with XLA off
  and on, and keeps the faster; × the steps of an epoch (+ the MLP's
  validation steps, timed the same way). The epoch cannot be shorter: no
  fit loop, tf.data or callback is in it. Shown as mean (median) epoch /
  floor, per side.
- where the seconds go: epoch_timer.py splits every epoch into training,
  validation, each callback's epoch hooks and the rest, beside the
  collector's pauses, the process's CPU seconds and the machine's steal and
  iowait; the table shows the mean epoch beside the slowest one, so a slow
  epoch's cause shows as the part that grew (or, when every part is the
  same and the CPU seconds too, as time the process spent waiting).
- start-up s: from epoch_timer.py's start (Python is up) to the first
  training step's on_train_batch_begin: importing Keras, reading the data,
  building and compiling.
- dltrain's own epoch_seconds (history.csv) is shown for reference: it is
  taken inside dltrain's EpochStats callback and leaves out the checkpoint,
  history, TensorBoard and resume-state writing that run after it.
- samples/s: training samples per epoch / epoch s (validation not counted).
- % of matmul peak: FLOPs per epoch / epoch s / matmul FLOP/s, where, per sample,
  a Dense layer costs 2·in·out FLOPs forward, a Conv2D layer
  2·H_out·W_out·k·k·C_in·C_out forward (valid padding, stride 1), and training
  costs 3× forward (forward + gradients for inputs and weights; the first
  layer's unneeded input gradient is counted too, a convention). Pooling,
  activations, biases, loss and optimizer updates are left out (< 1 %).
  FLOPs per epoch = 3 · forward · training samples + forward · validation samples.
- peak RSS: the child's own ru_maxrss, from os.wait4 on that one process.
  With --samples the seeds still hold the full 60,000-image arrays in memory,
  so RSS is only comparable in runs on the full set.
- test accuracy: the seed's "Test accuracy:" line; dltrain's --json test.accuracy.
- start-up: median wall time of 5 runs each of ``dltrain --help``,
  ``dltrain validate configs/`` and ``python -c "import keras"``. The
  ``dltrain`` script next to this Python is used, not a pyenv shim, whose own
  start-up would be counted otherwise.

Only the standard library and NumPy are imported here: TensorFlow runs in the
children, so this process's memory and start-up never mix with theirs.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import gzip
import importlib.metadata
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
CACHE = BENCH / ".cache"
LOGS = CACHE / "logs"  # children's stdout/stderr, kept after the run for looking into failures
TRAIN_SAMPLES = 60_000  # Fashion-MNIST's training set, as MNIST's
IDX_DIR = Path("/usr/share/datasets/fashion-mnist")
IDX_FILES = {"x_train": "train-images-idx3-ubyte.gz", "y_train": "train-labels-idx1-ubyte.gz",
             "x_test": "t10k-images-idx3-ubyte.gz", "y_test": "t10k-labels-idx1-ubyte.gz"}
TEST_SAMPLES = 10_000


@dataclass(frozen=True)
class Model:
    """One seed script, the dltrain config that reproduces it, and its layers for the FLOP count."""

    seed: str
    config: str
    layers: tuple  # ("conv", filters, kernel) | ("pool", size) | ("flatten",) | ("dense", units)
    input_shape: tuple
    validates_on_test: bool  # both sides run a validation pass over the test set every epoch


MODELS = {
    "mlp": Model("bench/seeds/seed_000_mnist_mlp.py", "configs/mnist_mlp.yaml",
                 (("dense", 512), ("dense", 512), ("dense", 10)), (784,), validates_on_test=True),
    "cnn": Model("bench/seeds/seed_002_mnist_cnn.py", "configs/mnist_cnn.yaml",
                 (("conv", 32, 3), ("pool", 2), ("flatten",), ("dense", 128), ("dense", 10)), (28, 28, 1),
                 validates_on_test=False),
}


# ---------------------------------------------------------------- data


def read_idx(path: Path) -> np.ndarray:
    """Reads a gzipped IDX file (the MNIST format): 2 zero bytes, type, rank, big-endian sizes, data."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\0\0" or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    rank = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=rank, offset=4))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def mnist_npz(samples: int | None) -> Path:
    """The directory of an ``mnist.npz`` made from Fashion-MNIST (first ``samples`` training images).

    Built once into bench/.cache/ and reused; written to a temporary name and
    renamed, so a concurrent run never reads half a file.
    """
    directory = CACHE / "data" / ("full" if samples is None else f"first-{samples}")
    target = directory / "mnist.npz"
    if not target.is_file():
        arrays = {key: read_idx(IDX_DIR / name) for key, name in IDX_FILES.items()}
        if samples is not None:
            if not 0 < samples <= len(arrays["x_train"]):
                raise SystemExit(f"--samples must be between 1 and {len(arrays['x_train'])}")
            arrays["x_train"], arrays["y_train"] = arrays["x_train"][:samples], arrays["y_train"][:samples]
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, suffix=".npz", delete=False) as tmp:
            np.savez(tmp, **arrays)
        os.replace(tmp.name, target)
    return directory


# ---------------------------------------------------------------- FLOPs


def forward_flops(model: Model) -> tuple[int, int]:
    """(forward FLOPs per sample, parameter count), propagating shapes through ``model.layers``."""
    shape, flops, params = model.input_shape, 0, 0
    for kind, *sizes in model.layers:
        if kind == "conv":
            (height, width, c_in), (c_out, k) = shape, sizes
            shape = (height - k + 1, width - k + 1, c_out)
            flops += 2 * shape[0] * shape[1] * k * k * c_in * c_out
            params += k * k * c_in * c_out + c_out
        elif kind == "pool":
            shape = (shape[0] // sizes[0], shape[1] // sizes[0], shape[2])
        elif kind == "flatten":
            shape = (int(np.prod(shape)),)
        elif kind == "dense":
            flops += 2 * shape[0] * sizes[0]
            params += shape[0] * sizes[0] + sizes[0]
            shape = (sizes[0],)
    return flops, params


def epoch_flops(model: Model, train_samples: int) -> float:
    """Useful FLOPs of one epoch: 3× forward per training sample, 1× per validation sample."""
    forward, _ = forward_flops(model)
    return 3 * forward * train_samples + (forward * TEST_SAMPLES if model.validates_on_test else 0)


# ---------------------------------------------------------------- child processes


@dataclass
class Child:
    """What one finished child process left: exit code, output, wall time, peak RSS."""

    returncode: int
    stdout: str
    wall_s: float
    rss_mib: float
    log: Path


def run_child(cmd: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT) -> Child:
    """Runs ``cmd`` from the repository root and measures that process alone.

    os.wait4 returns the rusage of exactly this child; RUSAGE_CHILDREN would be
    the maximum over every child this script ever started. Output goes to
    ``log``.out/.err, kept for looking into failures.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log.with_suffix(".out"), log.with_suffix(".err")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for it again
    return Child(proc.returncode, out_path.read_text(), wall, usage.ru_maxrss / 1024, log)  # Linux: KiB


def check(child: Child, what: str) -> None:
    """Stops the benchmark with the child's last error lines when it failed."""
    if child.returncode != 0:
        tail = "".join(child.log.with_suffix(".err").read_text().splitlines(keepends=True)[-15:])
        raise SystemExit(f"{what} failed (exit {child.returncode}); logs: {child.log}.out/.err\n{tail}")


def child_env(**extra: str) -> dict[str, str]:
    """This environment without any BENCH_* left over, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    env.update(extra)
    return env


def dltrain_script() -> str:
    """The ``dltrain`` console script beside this Python (skips pyenv's shim), else the one on PATH."""
    beside = Path(sys.executable).with_name("dltrain")
    found = str(beside) if beside.is_file() else shutil.which("dltrain")
    if not found:
        raise SystemExit("no dltrain command: pip install -e . first")
    return found


# ---------------------------------------------------------------- one training


@dataclass
class Run:
    """One measured training: its epoch times and what it reported."""

    epoch_s: list[float]
    rss_mib: float
    accuracy: float
    wall_s: float
    params: int | None  # the trained model's parameter count, to check Model.layers against
    own_epoch_s: list[float] = field(default_factory=list)  # dltrain's history.csv epoch_seconds
    first_step_s: float | None = None  # process start to the first training step (epoch_timer.py)
    parts: list[dict] = field(default_factory=list)  # per epoch: where its seconds went (epoch_timer.py)

    @property
    def steady(self) -> list[float]:
        """Epochs 2..N (epoch 1 includes tracing); epoch 1 only when it is the only one."""
        return self.epoch_s[1:] or self.epoch_s


def timed_cmd(timings: Path, target: list[str]) -> list[str]:
    """The command running ``target`` under epoch_timer.py, which writes ``timings``."""
    return [sys.executable, str(BENCH / "epoch_timer.py"), str(timings), *target]


def read_timings(timings: Path) -> dict:
    """What epoch_timer.py recorded, as keyword arguments of :class:`Run`."""
    record = json.loads(timings.read_text())
    return {"epoch_s": [e["end_to_end"] for e in record["epochs"]], "params": record["params"],
            "first_step_s": record.get("first_step_s"), "parts": [e.get("parts", {}) for e in record["epochs"]]}


def run_seed(model: Model, epochs: int, samples: int | None, batch_size: int | None, work: Path, tag: str) -> Run:
    """Runs the plain seed script once on the full npz, cut to ``samples`` inside fit."""
    env = child_env(DLTRAIN_DATA_DIR=str(mnist_npz(None)), EPOCHS=str(epochs), VERBOSE="0")
    if samples is not None:
        env["BENCH_SAMPLES"] = str(samples)
    if batch_size is not None:
        env["BENCH_BATCH_SIZE"] = str(batch_size)
    timings = work / f"{tag}.json"
    child = run_child(timed_cmd(timings, [model.seed]), env, LOGS / tag)
    check(child, f"seed script {model.seed}")
    found = re.findall(r"^Test accuracy:\s*([0-9.eE+-]+)", child.stdout, re.MULTILINE)
    if not found:
        raise SystemExit(f"{model.seed} printed no 'Test accuracy:' line; see {child.log}.out")
    return Run(rss_mib=child.rss_mib, accuracy=float(found[-1]), wall_s=child.wall_s, **read_timings(timings))


def run_dltrain(model: Model, epochs: int, samples: int | None, batch_size: int | None, work: Path, tag: str,
                seed: int = 42, backend: str = "tensorflow") -> Run:
    """Runs ``dltrain fit CONFIG --json`` once, on an npz holding only the first ``samples`` images.

    The seed scripts are unseeded, so every run of theirs starts from other
    weights; each dltrain run gets its own seed (the pair's number) so that the
    accuracies on both sides sample the same spread, not one lucky or unlucky seed.
    """
    args = ["-m", "dltrain.cli", "fit", model.config, "--set", f"training.epochs={epochs}", "--set", f"seed={seed}",
            "--set", f"backend={backend}", "--json", "--runs-dir", str(work / "runs")]
    if batch_size is not None:
        args += ["--set", f"training.batch_size={batch_size}"]
    timings = work / f"{tag}.json"
    child = run_child(timed_cmd(timings, args), child_env(DLTRAIN_DATA_DIR=str(mnist_npz(samples))),
                      LOGS / tag)
    check(child, f"dltrain fit {model.config}")
    # --json prints one document and nothing else; decode from its first brace all the same.
    report, _ = json.JSONDecoder().raw_decode(child.stdout[child.stdout.index("{"):])
    run_dir = Path(report["run_dir"])
    with open(run_dir / "history.csv", newline="") as f:
        own = [float(row["epoch_seconds"]) for row in csv.DictReader(f)]
    shutil.rmtree(run_dir, ignore_errors=True)  # models and resume state: megabytes per run
    return Run(rss_mib=child.rss_mib, accuracy=float(report["test"]["accuracy"]), wall_s=child.wall_s,
               own_epoch_s=own, **read_timings(timings))


def interleaved(model: Model, epochs: int, pairs: int, samples: int | None, batch_size: int | None,
                work: Path, backends: tuple[str, ...] = ("tensorflow",)) -> tuple[list[Run], dict[str, list[Run]]]:
    """Seed, dltrain on each backend, seed, ...: ``pairs`` runs of each, alternating.

    Returns the seed's runs and dltrain's runs by backend.
    """
    seed_runs, dltrain_runs = [], {backend: [] for backend in backends}
    for i in range(pairs):
        tag = f"{Path(model.config).stem}-n{samples or 'all'}-b{batch_size or 'cfg'}-{i}"
        log(f"  pair {i + 1}/{pairs}: seed {model.seed}")
        seed_runs.append(run_seed(model, epochs, samples, batch_size, work, f"{tag}-seed"))
        for backend in backends:
            log(f"  pair {i + 1}/{pairs}: dltrain fit {model.config} (backend {backend})")
            dltrain_runs[backend].append(run_dltrain(model, epochs, samples, batch_size, work,
                                                     f"{tag}-dltrain-{backend}", seed=i + 1, backend=backend))
    return seed_runs, dltrain_runs


# ---------------------------------------------------------------- peak and start-up


def matmul_peak() -> dict:
    """bench/matmul_peak.py's result (GFLOP/s, TF and Keras versions), in a child of its own."""
    child = run_child([sys.executable, str(BENCH / "matmul_peak.py")], child_env(), LOGS / "matmul")
    check(child, "bench/matmul_peak.py")
    return json.loads(child.stdout.strip().splitlines()[-1])


def epoch_floor(name: str, samples: int) -> dict:
    """bench/floor.py's bare-step epoch floor of seed model ``name``, in a child of its own."""
    child = run_child([sys.executable, str(BENCH / "floor.py"), "--model", name, "--samples", str(samples), "--json"],
                      child_env(), LOGS / f"floor-{name}")
    check(child, "bench/floor.py")
    return json.loads(child.stdout.strip().splitlines()[-1])


def startup_times(reps: int) -> list[tuple[str, list[float], set[int]]]:
    """Wall seconds and exit codes of ``reps`` runs of each start-up command."""
    dltrain = dltrain_script()
    commands = [("dltrain --help", "help", [dltrain, "--help"]),
                ("dltrain validate configs/", "validate", [dltrain, "validate", "configs/"]),
                ('python -c "import keras"', "import-keras", [sys.executable, "-c", "import keras"])]
    results = []
    for name, slug, cmd in commands:
        children = [run_child(cmd, child_env(), LOGS / f"startup-{slug}-{i}") for i in range(reps)]
        results.append((name, [c.wall_s for c in children], {c.returncode for c in children}))
    return results


# ---------------------------------------------------------------- tables


def spread(values: list[float], digits: int) -> str:
    """``median (min–max)``, or just the value when there is one."""
    med = f"{statistics.median(values):.{digits}f}"
    if len(values) < 2:
        return med
    return f"{med} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def epoch_median(runs: list[Run]) -> float:
    """The median of epochs 2..N pooled over every run."""
    return statistics.median(t for r in runs for t in r.steady)


def epoch_cell(runs: list[Run]) -> str:
    """The pooled epoch median, with the lowest and highest per-run median when there are several runs."""
    cell = f"{epoch_median(runs):.3f}"
    if len(runs) > 1:
        per_run = [statistics.median(r.steady) for r in runs]
        cell += f" ({min(per_run):.3f}–{max(per_run):.3f})"
    return cell


def epoch_mean(runs: list[Run]) -> float:
    """The mean of epochs 2..N pooled over every run: what a short run's wall time follows, jitter included."""
    return statistics.fmean(t for r in runs for t in r.steady)


def epoch_max(runs: list[Run]) -> float:
    """The slowest of epochs 2..N over every run."""
    return max(t for r in runs for t in r.steady)


def ratio(a: float, b: float) -> str:
    """``a / b`` as a factor."""
    return f"{a / b:.2f}×" if b else "–"


def floor_cell(runs: list[Run], floor_s: float) -> str:
    """Mean and median epoch over the bare-step floor."""
    return f"{ratio(epoch_mean(runs), floor_s)} ({ratio(epoch_median(runs), floor_s)})"


def first_step_cell(runs: list[Run]) -> str:
    """Seconds from the process's start to its first training step."""
    values = [r.first_step_s for r in runs if r.first_step_s is not None]
    return spread(values, 2) if values else "–"


def model_table(name: str, model: Model, seed: list[Run], dl: list[Run], samples: int, peak_gflops: float,
                floor: dict) -> str:
    """The Markdown comparison table of one model."""
    s_epoch, d_epoch = epoch_median(seed), epoch_median(dl)
    forward, params = forward_flops(model)
    flops = epoch_flops(model, samples)
    percent_of_peak = lambda epoch_s: f"{100 * flops / epoch_s / (peak_gflops * 1e9):.1f} %"  # noqa: E731
    own = statistics.median(t for r in dl for t in (r.own_epoch_s[1:] or r.own_epoch_s))
    s_rss, d_rss = (statistics.median(r.rss_mib for r in runs) for runs in (seed, dl))
    s_wall, d_wall = (statistics.median(r.wall_s for r in runs) for runs in (seed, dl))
    rss_note = "" if samples == TRAIN_SAMPLES else " (seeds hold all 60,000 images: not comparable)"
    rows = [
        ("", "seed", "dltrain", "dltrain/seed"),
        (f"median epoch s ({steady_epochs(len(seed[0].epoch_s))}; per-run range)",
         epoch_cell(seed), epoch_cell(dl), ratio(d_epoch, s_epoch)),
        ("mean epoch s (same epochs)", f"{epoch_mean(seed):.3f}", f"{epoch_mean(dl):.3f}",
         ratio(epoch_mean(dl), epoch_mean(seed))),
        ("slowest epoch s (its ratio to the median on each side)",
         f"{epoch_max(seed):.3f} ({ratio(epoch_max(seed), s_epoch)})",
         f"{epoch_max(dl):.3f} ({ratio(epoch_max(dl), d_epoch)})", ""),
        (f"mean (median) epoch / bare-step floor of {floor['epoch_floor_s']:.3f} s (bench/floor.py)",
         floor_cell(seed, floor["epoch_floor_s"]), floor_cell(dl, floor["epoch_floor_s"]), ""),
        ("dltrain's own epoch_seconds (history.csv)", "–", f"{own:.3f}", ""),
        ("training samples/s", f"{samples / s_epoch:,.0f}", f"{samples / d_epoch:,.0f}", ratio(s_epoch, d_epoch)),
        ("% of matmul peak", percent_of_peak(s_epoch), percent_of_peak(d_epoch), ""),
        ("peak RSS MiB" + rss_note, f"{s_rss:,.0f}", f"{d_rss:,.0f}", ratio(d_rss, s_rss)),
        ("test accuracy", spread([r.accuracy for r in seed], 4), spread([r.accuracy for r in dl], 4), ""),
        ("process wall s (start-up, data, epochs, test)", spread([r.wall_s for r in seed], 1),
         spread([r.wall_s for r in dl], 1), ratio(d_wall, s_wall)),
        ("start-up s: process start to the first training step", first_step_cell(seed), first_step_cell(dl), ""),
    ]
    trained = sorted({r.params for r in seed + dl})
    mismatch = ""
    if trained != [params]:  # the FLOP count would describe another network than the one trained
        mismatch = f" (WARNING: counted for {params:,} parameters, the trained models have {trained})"
        log(f"WARNING {name}:{mismatch}")
    head = (f"### {name}: `{model.seed}` vs `dltrain fit {model.config}`\n\n"
            f"{len(seed)} interleaved pair(s), {len(seed[0].epoch_s)} epochs, {samples:,} training samples; "
            f"{forward / 1e6:.3f} MFLOP forward per sample, {flops / 1e9:.1f} GFLOP per epoch{mismatch}.\n\n")
    return head + markdown(rows)


def epoch_parts(run: Run, index: int) -> dict[str, float]:
    """Where epoch ``index`` of ``run`` went, with ``other``: the epoch's seconds no named part covers."""
    parts = dict(run.parts[index]) if index < len(run.parts) else {}
    timed = sum(v for k, v in parts.items() if k not in ("gc", "cpu", "steal", "iowait"))
    parts["other"] = run.epoch_s[index] - timed
    return parts


def parts_table(name: str, sides: dict[str, list[Run]]) -> str:
    """Mean seconds per part of the steady epochs beside the slowest epoch's, per side: where jitter comes from."""
    columns, cells = [], {}
    for side, runs in sides.items():
        steady = [(r, i) for r in runs for i in range(1, len(r.epoch_s))]
        if not steady or not any(r.parts for r in runs):
            continue
        slow_run, slow_i = max(steady, key=lambda ri: ri[0].epoch_s[ri[1]])
        mean = {}
        for r, i in steady:
            for part, value in epoch_parts(r, i).items():
                mean[part] = mean.get(part, 0.0) + value / len(steady)
        slowest = epoch_parts(slow_run, slow_i)
        columns += [f"{side}: mean epoch", f"{side}: slowest (epoch {slow_i + 1})"]
        for part in {**mean, **slowest}:
            cells.setdefault(part, {})[columns[-2]] = mean.get(part, 0.0)
            cells[part][columns[-1]] = slowest.get(part, 0.0)
    if not columns:
        return ""
    order = ["train", "validation"] + sorted(p for p in cells if p not in ("train", "validation", "other", "gc",
                                                                            "cpu", "steal", "iowait"))
    order += [p for p in ("other", "gc", "cpu", "steal", "iowait") if p in cells]
    rows = [("seconds", *columns)] + [(part, *(f"{cells[part].get(c, 0.0):.3f}" for c in columns))
                                      for part in order if part in cells]
    return (f"### {name}: where the epochs' seconds go (epoch_timer.py)\n\n"
            "Callbacks by class (their on_epoch_begin + on_epoch_end); other: what no part covers; gc: the "
            "collector's pauses; cpu: the process's CPU seconds, all threads; steal and iowait: the machine's, "
            "from /proc/stat, summed over its CPUs.\n\n" + markdown(rows))


def backend_table(name: str, model: Model, by_backend: dict[str, list[Run]], samples: int, floor: dict) -> str:
    """dltrain's runs of one model side by side, one column per Keras backend."""
    backends = list(by_backend)
    first = epoch_median(by_backend[backends[0]])
    rows = [("", *backends),
            (f"median epoch s ({steady_epochs(len(by_backend[backends[0]][0].epoch_s))})",
             *(epoch_cell(by_backend[b]) for b in backends)),
            (f"epoch time / {backends[0]}'s", *(ratio(epoch_median(by_backend[b]), first) for b in backends)),
            ("mean epoch s (same epochs)", *(f"{epoch_mean(by_backend[b]):.3f}" for b in backends)),
            ("slowest epoch s (its ratio to the median)",
             *(f"{epoch_max(by_backend[b]):.3f} ({ratio(epoch_max(by_backend[b]), epoch_median(by_backend[b]))})"
               for b in backends)),
            (f"mean (median) epoch / bare-step floor of {floor['epoch_floor_s']:.3f} s",
             *(floor_cell(by_backend[b], floor["epoch_floor_s"]) for b in backends)),
            ("start-up s: process start to the first training step",
             *(first_step_cell(by_backend[b]) for b in backends)),
            ("training samples/s", *(f"{samples / epoch_median(by_backend[b]):,.0f}" for b in backends)),
            ("peak RSS MiB", *(f"{statistics.median(r.rss_mib for r in by_backend[b]):,.0f}" for b in backends)),
            ("test accuracy", *(spread([r.accuracy for r in by_backend[b]], 4) for b in backends)),
            ("process wall s (start-up, data, epochs, test)",
             *(spread([r.wall_s for r in by_backend[b]], 1) for b in backends))]
    return f"### {name}: `dltrain fit {model.config}` on each backend\n\n" + markdown(rows)


def startup_table(results: list[tuple[str, list[float], set[int]]]) -> str:
    """The Markdown table of start-up times; a failing command is flagged (its time means little)."""
    rows = [(f"`{name}`", spread(walls, 2) + ("" if codes == {0} else f" (exit {sorted(codes)})"))
            for name, walls, codes in results]
    return f"### Start-up (wall s: median of {len(results[0][1])} run(s), (min–max))\n\n" + markdown(
        [("command", "wall s"), *rows])


def steady_epochs(epochs: int) -> str:
    """Which epochs the medians are over."""
    return f"epochs 2..{epochs}" if epochs > 1 else "the only epoch, warm-up and tracing included"


def markdown(rows: list[tuple]) -> str:
    """A Markdown table; the first row is the header."""
    lines = ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    lines.insert(1, "|" + "---|" * len(rows[0]))
    return "\n".join(lines) + "\n"


def package_version(name: str) -> str:
    """An installed package's version, read without importing it (TensorFlow takes seconds)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def preamble(load_before: tuple) -> str:
    """Date, machine, versions, load and the command: what a reader needs to judge the numbers."""
    uname = platform.uname()
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    load_after = os.getloadavg()
    return "\n".join([
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {uname.system} {uname.node} {uname.release} {uname.version} {uname.machine}; "
        f"{cpu_model()}; {os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable)",
        f"- Python {platform.python_version()}, TensorFlow {package_version('tensorflow')}, "
        f"Keras {package_version('keras')}, dltrain at git {commit}",
        f"- load average (1 min) before / after: {load_before[0]:.2f} / {load_after[0]:.2f} "
        "(the cores are shared: compare ratios within one run, not across runs)",
        f"- data: Fashion-MNIST from {IDX_DIR}, as mnist.npz",
        f"- command: `{shlex.join(['python', *sys.argv])}`",
    ]) + "\n"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, where there is one."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def write_section(path: Path, section: str, text: str) -> None:
    """Replaces one marked section of ``path`` (created if needed), keeping the others.

    The comparison and --scaling are run separately; each must not erase the other's numbers.
    """
    begin, end = f"<!-- bench:{section}:begin -->", f"<!-- bench:{section}:end -->"
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    old = path.read_text() if path.is_file() else "# dltrain benchmark results\n\nWritten by `bench/run.py`.\n\n"
    if begin in old and end in old:
        rest = old[old.index(end) + len(end):].lstrip("\n")
        new = old[:old.index(begin)] + block + ("\n" + rest if rest else "")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new)


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the report."""
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- modes


def comparison(args: argparse.Namespace, work: Path) -> str:
    """The main benchmark: peak, every model's interleaved pairs, start-up. Returns its Markdown."""
    load_before = os.getloadavg()
    log("matmul peak ...")
    peak = matmul_peak()
    samples = args.samples or TRAIN_SAMPLES
    tables = []
    for name in args.models:
        log(f"{name}: {args.pairs} pair(s) of {args.epochs} epochs on {samples:,} samples")
        seed, by_backend = interleaved(MODELS[name], args.epochs, args.pairs, args.samples, None, work,
                                       tuple(args.backends))
        log(f"{name}: bare-step floor ...")
        floor = epoch_floor(name, samples)
        tables.append(model_table(name, MODELS[name], seed, by_backend[args.backends[0]], samples,
                                  peak["best_gflops"], floor))
        if len(args.backends) > 1:
            tables.append(backend_table(name, MODELS[name], by_backend, samples, floor))
        tables.append(parts_table(name, {"seed": seed, **{f"dltrain {b}": r for b, r in by_backend.items()}}))
    log("start-up ...")
    startup = startup_times(args.startup_reps)
    return "\n".join([
        "## dltrain vs the plain seed scripts\n", preamble(load_before),
        f"Matmul peak: {peak['best_gflops']:.1f} GFLOP/s (best of {peak['reps']} {peak['n']}×{peak['n']} "
        f"float32 matmuls; median {peak['median_gflops']:.1f}).\n",
        *tables, startup_table(startup),
        "Epoch times run from the end of one epoch to the end of the next (validation and every "
        "per-epoch callback included); % of peak counts 2·in·out FLOPs per Dense and "
        "2·H·W·k²·C_in·C_out per Conv2D per sample forward, ×3 for training (see bench/run.py).\n",
    ])


def scaling(args: argparse.Namespace, work: Path) -> str:
    """Epoch time of the MLP against data size (at batch 128) and batch size (at the largest size)."""
    load_before = os.getloadavg()
    model, cells = MODELS["mlp"], {}
    grid = [(n, 128) for n in args.sizes] + [(max(args.sizes), b) for b in args.batch_sizes]
    for n, batch in dict.fromkeys(grid):  # in order, without the repeated (largest, 128) cell
        log(f"scaling: {n:,} samples, batch {batch}")
        seed, by_backend = interleaved(model, args.epochs, args.pairs, None if n == TRAIN_SAMPLES else n,
                                       None if batch == 128 else batch, work, (args.backends[0],))
        cells[n, batch] = seed, by_backend[args.backends[0]]
    rows = [("training samples", "batch", "seed epoch s", "dltrain epoch s", "dltrain/seed",
             "seed samples/s", "dltrain samples/s")]
    for (n, batch), (seed, dl) in cells.items():
        s, d = epoch_median(seed), epoch_median(dl)
        rows.append((f"{n:,}", batch, f"{s:.3f}", f"{d:.3f}", ratio(d, s), f"{n / s:,.0f}", f"{n / d:,.0f}"))
    return "\n".join([
        "## Scaling: the MLP (seed_000 vs configs/mnist_mlp.yaml)\n",
        preamble(load_before),
        f"{args.pairs} interleaved pair(s) of {args.epochs} epoch(s) per cell; epoch s is the median of "
        f"{steady_epochs(args.epochs)}; each epoch also validates on the 10,000 test images.\n",
        markdown(rows),
    ])


def smoke_command(config: Path, runs_dir: Path) -> list[str]:
    """``dltrain fit CONFIG --smoke`` as CI runs it: MNIST and CIFAR (downloads) on synthetic data."""
    dataset = re.search(r"^\s*dataset:\s*(\w+)", config.read_text(), re.MULTILINE)
    synthetic = ["--synthetic"] if dataset and dataset.group(1) in ("mnist", "cifar10", "cifar100") else []
    return [dltrain_script(), "fit", str(config), "--smoke", *synthetic, "--json", "--runs-dir", str(runs_dir)]


def plain_script(config: Path, work: Path) -> Path:
    """``dltrain script CONFIG``: the plain Keras script the config stands for, written under ``work``."""
    done = subprocess.run([dltrain_script(), "script", str(config)], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"dltrain script {config} failed:\n{done.stderr[-2000:]}")
    path = work / f"{config.stem}_plain.py"
    path.write_text(done.stdout)
    return path


def smoke_startup(args: argparse.Namespace, work: Path) -> str:
    """``dltrain fit --smoke`` of every config beside ``import keras`` and the config's plain script, interleaved.

    The plain script (``dltrain script CONFIG`` run with DLTRAIN_SCRIPT_SMOKE=1, as CI runs it) builds,
    compiles, trains a few batches, evaluates and saves the same model with Keras alone: the floor of a
    smoke run, which dltrain exceeds by what it adds (checks, the run directory, best.keras's score, the
    report).
    """
    load_before = os.getloadavg()
    rows = [("config", "smoke wall s", "plain script (smoke) s", "`import keras` s", "smoke − import s",
             "smoke − plain s")]
    for config in sorted((ROOT / "configs").glob("*.yaml")):
        if args.configs and config.stem not in args.configs:
            continue
        smoke, plain, imports = [], [], []
        script = plain_script(config, work)
        for i in range(args.startup_reps):
            log(f"smoke start-up: {config.name} ({i + 1}/{args.startup_reps})")
            imports.append(run_child([sys.executable, "-c", "import keras"], child_env(),
                                     LOGS / f"smoke-import-{config.stem}-{i}").wall_s)
            child = run_child(smoke_command(config, work / "runs"), child_env(), LOGS / f"smoke-{config.stem}-{i}")
            script_run = run_child([sys.executable, str(script)], child_env(DLTRAIN_SCRIPT_SMOKE="1"),
                                   LOGS / f"smoke-plain-{config.stem}-{i}", cwd=work)  # it saves its model there
            if child.returncode != 0 or script_run.returncode != 0:  # data a script of configs/data/ writes?
                smoke = None
                break
            smoke.append(child.wall_s)
            plain.append(script_run.wall_s)
        if smoke is None:
            rows.append((f"`{config.name}`", "failed (see its logs: data not written?)", "", "", "", ""))
            continue
        s, p, k = statistics.median(smoke), statistics.median(plain), statistics.median(imports)
        rows.append((f"`{config.name}`", spread(smoke, 2), spread(plain, 2), spread(imports, 2), f"{s - k:+.2f}",
                     f"{s - p:+.2f}"))
    return "\n".join([
        f"## Start-up: `dltrain fit --smoke` of {'some configs' if args.configs else 'every config'}\n",
        preamble(load_before),
        f"Median of {args.startup_reps} run(s) each, in turn: `python -c \"import keras\"`, the smoke run (MNIST "
        "and CIFAR configs on synthetic data, `--synthetic`, as CI runs them), and the config's plain Keras "
        "script (`dltrain script CONFIG`) run with `DLTRAIN_SCRIPT_SMOKE=1`: Keras alone building, "
        "compiling, training a few batches, evaluating and saving the same model.\n",
        markdown(rows),
    ])


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark dltrain against the plain Keras seed scripts.",
                                     epilog="See the module docstring (bench/run.py) for what is measured.")
    parser.add_argument("--short", action="store_true",
                        help="CI check: 1 pair, 2 epochs, 6,000 samples, 3 start-up reps; "
                             "writes bench/.cache/RESULTS-short.md unless --out")
    parser.add_argument("--scaling", action="store_true",
                        help="MLP epoch time vs --sizes (batch 128) and --batch-sizes; only that section of --out")
    parser.add_argument("--configs", type=lambda s: s.split(","), default=None,
                        help="--smoke-startup: only these configs (comma-separated names without .yaml)")
    parser.add_argument("--smoke-startup", action="store_true",
                        help="`dltrain fit --smoke` of every config vs `import keras`; only that section of --out")
    parser.add_argument("--models", type=lambda s: s.split(","), default=list(MODELS),
                        help="comma-separated, from: " + ", ".join(MODELS))
    parser.add_argument("--epochs", type=int, help="epochs per run (default 5; --short 2)")
    parser.add_argument("--pairs", type=int, help="interleaved seed/dltrain pairs (default 3; --short 1)")
    parser.add_argument("--samples", type=int, help="train on the first N samples (default all; --short 6000)")
    parser.add_argument("--sizes", type=lambda s: [int(v) for v in s.split(",")], default=[10_000, 30_000, 60_000],
                        help="--scaling data sizes (default 10000,30000,60000)")
    parser.add_argument("--batch-sizes", type=lambda s: [int(v) for v in s.split(",")], default=[32, 128, 512],
                        help="--scaling batch sizes (default 32,128,512)")
    parser.add_argument("--startup-reps", type=int, help="runs of each start-up command (default 5; --short 3)")
    parser.add_argument("--out", type=Path, help="Markdown file (default bench/RESULTS.md)")
    parser.add_argument("--backends", type=lambda s: s.split(","), default=["tensorflow"],
                        help="Keras backends dltrain runs on, side by side (e.g. tensorflow,jax); the first one is "
                             "compared with the seed scripts (default tensorflow)")
    args = parser.parse_args(argv)
    defaults = dict(epochs=2, pairs=1, samples=6000, startup_reps=3) if args.short else dict(
        epochs=5, pairs=3, samples=None, startup_reps=5)
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.out is None:
        args.out = CACHE / "RESULTS-short.md" if args.short else BENCH / "RESULTS.md"
    unknown = set(args.models) - set(MODELS)
    if unknown:
        parser.error(f"unknown model(s) {', '.join(sorted(unknown))}; choose from {', '.join(MODELS)}")
    if set(args.backends) - {"tensorflow", "jax"}:
        parser.error("--backends takes tensorflow and/or jax")
    if min(args.epochs, args.pairs, args.startup_reps) < 1:
        parser.error("--epochs, --pairs and --startup-reps must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    CACHE.mkdir(parents=True, exist_ok=True)
    # Timings and dltrain's run directories: removed at the end (logs stay in bench/.cache/logs).
    with tempfile.TemporaryDirectory(dir=CACHE, prefix="work-") as work:
        if args.scaling:
            section, text = "scaling", scaling(args, Path(work))
        elif args.smoke_startup:
            # A run of some configs keeps its own section: the table of every config stays.
            section = "smoke-startup-some" if args.configs else "smoke-startup"
            text = smoke_startup(args, Path(work))
        else:
            section, text = "comparison", comparison(args, Path(work))
    print(text)
    write_section(args.out, section, text)
    log(f"written: {args.out}")


if __name__ == "__main__":
    main()
