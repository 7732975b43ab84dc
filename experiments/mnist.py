r"""Reproduces the article's MNIST run: zero init leaves the net at the prior.

With every weight zero, all hidden units compute the same value and receive
the same gradient; with relu or tanh (g(0) = 0) no gradient reaches a hidden
weight at all, only the output biases learn, and the network answers the most
frequent training digit ("1") for every input: 1135 / 10000 = 11.35 % on the
test set, with a loss that stays at ln 10 for all 100 iterations.

Any shared constant fails the same way (`--init=constant --init_value=0.05`):
the hidden layer stays one distinct unit at every iteration. The run records
that per iteration (`symmetry` in metrics.json), checks whether the net
answers a single class and what that class's share of the test set is
(`prior`), and draws its loss curve (`loss.png`).

Usage:
  python -m experiments.mnist --init=zeros
  python -m experiments.mnist --init=he_normal --output_dir=runs/he
  python -m experiments.mnist --init=constant --init_value=0.05 \
      --activation=sigmoid --dropout=0.5
  python -m experiments.mnist --init=he_normal --output_init=zeros
  python -m experiments.mnist --init=he_normal --logdir=runs/tb
  tensorboard --logdir=runs/tb
"""

import os

from absl import app
from absl import flags
from absl import logging

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from experiments import common
from keras_initstudy import callbacks  # noqa: E402
from keras_initstudy import data  # noqa: E402
from keras_initstudy import initializers  # noqa: E402
from keras_initstudy import plots  # noqa: E402
from keras_initstudy import records  # noqa: E402
from keras_initstudy import runs  # noqa: E402
from keras_initstudy import training  # noqa: E402

_INIT = flags.DEFINE_enum(
    "init", "zeros", initializers.names(), "Kernel initializer of every layer."
)
_BIAS_INIT = flags.DEFINE_enum(
    "bias_init",
    "zeros",
    initializers.names(),
    "Bias initializer of every layer (zeros, as in the article).",
)
_INIT_VALUE = flags.DEFINE_float(
    "init_value",
    None,
    "Fill value of the constant initializer (required with --init=constant, "
    "--bias_init=constant or --output_init=constant).",
)
_OUTPUT_INIT = flags.DEFINE_enum(
    "output_init",
    None,
    initializers.names(),
    "Kernel initializer of the output layer only (default: --init).",
)
_DROPOUT = flags.DEFINE_float(
    "dropout",
    0.0,
    "Dropout rate after each hidden layer, in [0, 1).",
    lower_bound=0.0,
    upper_bound=0.99,
)
_ACTIVATION = flags.DEFINE_enum(
    "activation", "relu", ["relu", "tanh", "sigmoid"], "Hidden activation."
)
_HIDDEN_UNITS = flags.DEFINE_list(
    "hidden_units", ["128"], "Comma-separated widths of the hidden layers."
)
_ITERATIONS = flags.DEFINE_integer(
    "iterations", 100, "Minibatch updates.", lower_bound=1
)
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", 100, "Examples per minibatch.", lower_bound=1
)
_LEARNING_RATE = flags.DEFINE_float(
    "learning_rate",
    None,
    "Learning rate; default 0.1 for sgd, 0.01 for momentum, 0.001 for adam.",
    lower_bound=0.0,
)
_OPTIMIZER = flags.DEFINE_enum(
    "optimizer",
    "sgd",
    list(training.OPTIMIZERS),
    "sgd, momentum (SGD with momentum 0.9) or adam.",
)
_SEED = flags.DEFINE_integer(
    "seed", 0, "Seeds initializers, dropout and the minibatch order."
)
_DATASET = flags.DEFINE_enum("dataset", "mnist", list(data.NAMES), "Dataset.")
_DATA_DIR = flags.DEFINE_string(
    "data_dir", None, "Folder with the four IDX files (default: search)."
)
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", "runs/mnist", "Where metrics.json (and loss.png) go."
)
_FIGURE = flags.DEFINE_bool(
    "figure", True, "Also draw the loss curve to <output_dir>/loss.png."
)
# Moves to the shared flag definers in experiments/common.py.
_LOGDIR = flags.DEFINE_string(
    "logdir", None, "Write TensorBoard summaries under this folder."
)


flags.register_validator(
    "hidden_units", common.positive_ints, "must be positive integers"
)


def config_from_flags():
    return runs.ClassifierConfig(
        init=_INIT.value,
        bias_init=_BIAS_INIT.value,
        activation=_ACTIVATION.value,
        hidden_units=tuple(int(u) for u in _HIDDEN_UNITS.value),
        iterations=_ITERATIONS.value,
        batch_size=_BATCH_SIZE.value,
        optimizer=_OPTIMIZER.value,
        learning_rate=_LEARNING_RATE.value,
        seed=_SEED.value,
        dataset=_DATASET.value,
        data_dir=_DATA_DIR.value,
        init_value=_INIT_VALUE.value,
        output_init=_OUTPUT_INIT.value,
        dropout=_DROPOUT.value,
    )


def log_prior(prior):
    """Explains the accuracy of a net that answers one class, from the run."""
    if not prior["predicts_single_class"]:
        logging.info(
            "the net answers %d different classes (not stuck at the prior)",
            prior["predicted_class_count"],
        )
        return
    logging.info(
        "the net answers class %d for every test image, and %d of %d test "
        "images are %d: that is its %.2f%% accuracy",
        prior["predicted_class"],
        prior["predicted_class_test_count"],
        prior["test_size"],
        prior["predicted_class"],
        100 * prior["predicted_class_test_count"] / prior["test_size"],
    )
    logging.info(
        "the prior: the most frequent training class is %d (%d of %d); "
        "answering it always scores %.2f%% (%d of %d test images), with the "
        "loss of the prior (entropy of the training labels) %.4f%s",
        prior["prior_class"],
        prior["prior_class_train_count"],
        prior["train_size"],
        100 * prior["prior_accuracy"],
        prior["prior_class_test_count"],
        prior["test_size"],
        prior["prior_loss"],
        "; the net is at the prior"
        if prior["matches_prior"]
        else "; the net answers another class",
    )


def main(argv):
    del argv
    with common.usage_errors():
        config = config_from_flags()
        output_dir = records.prepare_output_dir(_OUTPUT_DIR.value)
        logdir = None
        if _LOGDIR.value:
            logdir = records.prepare_output_dir(
                os.path.join(_LOGDIR.value, runs.run_name(config))
            )
        metrics = runs.run_classifier(
            config,
            callbacks=[callbacks.ProgressBar(config.iterations)],
            logdir=logdir,
        )
    # The bar showed them on a terminal; the record keeps every one.
    for i, loss in enumerate(metrics["train_loss"], start=1):
        logging.vlog(1, "iteration %d: loss %.6f", i, loss)
    logging.info(
        "test loss %.4f, test accuracy %.2f%%",
        metrics["test_loss"],
        100 * metrics["test_accuracy"],
    )
    logging.info(
        "distinct hidden units per layer: %s", metrics["distinct_units"]
    )
    for layer, entry in metrics["symmetry"].items():
        logging.info(
            "%s: distinct units over iterations: min %d, max %d",
            layer,
            min(entry["distinct_units"]),
            max(entry["distinct_units"]),
        )
    log_prior(metrics["prior"])
    path = records.write_metrics(output_dir, metrics)
    logging.info("status %s; wrote %s", metrics["status"], path)
    if logdir is not None:
        logging.info("wrote TensorBoard summaries to %s", logdir)
    if _FIGURE.value:
        figure = plots.loss_curves(
            [metrics], os.path.join(output_dir, "loss.png")
        )
        logging.info("wrote %s", figure)


if __name__ == "__main__":
    app.run(main)
