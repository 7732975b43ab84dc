"""Times the monitoring callbacks against a plain `model.fit`, side by side.

The MLP 784-256-256-10 trains for `--steps` minibatches of 100 with
`model.fit`, alone and with `SymmetryMonitor(every=10)` plus
`ActivationStats(every=50)` (probe batch of `--probe_size` examples, one
minibatch by default: each probe is a forward and backward pass, so a
probe of k minibatches every 50 steps costs about k / 50 of the training
compute however it is implemented). The two runs
alternate `--repeats` times (the order flips every repeat, so both see the
same machine load); each run builds and compiles a fresh model, and only
`fit` is timed. Prints a Markdown table with the medians and their ratio.
Inputs are random: the cost of the callbacks does not depend on the data.

Usage: python -m benchmarks.monitoring_bench [--repeats=5] [--steps=600]
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

from keras_initstudy import callbacks  # noqa: E402
from keras_initstudy import models  # noqa: E402

_REPEATS = flags.DEFINE_integer("repeats", 5, "Runs of each.", 1)
_STEPS = flags.DEFINE_integer("steps", 600, "Minibatches of 100 per run.", 1)
_PROBE_SIZE = flags.DEFINE_integer(
    "probe_size", 100, "Examples in ActivationStats' probe batch.", 1
)
_BATCH = 100


def _fit_seconds(x, y, monitored):
    model = models.mlp((256, 256), "relu", "he_normal", seed=0)
    model.compile(
        keras.optimizers.SGD(0.1),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    extra = (
        [
            callbacks.SymmetryMonitor(every=10),
            callbacks.ActivationStats(
                x[: _PROBE_SIZE.value], y[: _PROBE_SIZE.value], every=50
            ),
        ]
        if monitored
        else []
    )
    start = time.perf_counter()
    model.fit(x, y, batch_size=_BATCH, epochs=1, verbose=0, callbacks=extra)
    return time.perf_counter() - start


def main(argv):
    del argv
    rng = np.random.default_rng(0)
    n = _STEPS.value * _BATCH
    x = rng.random((n, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, size=n)
    _fit_seconds(x[: _BATCH * 10], y[: _BATCH * 10], True)  # Warm-up.
    times = {"plain model.fit": [], "with both callbacks": []}
    for repeat in range(_REPEATS.value):
        order = [False, True] if repeat % 2 == 0 else [True, False]
        for monitored in order:
            name = "with both callbacks" if monitored else "plain model.fit"
            times[name].append(_fit_seconds(x, y, monitored))
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(
        f"`model.fit` of the MLP 784-256-256-10, {_STEPS.value} steps of "
        f"{_BATCH}; SymmetryMonitor(every=10) + ActivationStats(every=50, "
        f"probe of {_PROBE_SIZE.value} examples)."
    )
    print()
    print("| run | median fit time (s) | runs (s) |")
    print("|---|---:|---|")
    for name, t in times.items():
        runs = ", ".join(f"{s:.2f}" for s in t)
        print(f"| {name} | {medians[name]:.2f} | {runs} |")
    ratio = medians["with both callbacks"] / medians["plain model.fit"]
    print(f"\nratio monitored / plain: {ratio:.3f}")


if __name__ == "__main__":
    app.run(main)
