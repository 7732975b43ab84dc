r"""The article's figure, computed: two hidden units that never tell apart.

The network of the figure: inputs x0 = 1 (bias), x1, x2, x3; two hidden units
z_j = sum_i w(1)_ji x_i, a_j = g(z_j) (j = 1, 2), a0 = 1; one output
y = g(w(2)_0 a0 + w(2)_1 a1 + w(2)_2 a2). The article names the output
weights w20, w21, w22; they print here as w(2)_0, w(2)_1, w(2)_2 so they do
not clash with the hidden weights w(1)_20..w(1)_23 of unit 2.

For each initialization the binary prints, for every gradient step, the
forward values (with all weights equal: z1 = z2 and a1 = a2), the gradient
Δw of every weight (equal for w(2)_1 and w(2)_2; the rows of unit 1 and unit
2 equal) and the weights after the step (still equal), computed with
tf.GradientTape on the squared error (y - t)² / 2 of one example. Zeros and
any shared constant keep the two hidden units identical to the last bit at
every step; random init makes them differ from the start.

The numbers come from `keras_initstudy.study.kinds.toy.run(config)`; this
binary prints
them and writes metrics.json.

Usage:
  python -m experiments.toy
  python -m experiments.toy --inits=constant --init_value=0.3 --steps=5
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
from keras_initstudy.study import models  # noqa: E402
from keras_initstudy.study.kinds import toy  # noqa: E402

_INITS = flags.DEFINE_list(
    "inits",
    ["zeros", "constant", "random_normal"],
    "Initializations to run, each a registry name.",
)
flags_core.validate_names("inits")
_INIT_VALUE = flags.DEFINE_float(
    "init_value", 0.3, "Fill value of the constant initializer."
)
_ACTIVATION = flags.DEFINE_enum(
    "activation", "sigmoid", list(models.ACTIVATIONS), "g, for both layers."
)
_STEPS = flags.DEFINE_integer("steps", 3, "Gradient steps.", lower_bound=1)
_LEARNING_RATE = flags.DEFINE_float(
    "learning_rate", 1.0, "Gradient descent step size.", lower_bound=0.0
)
_INPUTS = flags.DEFINE_list(
    "x", ["0.5", "-1.0", "2.0"], "The example's inputs x1, x2, x3."
)
_TARGET = flags.DEFINE_float("target", 1.0, "The example's target t.")


@flags.validator("x", "must be three numbers x1,x2,x3")
def _check_inputs(values):
    try:
        return len([float(v) for v in values]) == 3
    except ValueError:
        return False


# The toy net reads no dataset (one example, --x) and draws no figure.
_RUN = flags_core.define_run_flags(output_dir="runs/toy", figure=False)
flags.adopt_module_key_flags(flags_core)


def _fmt(values):
    return ", ".join(f"{v:.9g}" for v in values)


def log_case(case):
    """Prints one run in the article's notation."""
    logging.info("=== init: %s ===", case["init"])
    for j, row in enumerate(case["weights_init"]["hidden"], start=1):
        logging.info("init  w(1)_%d0..w(1)_%d3 = %s", j, j, _fmt(row))
    logging.info(
        "init  w(2)_0, w(2)_1, w(2)_2 = %s",
        _fmt(case["weights_init"]["output"]),
    )
    for s in case["steps"]:
        f = s["forward"]
        logging.info(
            "step %d forward: z1 = %.9g, z2 = %.9g, a1 = %.9g, a2 = %.9g, "
            "y = %.9g, loss = %.9g",
            s["step"],
            f["z1"],
            f["z2"],
            f["a1"],
            f["a2"],
            f["y"],
            f["loss"],
        )
        for j, row in enumerate(s["gradients"]["hidden"], start=1):
            logging.info(
                "step %d  Δw(1)_%d0..Δw(1)_%d3 = %s", s["step"], j, j, _fmt(row)
            )
        logging.info(
            "step %d  Δw(2)_0, Δw(2)_1, Δw(2)_2 = %s",
            s["step"],
            _fmt(s["gradients"]["output"]),
        )
        for j, row in enumerate(s["weights_after"]["hidden"], start=1):
            logging.info(
                "step %d  after: w(1)_%d0..w(1)_%d3 = %s",
                s["step"],
                j,
                j,
                _fmt(row),
            )
        logging.info(
            "step %d  after: w(2)_0, w(2)_1, w(2)_2 = %s",
            s["step"],
            _fmt(s["weights_after"]["output"]),
        )
    logging.info(
        "%s: hidden units 1 and 2 identical (gradients and weights, every "
        "bit) at every step: %s",
        case["init"],
        case["units_identical_every_step"],
    )


def log_cases(metrics):
    """Logs every initialization's run in the article's notation."""
    for case in metrics["runs"].values():
        log_case(case)


@common.one_line_errors
def main(argv):
    del argv
    config = toy.ToyConfig(
        inits=tuple(_INITS.value),
        init_value=_INIT_VALUE.value,
        activation=_ACTIVATION.value,
        steps=_STEPS.value,
        learning_rate=_LEARNING_RATE.value,
        x=tuple(float(v) for v in _INPUTS.value),
        target=_TARGET.value,
        seed=_RUN.seed.value,
    )
    outputs = common.prepare_outputs(_RUN)
    keras.utils.set_random_seed(config.seed)
    metrics = toy.run(config)
    common.finish(outputs, metrics, log=log_cases)


if __name__ == "__main__":
    app.run(main)
