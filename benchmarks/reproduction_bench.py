"""Times the reproduction against a plain Keras script, side by side.

Whole-process wall time (interpreter start, imports, data loading, training,
evaluation, writing results) of

  ours:     python -m experiments.mnist --init=zeros
  baseline: python -m benchmarks.plain_keras_mnist DATA_DIR

run alternately (so both see the same machine load) `--repeats` times each;
prints a Markdown table with the medians and their ratio.

Usage: python -m benchmarks.reproduction_bench [--repeats=5] [--data_dir=...]
"""

import os
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


def _time(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


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
    for _ in range(_REPEATS.value):
        for name, cmd in commands.items():
            times[name].append(_time(cmd))
    medians = {name: statistics.median(t) for name, t in times.items()}
    ours, baseline = medians.values()
    print("| command | median wall time (s) | runs (s) |")
    print("|---|---|---|")
    for name, t in times.items():
        runs = ", ".join(f"{x:.2f}" for x in t)
        print(f"| {name} | {medians[name]:.2f} | {runs} |")
    print(f"\nratio ours / baseline: {ours / baseline:.2f}")


if __name__ == "__main__":
    app.run(main)
