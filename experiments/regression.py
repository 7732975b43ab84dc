r"""Zero init is fine for linear and logistic regression.

Three models with no hidden layer, each trained from all-zero weights and
from random weights:

- linear regression in the article's TensorFlow form (`W` of shape [1, 3],
  scalar `b`, `y = W x + b`) on seeded synthetic data with known weights plus
  noise, by full-batch gradient descent; compared with the closed-form
  least-squares solution;
- softmax regression on MNIST (784 -> 10, the classic TensorFlow beginners'
  model);
- binary logistic regression on MNIST digits 0 vs 1.

Why zero is fine here: the loss is convex in the weights, so gradient
descent reaches the same minimum from any start; and every weight
multiplies a different input, so dL/dw_i = mean(error * x_i) differs from
weight to weight from the very first step. Symmetry needs two units that
compute the same function of the same inputs, i.e. a hidden layer, and
these models have none.

The work is `keras_initstudy.study.kinds.regression.run(config)`; this binary
is flags,
logging and files.

Usage:
  python -m experiments.regression
  python -m experiments.regression --output_dir=runs/regression
"""

import gc
import os

if __name__ == "__main__":
    gc.disable()  # Until main starts: see common.one_line_errors.

from absl import app
from absl import flags
from absl import logging

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from experiments import common  # noqa: E402
from experiments import flags_core  # noqa: E402
from keras_initstudy import initializers  # noqa: E402
from keras_initstudy.study import plots  # noqa: E402
from keras_initstudy.study.kinds import regression  # noqa: E402

_RANDOM_INIT = flags.DEFINE_enum(
    "random_init",
    "random_normal",
    initializers.names(),
    "The random initialization compared with zeros (MNIST models).",
)
_LINEAR_STEPS = flags.DEFINE_integer(
    "linear_steps", 500, "Gradient steps, linear regression.", lower_bound=1
)
_TRAINING = flags_core.define_training_flags(iterations=1000, learning_rate=0.5)
_DATA = flags_core.define_data_flags()
_RUN = flags_core.define_run_flags(output_dir="runs/regression")
flags.adopt_module_key_flags(flags_core)


def log_metrics(metrics):
    linear = metrics["linear"]
    closed = linear["closed_form"]
    logging.info(
        "linear regression, closed form: w = %s, b = %.6f, loss %.6f",
        np.round(closed["w"], 6).tolist(),
        closed["b"],
        closed["loss"],
    )
    for key in ("zeros", "random"):
        fit = linear[key]
        logging.info(
            "linear regression from %s: w = %s, b = %.6f, loss %.6f; max "
            "|w - closed form| = %.2e",
            fit["init"],
            np.round(fit["w"], 6).tolist(),
            fit["b"],
            fit["loss"][-1],
            fit["max_abs_weight_diff"],
        )
    for name in ("softmax", "binary"):
        for key in ("zeros", "random"):
            logging.info(
                "%s regression from %s: test accuracy %.2f%%",
                name,
                metrics[name][key]["init"],
                100 * metrics[name][key]["test_accuracy"],
            )
    logging.info(
        "softmax regression: zeros and random differ by %.2f points",
        metrics["softmax"]["accuracy_gap_points"],
    )


def write_figures(metrics, output_dir):
    """Softmax regression's loss curves from zeros and random, loss.png."""
    softmax = metrics["softmax"]
    dataset = metrics["config"]["dataset"]
    return [
        plots.loss_curves(
            [softmax["zeros"], softmax["random"]],
            os.path.join(output_dir, "loss.png"),
            labels=[
                "softmax regression, zeros",
                f"softmax regression, {softmax['random']['init']}",
            ],
            title="Softmax regression on "
            f"{plots.dataset_label(dataset)}: zero init is fine",
        )
    ]


@common.one_line_errors
def main(argv):
    del argv
    config = regression.RegressionConfig(
        linear_steps=_LINEAR_STEPS.value,
        random_init=_RANDOM_INIT.value,
        **_TRAINING.values(),
        seed=_RUN.seed.value,
        **_DATA.values(),
    )
    outputs = common.prepare_outputs(_RUN)
    metrics = regression.run(config)
    common.finish(outputs, metrics, log=log_metrics, figures=write_figures)


if __name__ == "__main__":
    app.run(main)
