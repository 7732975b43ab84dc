r"""Part 3 at initialization: mean-field theory against a measured batch.

Builds a deep Dense MLP with weights N(0, sigma_w2 / fan_in) and biases
N(0, sigma_b2), feeds it one batch of real MNIST images (or N(0, 1)
inputs) and prints, per layer, the measured pre-activation second moment
q^l and the backward gradient ratio beside the theory's prediction for the
same batch (the q^l iterates and chi1; Poole et al. 2016, Schoenholz et
al. 2017). No training.

Usage:
  python -m experiments.propagation --activation=tanh --sigma_w2=1.76
  python -m experiments.propagation --activation=relu --sigma_w2=2.5 \
      --inputs=gaussian
"""

import os

from absl import app
from absl import flags
from absl import logging

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from experiments import common  # noqa: E402
from experiments import flags_core  # noqa: E402
from keras_initstudy import theory  # noqa: E402
from keras_initstudy.study import plots  # noqa: E402
from keras_initstudy.study import runner  # noqa: E402
from keras_initstudy.study.kinds import propagation  # noqa: E402

_DEFAULTS = propagation.PropagationConfig()
_ACTIVATION = flags.DEFINE_enum(
    "activation",
    _DEFAULTS.activation,
    list(theory.ACTIVATIONS),
    "Hidden activation.",
)
_SIGMA_W2 = flags.DEFINE_float(
    "sigma_w2", _DEFAULTS.sigma_w2, "Weight variance times fan-in."
)
_SIGMA_B2 = flags.DEFINE_float("sigma_b2", _DEFAULTS.sigma_b2, "Bias variance.")
_DEPTH = flags.DEFINE_integer(
    "depth", _DEFAULTS.depth, "Dense layers.", lower_bound=2
)
_WIDTH = flags.DEFINE_integer(
    "width", _DEFAULTS.width, "Units per layer.", lower_bound=1
)
_INPUTS = flags.DEFINE_enum(
    "inputs",
    _DEFAULTS.inputs,
    list(propagation.INPUTS),
    "mnist: the first --batch_size training images of --dataset; gaussian: "
    "N(0, 1) vectors of the images' size.",
)
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", _DEFAULTS.batch_size, "Examples in the batch.", lower_bound=1
)
_DATA = flags_core.define_data_flags()
_RUN = flags_core.define_run_flags(output_dir="runs/propagation")
flags.adopt_module_key_flags(flags_core)


def config_from_flags():
    return propagation.PropagationConfig(
        activation=_ACTIVATION.value,
        sigma_w2=_SIGMA_W2.value,
        sigma_b2=_SIGMA_B2.value,
        depth=_DEPTH.value,
        width=_WIDTH.value,
        inputs=_INPUTS.value,
        batch_size=_BATCH_SIZE.value,
        seed=_RUN.seed.value,
        **_DATA.values(),
    )


def table(record):
    """Measured beside predicted, per layer."""
    measured, predicted = record["measured"], record["predicted"]
    lines = [
        f"phase {record['phase']}, chi1 {record['chi1']:.4g}; layer: q "
        "measured / theory, gradient ratio measured / theory"
    ]
    for i, (q, q_theory) in enumerate(
        zip(measured["q"], predicted["q"], strict=True)
    ):
        line = f"{i + 1:>3d}  {q:10.4g} {q_theory:10.4g}"
        if i < len(measured["grad_ratio"]):
            line += (
                f"  {measured['grad_ratio'][i]:8.4g} "
                f"{predicted['grad_ratio'][i]:8.4g}"
            )
        lines.append(line)
    return "\n".join(lines)


def write_figures(record, output_dir):
    path = os.path.join(output_dir, "propagation.png")
    return [plots.signal_propagation([record], path)]


@common.one_line_errors
def main(argv):
    del argv
    config = config_from_flags()
    outputs = common.prepare_outputs(_RUN)
    record = runner.execute(runner.Task("propagation", config))
    common.finish(
        outputs,
        record,
        log=lambda r: logging.info("\n%s", table(r)),
        figures=write_figures,
    )


if __name__ == "__main__":
    app.run(main)
