r"""Signals layer by layer in a deep MLP: random vs Xavier vs He at init.

Reproduces the experiment of Glorot & Bengio (2010) and of the CS231n notes
("Setting up the data and the model", the 10-layer tanh demo): one batch
goes through a deep MLP (default 10 hidden layers of 500 units) and, layer
by layer, we record the activations' mean, std and histogram, the std of
the loss gradients with respect to the activations and to the weights,
the saturated share (tanh, sigmoid) and the dead ReLUs, plus a verdict
(see `keras_initstudy.diagnostics.signals.verdict`):

- small random N(0, 0.01²): the signal vanishes (tanh, relu, sigmoid);
- large random N(0, 1): tanh and sigmoid saturate, relu explodes;
- Xavier keeps tanh stable, He keeps relu stable.

No training happens: this is the network at initialization.

Usage:
  python -m experiments.depth
  python -m experiments.depth --inputs=gaussian --activation=tanh \
      --init=small_random --output_dir=runs/depth_cs231n
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
from keras_initstudy.study import models  # noqa: E402
from keras_initstudy.study.kinds import depth as depth_lib  # noqa: E402

_DEPTH = flags.DEFINE_integer(
    "depth", 10, "Number of hidden layers.", lower_bound=1
)
_WIDTH = flags.DEFINE_integer(
    "width", 500, "Units per hidden layer.", lower_bound=1
)
_ACTIVATION = flags_core.define_activation_flag(
    models.ACTIVATIONS, multiple=True
)
_INIT = flags.DEFINE_list(
    "init",
    list(depth_lib.DEFAULT_INITS),
    "Comma-separated kernel initializers to try (registry names).",
)
flags_core.validate_names("init")
_INPUTS = flags.DEFINE_enum(
    "inputs",
    "mnist",
    list(depth_lib.INPUTS),
    "mnist: a random batch of real training images of --dataset (784 "
    "inputs in [0, 1]); gaussian: N(0, 1) inputs of dimension --width with "
    "random labels, the CS231n demo (--dataset is not read).",
)
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", 1000, "Examples in the batch.", lower_bound=1
)
_DATA = flags_core.define_data_flags()
_RUN = flags_core.define_run_flags(output_dir="runs/depth")
flags.adopt_module_key_flags(flags_core)


def config_from_flags():
    return depth_lib.DepthConfig(
        depth=_DEPTH.value,
        width=_WIDTH.value,
        activations=tuple(_ACTIVATION.value),
        inits=tuple(_INIT.value),
        inputs=_INPUTS.value,
        batch_size=_BATCH_SIZE.value,
        seed=_RUN.seed.value,
        **_DATA.values(),
    )


def log_metrics(metrics):
    """Logs each run's verdict and std by layer, one line a run."""
    for r in metrics["runs"]:
        logging.info(
            "%-7s %-13s %-9s layer std: %s",
            r["activation"],
            r["init"],
            r["verdict"],
            " ".join(f"{s:.3g}" for s in r["std"]),
        )


@common.one_line_errors
def main(argv):
    del argv
    config = config_from_flags()
    outputs = common.prepare_outputs(_RUN)
    metrics = depth_lib.run(config)
    common.finish(
        outputs, metrics, log=log_metrics, figures=depth_lib.write_figures
    )


if __name__ == "__main__":
    app.run(main)
