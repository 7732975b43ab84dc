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

import gc
import os

if __name__ == "__main__":
    gc.disable()  # Until main starts: see common.one_line_errors.

from absl import app
from absl import flags
from absl import logging

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from experiments import common  # noqa: E402
from experiments import flags_core  # noqa: E402
from keras_initstudy import initializers  # noqa: E402
from keras_initstudy.diagnostics import callbacks  # noqa: E402
from keras_initstudy.study import plots  # noqa: E402
from keras_initstudy.study.kinds import classifier  # noqa: E402

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
_ACTIVATION = flags_core.define_activation_flag()
_HIDDEN_UNITS = flags_core.define_hidden_units_flag()
_TRAINING = flags_core.define_training_flags(iterations=100)
_OPTIMIZER = flags_core.define_optimizer_flag()
_DATA = flags_core.define_data_flags()
_RUN = flags_core.define_run_flags(output_dir="runs/mnist")
flags.adopt_module_key_flags(flags_core)


def config_from_flags():
    return classifier.ClassifierConfig(
        init=_INIT.value,
        bias_init=_BIAS_INIT.value,
        activation=_ACTIVATION.value,
        hidden_units=tuple(int(u) for u in _HIDDEN_UNITS.value),
        **_TRAINING.values(),
        optimizer=_OPTIMIZER.value,
        seed=_RUN.seed.value,
        **_DATA.values(),
        init_value=_INIT_VALUE.value,
        output_init=_OUTPUT_INIT.value,
        dropout=_DROPOUT.value,
    )


def _training_started(config):
    """Logs when the first update is about to run (data loaded, net built)."""
    return keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: logging.info(
            "training: %d iterations on %s", config.iterations, config.dataset
        )
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


def log_metrics(metrics):
    """Logs the run: losses, accuracy, symmetry, and what the prior explains."""
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


def write_figures(metrics, output_dir):
    """The loss curve, loss.png."""
    return [plots.loss_curves([metrics], os.path.join(output_dir, "loss.png"))]


@common.one_line_errors
def main(argv):
    del argv
    config = config_from_flags()
    outputs = common.prepare_outputs(
        _RUN, summaries=classifier.run_name(config)
    )
    metrics = classifier.run_classifier(
        config,
        callbacks=[
            _training_started(config),
            callbacks.ProgressBar(config.iterations),
        ],
        logdir=outputs.logdir,
    )
    common.finish(outputs, metrics, log=log_metrics, figures=write_figures)


if __name__ == "__main__":
    app.run(main)
