"""What the phase diagram costs: measured per cell, estimated per grid.

Trains a few cells of the trainability grid in this process at each
grid's own width and budget (one sigma_w2 on the critical line, depths
spread over the grid's range) and measures each cell's CPU time (this
process's user + system time, all TensorFlow threads included) and wall
time. CPU time grows linearly with depth (one Dense layer's forward and
backward pass per layer and step), so a least-squares line
`cpu = a + b * depth` through the measured cells prices every cell of a
grid; summed over the grid it gives the CPU-hours, and the wall time on N
CPUs (one trial per CPU, as the Ray engine reserves them, longest cells
first onto the least-loaded CPU).

Printed: the measured cells, the fitted line, and a Markdown table of the
default grid (`--scale=default`) and the paper-scale grid
(`--scale=paper`): cells, CPU-hours, and wall hours on 2, 8 and 64 CPUs.

Usage: python -m benchmarks.trainability_cost [--depths=10,40,160]
    (with KERAS_INITSTUDY_DATA_DIR set, or --data_dir)
"""

import heapq
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from keras_initstudy.study import data  # noqa: E402
from keras_initstudy.study.kinds import phase_diagram  # noqa: E402
from keras_initstudy.study.kinds import trainability  # noqa: E402

_DEPTHS = flags.DEFINE_list(
    "depths", ["10", "40", "160"], "Depths of the measured cells."
)
_DATA_DIR = flags.DEFINE_string("data_dir", None, "MNIST's folder.")
CPUS = (2, 8, 64)


def _measure(dataset, depth, width):
    config = trainability.TrainabilityConfig(
        sigma_w2=1.76, depth=depth, width=width
    )
    wall, cpu = time.perf_counter(), time.process_time()
    trainability.run(config, dataset=dataset)
    return time.process_time() - cpu, time.perf_counter() - wall


def _makespan(costs, cpus):
    """Longest cells first, each onto the CPU that frees up first."""
    loads = [0.0] * cpus
    for cost in sorted(costs, reverse=True):
        heapq.heapreplace(loads, loads[0] + cost)
    return max(loads)


def _line(dataset, depths, width):
    """`(a, b)` of `cpu = a + b * depth`, measured at `width`."""
    cpu, wall = zip(*(_measure(dataset, d, width) for d in depths), strict=True)
    b, a = np.polyfit(depths, cpu, 1)
    for d, c, w in zip(depths, cpu, wall, strict=True):
        print(f"  width {width}, depth {d}: {c:.1f} s CPU, {w:.1f} s wall")
    print(f"  width {width}: CPU = {a:.2f} s + {b:.3f} s x depth")
    return a, b


def main(argv):
    del argv
    dataset = data.load("mnist", _DATA_DIR.value)
    depths = [int(d) for d in _DEPTHS.value]
    _measure(dataset, 2, 16)  # TensorFlow's first-use costs.
    grids = {
        "default": phase_diagram.default_grids((0,)),
        "paper": phase_diagram.paper_grids(),
    }
    steps = trainability.TrainabilityConfig().iterations
    print(f"{steps} SGD steps per cell, cells measured in this process:")
    lines = {
        width: _line(dataset, depths, width)
        for width in sorted({g.width for gs in grids.values() for g in gs})
    }
    print(
        "\n| grid | cells | CPU-hours | "
        + " | ".join(f"wall h, {n} CPUs" for n in CPUS)
        + " |"
    )
    print("|---|---:|---:|" + "---:|" * len(CPUS))
    for name, found in grids.items():
        costs = [
            lines[t.config.width][0] + lines[t.config.width][1] * t.config.depth
            for grid in found
            for t in grid.tasks()
        ]
        spans = [_makespan(costs, n) / 3600 for n in CPUS]
        print(
            f"| {name} | {len(costs)} | {sum(costs) / 3600:.2f} | "
            + " | ".join(f"{s:.2f}" for s in spans)
            + " |"
        )


if __name__ == "__main__":
    app.run(main)
