"""Times our initializers against Keras's own on a 4096x4096 kernel.

Pairs (ours vs Keras):

- `he_normal` vs `HeNormal` (ours draws a plain normal by default, as torch;
  Keras a truncated one),
- `he_normal(truncated=True)` vs `HeNormal` (the same distribution),
- `xavier_uniform` vs `GlorotUniform`,
- `orthogonal` vs `Orthogonal`.

Within a pair the two run alternately (the order flips every repeat), so both
see the same machine load; after one warm-up call each, the medians of
`--repeats` timed calls (`--orthogonal_repeats` for the QR-bound orthogonal
pair) and their ratio are printed as a Markdown table.

Usage: python -m benchmarks.initializers_bench [--repeats=15]
    [--orthogonal_repeats=5] [--size=4096]
"""

import statistics
import time

import keras
import tensorflow as tf
from absl import app
from absl import flags

from keras_initstudy import initializers

_REPEATS = flags.DEFINE_integer("repeats", 15, "Timed calls of each.", 1)
_ORTHOGONAL_REPEATS = flags.DEFINE_integer(
    "orthogonal_repeats", 5, "Timed calls of each orthogonal (~7 s a call).", 1
)
_SIZE = flags.DEFINE_integer("size", 4096, "The kernel is size x size.", 2)


def _pairs():
    return [
        (
            "he_normal vs HeNormal",
            initializers.HeNormal(seed=1),
            keras.initializers.HeNormal(seed=1),
            _REPEATS.value,
        ),
        (
            "he_normal(truncated=True) vs HeNormal",
            initializers.HeNormal(truncated=True, seed=1),
            keras.initializers.HeNormal(seed=1),
            _REPEATS.value,
        ),
        (
            "xavier_uniform vs GlorotUniform",
            initializers.XavierUniform(seed=1),
            keras.initializers.GlorotUniform(seed=1),
            _REPEATS.value,
        ),
        (
            "orthogonal vs Orthogonal",
            initializers.Orthogonal(seed=1),
            keras.initializers.Orthogonal(seed=1),
            _ORTHOGONAL_REPEATS.value,
        ),
    ]


def _time(init, shape):
    start = time.perf_counter()
    values = init(shape)
    # Eager CPU ops run synchronously; reading one element makes sure.
    float(values[0, 0])
    return time.perf_counter() - start


def main(argv):
    del argv
    shape = (_SIZE.value, _SIZE.value)
    print(
        f"Sampling a {shape[0]}x{shape[1]} float32 kernel, median of "
        f"{_REPEATS.value} interleaved calls ({_ORTHOGONAL_REPEATS.value} for "
        f"orthogonal; TensorFlow {tf.__version__}, Keras {keras.__version__})."
        "\n"
    )
    print("| initializer | ours (ms) | Keras (ms) | ours / Keras |")
    print("|---|---:|---:|---:|")
    for label, ours, theirs, repeats in _pairs():
        _time(ours, shape)
        _time(theirs, shape)
        times = {"ours": [], "keras": []}
        for repeat in range(repeats):
            order = [("ours", ours), ("keras", theirs)]
            for name, init in order if repeat % 2 == 0 else order[::-1]:
                times[name].append(_time(init, shape))
        ours_ms = 1e3 * statistics.median(times["ours"])
        keras_ms = 1e3 * statistics.median(times["keras"])
        print(
            f"| {label} | {ours_ms:.1f} | {keras_ms:.1f} | "
            f"{ours_ms / keras_ms:.2f} |"
        )


if __name__ == "__main__":
    app.run(main)
