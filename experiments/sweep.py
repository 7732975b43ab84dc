r"""Every registered initializer x {relu, tanh, sigmoid} on MNIST, one budget.

The article's comparison in one table: each initializer of the registry
(`keras_initstudy.initializers.names()`, read at run time, so initializers
added later join the sweep) trains the same MLP with each activation for
the same number of iterations. Zeros and constants stay at (or near) the
class prior, 11.35% on MNIST; small random, Xavier and He train.

An initializer that needs an argument gets the one in
`keras_initstudy.sweep.INIT_VALUES`; one
that cannot build this MLP at all (e.g. a convolution-only initializer)
is recorded with status "error" and its message, never left out.

Usage:
  python -m experiments.sweep
  python -m experiments.sweep --init=zeros,he_normal --activation=relu
  python -m experiments.sweep --logdir=runs/tb && tensorboard --logdir=runs/tb
"""

import os

from absl import app
from absl import flags
from absl import logging

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


from experiments import common
from keras_initstudy import initializers  # noqa: E402
from keras_initstudy import models  # noqa: E402
from keras_initstudy import records  # noqa: E402
from keras_initstudy import sweep as sweep_lib  # noqa: E402
from keras_initstudy import training  # noqa: E402

_INIT = flags.DEFINE_list(
    "init",
    [],
    "Comma-separated initializers to sweep (default: every registered one).",
)
_ACTIVATION = flags.DEFINE_list(
    "activation", list(models.ACTIVATIONS), "Comma-separated activations."
)
_HIDDEN_UNITS = flags.DEFINE_list(
    "hidden_units", ["128"], "Comma-separated widths of the hidden layers."
)
_ITERATIONS = flags.DEFINE_integer(
    "iterations", 100, "Minibatch updates per run.", lower_bound=1
)
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", 100, "Examples per minibatch.", lower_bound=1
)
_OPTIMIZER = flags.DEFINE_enum(
    "optimizer", "sgd", list(training.OPTIMIZERS), "The optimizer."
)
_LEARNING_RATE = flags.DEFINE_float(
    "learning_rate",
    None,
    "Learning rate (default: the optimizer's, 0.1 for sgd).",
    lower_bound=0.0,
)
_SEED = flags.DEFINE_integer(
    "seed", 0, "Seeds initializers and the minibatch order."
)
_DATA_DIR = flags.DEFINE_string(
    "data_dir", None, "Folder with the MNIST IDX files (default: search)."
)
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", "runs/sweep", "Where metrics.json and the figures go."
)
# Moves to the shared flag definers in experiments/common.py.
_LOGDIR = flags.DEFINE_string(
    "logdir", None, "Write TensorBoard summaries under this folder."
)


@flags.validator("init", "must be registered initializer names")
def _check_init(value):
    return all(v in initializers.REGISTRY for v in value)


@flags.validator("activation", f"must be among {', '.join(models.ACTIVATIONS)}")
def _check_activation(value):
    return bool(value) and all(v in models.ACTIVATIONS for v in value)


flags.register_validator(
    "hidden_units", common.positive_ints, "must be positive integers"
)


def config_from_flags():
    return sweep_lib.SweepConfig(
        inits=tuple(_INIT.value),
        activations=tuple(_ACTIVATION.value),
        hidden_units=tuple(int(u) for u in _HIDDEN_UNITS.value),
        iterations=_ITERATIONS.value,
        batch_size=_BATCH_SIZE.value,
        optimizer=_OPTIMIZER.value,
        learning_rate=_LEARNING_RATE.value,
        seed=_SEED.value,
        data_dir=_DATA_DIR.value,
    )


def main(argv):
    del argv
    with common.usage_errors():
        config = config_from_flags()
        output_dir = records.prepare_output_dir(_OUTPUT_DIR.value)
        logdir = None
        if _LOGDIR.value:
            logdir = records.prepare_output_dir(_LOGDIR.value)
        metrics = sweep_lib.run(config, logdir=logdir)
    logging.info("\n%s", sweep_lib.table(metrics))
    for path in sweep_lib.write_figures(metrics, output_dir):
        logging.info("wrote %s", path)
    logging.info("wrote %s", records.write_metrics(output_dir, metrics))


if __name__ == "__main__":
    app.run(main)
