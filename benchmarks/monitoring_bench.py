"""Times the monitoring callbacks against a plain `model.fit`, side by side.

The MLP 784-256-256-10 trains for `--steps` minibatches of 100 with
`model.fit`, alone and with `SymmetryMonitor(every=10)` plus
`ActivationStats(every=50)` (probe batch of `--probe_size` examples, one
minibatch by default: each probe is a forward and backward pass, so a
probe of k minibatches every 50 steps costs about k / 50 of the training
compute however it is implemented). The two runs
alternate `--repeats` times (the order flips every repeat, so both see the
same machine load); each run builds and compiles a fresh model, and only
`fit` is timed, in wall time and in the process's CPU time (all threads):
on a shared machine the CPU time is the steadier of the two, since it does
not count the time other processes hold the cores. Prints a Markdown table
with the medians and their ratios, and the time spent inside the callbacks'
hooks (timed in each monitored fit) as a share of the plain fit.
Inputs are random: the cost of the callbacks does not depend on the data.

Usage: python -m benchmarks.monitoring_bench [--repeats=11] [--steps=600]
    [--probe_size=100]
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import statistics  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from keras_initstudy.diagnostics import callbacks  # noqa: E402
from keras_initstudy.study import models  # noqa: E402

_REPEATS = flags.DEFINE_integer("repeats", 11, "Runs of each.", 1)
_STEPS = flags.DEFINE_integer("steps", 600, "Minibatches of 100 per run.", 1)
_PROBE_SIZE = flags.DEFINE_integer(
    "probe_size", 100, "Examples in ActivationStats' probe batch.", 1
)
_BATCH = 100


_HOOKS = ("on_train_begin", "on_train_batch_end", "on_train_end")


def _timed(callback, spent):
    """Adds the wall time of `callback`'s training hooks to `spent[0]`.

    Both callbacks override these hooks already, so timing them changes
    nothing in how Keras dispatches them.
    """
    for name in _HOOKS:
        hook = getattr(callback, name)

        def timed(*args, hook=hook, **kwargs):
            start = time.perf_counter()
            hook(*args, **kwargs)
            spent[0] += time.perf_counter() - start

        setattr(callback, name, timed)
    return callback


def _fit_seconds(x, y, monitored, spent=None):
    """`(wall, CPU)` seconds of one `fit`; `spent[0]` gets the hooks' time."""
    spent = [0.0] if spent is None else spent
    model = models.mlp((256, 256), "relu", "he_normal", seed=0)
    model.compile(
        keras.optimizers.SGD(0.1),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    extra = (
        [
            _timed(callbacks.SymmetryMonitor(every=10), spent),
            _timed(
                callbacks.ActivationStats(
                    x[: _PROBE_SIZE.value], y[: _PROBE_SIZE.value], every=50
                ),
                spent,
            ),
        ]
        if monitored
        else []
    )
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=_BATCH, epochs=1, verbose=0, callbacks=extra)
    return time.perf_counter() - start, time.process_time() - cpu


def main(argv):
    del argv
    rng = np.random.default_rng(0)
    n = _STEPS.value * _BATCH
    x = rng.random((n, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, size=n)
    _fit_seconds(x[: _BATCH * 10], y[: _BATCH * 10], True)  # Warm-up.
    names = ("plain model.fit", "with both callbacks")
    wall = {name: [] for name in names}
    cpu = {name: [] for name in names}
    hooks = []  # Seconds inside the callbacks' hooks, per monitored fit.
    for repeat in range(_REPEATS.value):
        order = [False, True] if repeat % 2 == 0 else [True, False]
        for monitored in order:
            name = names[monitored]
            spent = [0.0]
            seconds, cpu_seconds = _fit_seconds(x, y, monitored, spent)
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
            if monitored:
                hooks.append(spent[0])
    print(
        f"`model.fit` of the MLP 784-256-256-10, {_STEPS.value} steps of "
        f"{_BATCH}; SymmetryMonitor(every=10) + ActivationStats(every=50, "
        f"probe of {_PROBE_SIZE.value} examples); load average at the end: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs."
    )
    print()
    print("| run | median wall (s) | median CPU (s) | wall runs (s) |")
    print("|---|---:|---:|---|")
    for name in names:
        runs = ", ".join(f"{t:.2f}" for t in wall[name])
        print(
            f"| {name} | {statistics.median(wall[name]):.2f} | "
            f"{statistics.median(cpu[name]):.2f} | {runs} |"
        )
    print()
    for label, times in (("wall", wall), ("CPU", cpu)):
        plain, monitored = (statistics.median(times[n]) for n in names)
        # Each repeat runs both back to back: the median of their ratios
        # cancels load that changes between repeats.
        paired = statistics.median(
            m / p for p, m in zip(times[names[0]], times[names[1]], strict=True)
        )
        # The fastest run of each is the one other processes disturbed
        # least (timeit's advice for noisy machines).
        fastest = min(times[names[1]]) / min(times[names[0]])
        print(
            f"ratio monitored / plain, {label} time: {monitored / plain:.3f} "
            f"(ratio of medians), {paired:.3f} (median of paired ratios), "
            f"{fastest:.3f} (ratio of the fastest runs)"
        )
    # What the callbacks themselves take, timed inside each monitored fit:
    # steadier than a difference of two noisy fits.
    inside = statistics.median(hooks)
    print(
        f"time inside the callbacks' hooks: median {inside:.3f} s per fit, "
        f"{inside / statistics.median(wall[names[0]]):.1%} of the plain "
        "fit's median wall time"
    )


if __name__ == "__main__":
    app.run(main)
