"""Times the reproduction against a plain Keras script, side by side.

Whole-process wall time (interpreter start, imports, data loading, training,
evaluation, writing results) of

  ours:     python -m experiments.mnist --init=zeros
  baseline: python -m benchmarks.plain_keras_mnist DATA_DIR

run alternately (so both see the same machine load; which one goes first
flips every repeat) `--repeats` times each; prints a Markdown table with the
medians and their ratio. Wall time is what a user waits; CPU time (user +
sys, all threads) also shows the work done, and on a shared machine it
moves less with the other users' load than wall time does.

Usage: python -m benchmarks.reproduction_bench [--repeats=5] [--data_dir=...]
"""

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags

_REPEATS = flags.DEFINE_integer("repeats", 5, "Runs of each command.", 1)
_DATA_DIR = flags.DEFINE_string(
    "data_dir",
    None,
    "MNIST IDX folder (default: $KERAS_INITSTUDY_DATA_DIR/mnist).",
)


def _cpu_of_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(cmd):
    """`(wall, cpu)` seconds of one run of `cmd`."""
    cpu, start = _cpu_of_children(), time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start, _cpu_of_children() - cpu


def main(argv):
    del argv
    data_dir = _DATA_DIR.value or os.path.join(
        os.environ.get("KERAS_INITSTUDY_DATA_DIR", ""), "mnist"
    )
    if not os.path.isdir(data_dir):
        raise app.UsageError(f"No MNIST folder at {data_dir}; pass --data_dir.")
    out = tempfile.mkdtemp(prefix="bench-")
    commands = {
        "keras_initstudy (python -m experiments.mnist --init=zeros)": [
            sys.executable,
            "-m",
            "experiments.mnist",
            "--init=zeros",
            f"--data_dir={data_dir}",
            f"--output_dir={out}",
        ],
        "plain Keras script (benchmarks/plain_keras_mnist.py)": [
            sys.executable,
            "-m",
            "benchmarks.plain_keras_mnist",
            data_dir,
        ],
    }
    times = {name: [] for name in commands}
    for repeat in range(_REPEATS.value):
        names = list(commands)[:: 1 if repeat % 2 == 0 else -1]
        for name in names:
            times[name].append(_time(commands[name]))
    wall = {n: statistics.median(w for w, _ in t) for n, t in times.items()}
    cpu = {n: statistics.median(c for _, c in t) for n, t in times.items()}
    print(
        "| command | median wall time (s) | median CPU time (s) "
        "| runs, wall (s) |"
    )
    print("|---|---|---|---|")
    for name, t in times.items():
        runs = ", ".join(f"{w:.2f}" for w, _ in t)
        print(f"| {name} | {wall[name]:.2f} | {cpu[name]:.2f} | {runs} |")
    ours, baseline = commands
    print(f"\nratio ours / baseline: {wall[ours] / wall[baseline]:.2f}")
    print(f"CPU time ratio ours / baseline: {cpu[ours] / cpu[baseline]:.2f}")


if __name__ == "__main__":
    app.run(main)
