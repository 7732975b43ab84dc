"""The doctor's repair against anyinit 0.4.0, on broken models, side by side.

Five models whose initialization is broken, each built with the same broken
weights for every method and seed, then re-initialized by:

  as built:           nothing (the broken model, for reference)
  He/Glorot, all:     every kernel drawn again, He before relu, Glorot
                      otherwise: the textbook initialization, whatever the
                      doctor finds (a reference, not a tool)
  repair:             doctor.repair(model): the weights behind the doctor's
                      errors and warnings (every cause of a failing path;
                      looks-linear kernels for relu chains, the mean-field
                      scale for tanh), from the weights alone
  repair + batch:     doctor.repair(model, x, y) on a batch of training
                      images (LSUV for the Dense and Conv kernels it
                      repairs, on top of the looks-linear ones)
  anyinit analytic:   anyinit.initialize(model, "analytic", input shape):
                      every weight, from the moment maps, no data
  anyinit empirical:  anyinit.initialize(model, "empirical", x) on the same
                      batch: every weight, measured layer by layer

and trained the same way (plain SGD, `--iterations` steps of
`--batch_size` MNIST images, learning rate `--learning_rate`, minibatch
order seeded like the weights). Prints Markdown tables: the test accuracy
(mean ± sd over `--seeds` seeds), the weights each repair changed, and the
median time of the re-initialization call. The methods of one model and
seed run one after the other, so all see the same machine load.

anyinit 0.4.0 names its own graph's output node "output" and fails on a
Keras model with a layer of that name (`ValueError: duplicate node id
'output'`), which is how the study's `models.mlp` names its last layer: the
benchmark names it "logits" instead, for every method alike.

Usage (anyinit comes with the `bench` extra, `pip install -c
requirements.lock -e '.[bench]'`; KERAS_INITSTUDY_DATA_DIR set for MNIST):
  python -m benchmarks.repair_bench [--seeds=3] [--iterations=300]
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import statistics  # noqa: E402
import time  # noqa: E402

import anyinit  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from absl import app  # noqa: E402
from absl import flags  # noqa: E402
from absl import logging  # noqa: E402

from keras_initstudy import initializers  # noqa: E402
from keras_initstudy.diagnostics import doctor  # noqa: E402
from keras_initstudy.diagnostics import signals  # noqa: E402
from keras_initstudy.study import data  # noqa: E402
from keras_initstudy.study import models  # noqa: E402
from keras_initstudy.study import training  # noqa: E402

_SEEDS = flags.DEFINE_integer(
    "seeds", 3, "Seeds per model and method (2 or more: the sd).", 2
)
_ITERATIONS = flags.DEFINE_integer("iterations", 300, "SGD steps.", 1)
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 100, "Minibatch size.", 1)
_LEARNING_RATE = flags.DEFINE_float("learning_rate", 0.05, "SGD step size.")
_REPAIR_BATCH = flags.DEFINE_integer(
    "repair_batch",
    256,
    "Training images in the batch of `repair + batch` and anyinit's "
    "empirical mode.",
    1,
)

METHODS = (
    "as built",
    "He/Glorot, all",
    "repair",
    "repair + batch",
    "anyinit analytic",
    "anyinit empirical",
)


def _zero_conv_net():
    """Two 3x3 relu convolutions (16 and 32 channels, the second with
    stride 2) and a Dense output layer, every kernel zeros."""
    inputs = keras.Input((28, 28), name="image")
    x = keras.layers.Reshape((28, 28, 1))(inputs)
    for i, (filters, strides) in enumerate(((16, 1), (32, 2))):
        x = keras.layers.Conv2D(
            filters,
            3,
            strides=strides,
            activation="relu",
            kernel_initializer="zeros",
            name=f"conv_{i + 1}",
        )(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(10, kernel_initializer="zeros", name="output")(
        x
    )
    return keras.Model(inputs, outputs)


# The broken models: a name and a builder taking the seed. The names are
# the issue's: its glorot_normal is the registry's xavier_normal.
BROKEN = {
    "784-128-10 relu, zeros": lambda seed: models.mlp(
        (128,), "relu", "zeros", seed=seed
    ),
    "30-layer relu (width 128), glorot_normal": lambda seed: models.mlp(
        (128,) * 30, "relu", "xavier_normal", seed=seed
    ),
    "20-layer tanh (width 256), N(0, 1)": lambda seed: models.mlp(
        (256,) * 20, "tanh", "large_random", seed=seed
    ),
    "10-layer tanh (width 500), 0.01 N(0, 1)": lambda seed: models.mlp(
        (500,) * 10, "tanh", "small_random", seed=seed
    ),
    "conv-conv-dense relu, zeros": lambda seed: _zero_conv_net(),
}


def _renamed(model):
    """The same model and weights, its layer "output" named "logits"."""

    def rename(layer):
        config = layer.get_config()
        if config["name"] == "output":
            config["name"] = "logits"
        return type(layer).from_config(config)

    clone = keras.models.clone_model(model, clone_function=rename)
    clone.set_weights(model.get_weights())
    return clone


def _textbook(model, seed):
    """Draws every kernel again, He before relu and Glorot otherwise."""
    kernels = [layer for layer in model.layers if hasattr(layer, "kernel")]
    for i, layer in enumerate(kernels):
        relu = signals.activation_name(layer) == "relu"
        init = initializers.get(
            "he_normal" if relu else "xavier_normal", seed=seed + i
        )
        layer.kernel.assign(init(tuple(layer.kernel.shape)))
    return len(kernels)


def _reinitialize(method, model, x, y, seed):
    """Applies a method; returns how many weights it changed."""
    if method == "as built":
        return 0
    if method == "He/Glorot, all":
        return _textbook(model, seed)
    if method.startswith("repair"):
        batch = (x, y) if method == "repair + batch" else (None, None)
        _, changes = doctor.repair(model, *batch, seed=seed)
        return len(changes)
    if method == "anyinit analytic":
        anyinit.initialize(
            model, "analytic", (_BATCH_SIZE.value, 28, 28), seed=seed
        )
    else:
        anyinit.initialize(model, "empirical", x, seed=seed)
    return len(model.trainable_weights)


def _run(name, method, dataset, seed):
    """Returns `(test accuracy, weights changed, seconds to re-initialize)`."""
    keras.utils.set_random_seed(seed)
    model = _renamed(BROKEN[name](seed))
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(dataset.x_train), _REPAIR_BATCH.value, False)
    x, y = dataset.x_train[picked], dataset.y_train[picked]
    start = time.perf_counter()
    changed = _reinitialize(method, model, x, y, seed)
    seconds = time.perf_counter() - start
    config = training.TrainConfig(
        iterations=_ITERATIONS.value,
        batch_size=_BATCH_SIZE.value,
        optimizer="sgd",
        learning_rate=_LEARNING_RATE.value,
        seed=seed,
        eval_every=_ITERATIONS.value,
    )
    record = training.train(model, dataset.x_train, dataset.y_train, config)
    _, accuracy = training.evaluate(model, dataset.x_test, dataset.y_test)
    if record["status"] != training.STATUS_OK:
        accuracy = float("nan")
    return accuracy, changed, seconds


def _mean_sd(values):
    finite = [v for v in values if np.isfinite(v)]
    if len(finite) < len(values):
        return f"diverged {len(values) - len(finite)}/{len(values)}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def _counts(values):
    """The counts of the seeds, "3" or "2 / 3" when they differ."""
    return " / ".join(str(v) for v in sorted(set(values)))


def _table(header, rows):
    lines = [
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv):
    del argv
    dataset = data.load("mnist")
    seeds = range(_SEEDS.value)
    results = {}
    for name in BROKEN:
        for seed in seeds:
            for method in METHODS:
                results[name, method, seed] = _run(name, method, dataset, seed)
                logging.info(
                    "%s, %s, seed %d: accuracy %.4f, %d weights changed, "
                    "%.2f s",
                    name,
                    method,
                    seed,
                    *results[name, method, seed],
                )
    print(
        f"Test accuracy after {_ITERATIONS.value} SGD steps of "
        f"{_BATCH_SIZE.value} MNIST images (learning rate "
        f"{_LEARNING_RATE.value:g}), mean ± sd over {len(seeds)} seeds; "
        f"batch of {_REPAIR_BATCH.value} training images for repair + batch "
        f"and anyinit empirical; anyinit {anyinit.__version__}, Keras "
        f"{keras.__version__}.\n"
    )

    def cells(name, index, fmt):
        return [
            fmt([results[name, m, s][index] for s in seeds]) for m in METHODS
        ]

    print(
        _table(
            ["model", *METHODS],
            [[name, *cells(name, 0, _mean_sd)] for name in BROKEN],
        )
    )
    print("\nWeights changed (of the model's trainable weights):\n")
    print(
        _table(
            ["model", *METHODS[1:]],
            [[name, *cells(name, 1, _counts)[1:]] for name in BROKEN],
        )
    )
    print("\nMedian time of the re-initialization call (s):\n")
    print(
        _table(
            ["model", *METHODS[1:]],
            [
                [
                    name,
                    *cells(name, 2, lambda v: f"{statistics.median(v):.2f}")[
                        1:
                    ],
                ]
                for name in BROKEN
            ],
        )
    )


if __name__ == "__main__":
    app.run(main)
