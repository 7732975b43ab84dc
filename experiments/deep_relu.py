r"""Deep plain ReLU networks: Xavier stalls, He trains (He et al. 2015).

A 30-layer plain ReLU MLP, 256 units wide, trained on MNIST with SGD and
momentum 0.9 from Xavier and from He initialization, same budget. Xavier's
variance 1 / fan (here fan_in = fan_out) ignores that ReLU zeroes half of
its input, so each layer shrinks the activation std by ~1/sqrt(2): after 30
layers the signal is ~2^-15 of the input's, the gradients are as tiny, and
the network stays at the class prior (11.35% on MNIST). He's 2 / fan_in
keeps the std constant and the same network trains.

Modes:
- compare (default): both inits at `--depth`; records the per-layer
  forward std at init and the loss curves (loss_curves.png, init_std.png).
- sensitivity: test accuracy after the same budget at each of
  `--sensitivity_depths`, for both inits (depth_sensitivity.png).

Usage:
  python -m experiments.deep_relu
  python -m experiments.deep_relu --mode=sensitivity \
      --output_dir=runs/deep_relu_depths
"""

import os

from absl import app
from absl import flags
from absl import logging

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


from experiments import common
from keras_initstudy import deep_relu as deep_relu_lib  # noqa: E402
from keras_initstudy import initializers  # noqa: E402
from keras_initstudy import records  # noqa: E402

_MODE = flags.DEFINE_enum(
    "mode",
    "compare",
    list(deep_relu_lib.MODES),
    "compare: both inits at --depth, with loss curves and std at init; "
    "sensitivity: accuracy vs depth over --sensitivity_depths.",
)
_DEPTH = flags.DEFINE_integer(
    "depth", 30, "Hidden layers (compare mode).", lower_bound=1
)
_SENSITIVITY_DEPTHS = flags.DEFINE_list(
    "sensitivity_depths",
    ["5", "10", "20", "30"],
    "Comma-separated depths (sensitivity mode).",
)
_WIDTH = flags.DEFINE_integer(
    "width", 256, "Units per hidden layer.", lower_bound=1
)
_INIT = flags.DEFINE_list(
    "init",
    list(deep_relu_lib.DEFAULT_INITS),
    "Comma-separated initializers to compare.",
)
_ITERATIONS = flags.DEFINE_integer(
    "iterations", 500, "Minibatch updates per run.", lower_bound=1
)
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", 100, "Examples per minibatch.", lower_bound=1
)
_LEARNING_RATE = flags.DEFINE_float(
    "learning_rate",
    0.005,
    "Learning rate of SGD with momentum 0.9.",
    lower_bound=0.0,
)
_SEED = flags.DEFINE_integer(
    "seed", 0, "Seeds the initializers and the minibatch order."
)
_DATA_DIR = flags.DEFINE_string(
    "data_dir", None, "Folder with the MNIST IDX files (default: search)."
)
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", "runs/deep_relu", "Where metrics.json and figures go."
)


@flags.validator("sensitivity_depths", "must be positive integers")
def _check_depths(value):
    return bool(value) and common.positive_ints(value)


@flags.validator("init", "must be registered initializer names")
def _check_init(value):
    return bool(value) and all(v in initializers.REGISTRY for v in value)


def config_from_flags():
    return deep_relu_lib.DeepReluConfig(
        mode=_MODE.value,
        depth=_DEPTH.value,
        sensitivity_depths=tuple(int(d) for d in _SENSITIVITY_DEPTHS.value),
        width=_WIDTH.value,
        inits=tuple(_INIT.value),
        iterations=_ITERATIONS.value,
        batch_size=_BATCH_SIZE.value,
        learning_rate=_LEARNING_RATE.value,
        seed=_SEED.value,
        data_dir=_DATA_DIR.value,
    )


def main(argv):
    del argv
    with common.usage_errors():
        config = config_from_flags()
        output_dir = records.prepare_output_dir(_OUTPUT_DIR.value)
        metrics = deep_relu_lib.run(config)
    for r in metrics["runs"]:
        logging.info(
            "depth %2d %-13s test accuracy %.4f, final loss %.4f, "
            "std step at init %.3f, status %s",
            r["depth"],
            r["init"],
            r["test_accuracy"],
            r["final_train_loss"],
            r["init_std_step"],
            r["status"],
        )
    for path in deep_relu_lib.write_figures(metrics, output_dir):
        logging.info("wrote %s", path)
    logging.info("wrote %s", records.write_metrics(output_dir, metrics))


if __name__ == "__main__":
    app.run(main)
