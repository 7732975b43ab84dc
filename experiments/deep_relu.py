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

import gc
import os

if __name__ == "__main__":
    gc.disable()  # Until main starts: see common.one_line_errors.

from absl import app
from absl import flags
from absl import logging

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


from experiments import common  # noqa: E402
from experiments import flags_core  # noqa: E402
from keras_initstudy.study.kinds import deep_relu as deep_relu_lib  # noqa: E402

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
flags_core.validate_names("init")
flags_core.validate_positive_ints("sensitivity_depths")
_TRAINING = flags_core.define_training_flags(
    iterations=500, learning_rate=0.005
)
_DATA = flags_core.define_data_flags()
_RUN = flags_core.define_run_flags(output_dir="runs/deep_relu")
flags.adopt_module_key_flags(flags_core)


def config_from_flags():
    return deep_relu_lib.DeepReluConfig(
        mode=_MODE.value,
        depth=_DEPTH.value,
        sensitivity_depths=tuple(int(d) for d in _SENSITIVITY_DEPTHS.value),
        width=_WIDTH.value,
        inits=tuple(_INIT.value),
        **_TRAINING.values(),
        seed=_RUN.seed.value,
        **_DATA.values(),
    )


def log_metrics(metrics):
    """Logs each run's accuracy, loss and std step, one line a run."""
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


@common.one_line_errors
def main(argv):
    del argv
    config = config_from_flags()
    outputs = common.prepare_outputs(_RUN)
    metrics = deep_relu_lib.run(config)
    common.finish(
        outputs, metrics, log=log_metrics, figures=deep_relu_lib.write_figures
    )


if __name__ == "__main__":
    app.run(main)
