r"""Part 3: how deep can a network be, given its init? The phase diagram.

Trains a grid of MLPs on MNIST, sigma_w2 x depth, with weights N(0,
sigma_w2 / fan_in) and biases N(0, sigma_b2), for a fixed budget of SGD
steps, and draws the training accuracy as a heatmap with mean-field
theory's curves on top: the critical line chi1 = 1, xi_c and 6 xi_c
(Schoenholz et al. 2017, "Deep Information Propagation", Fig. 5/6). The
constant k in "trainable iff depth <= k xi_c" is fitted on each side of the
critical line, and the share of cells the rule gets right is printed.

Every cell x seed is one run of the study runner: cached by its full config
in --cache_dir, so a second call (or the report) reruns nothing; run them
on local workers (--workers) or as Ray Tune trials (--engine=ray). The
default grid (tanh: 13 sigma_w2 x 8 depths to 100; ReLU around He) suits
one machine; --scale=paper is Schoenholz et al.'s scale (width 300, depths
to 320, sigma_w2 step 0.1, 3 seeds), a job for a cluster (BUILD.md).

Usage:
  python -m experiments.trainability --workers=2
  python -m experiments.trainability --activation=tanh --depths=4,16,64
  python -m experiments.trainability --scale=paper --engine=ray \
      --ray_address=HEAD:6379
"""

import dataclasses
import os

from absl import app
from absl import flags
from absl import logging

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from experiments import common  # noqa: E402
from experiments import flags_core  # noqa: E402
from keras_initstudy.study import plots  # noqa: E402
from keras_initstudy.study.kinds import phase_diagram  # noqa: E402

_ACTIVATION = flags.DEFINE_list(
    "activation", ["tanh", "relu"], "Grids to run: tanh and/or relu."
)
flags_core.validate_names("activation", ("tanh", "relu"))
_SCALE = flags.DEFINE_enum(
    "scale",
    "default",
    ["default", "paper"],
    "default: a grid one machine runs in minutes; paper: width 300, depths "
    "to 320, sigma_w2 in steps of 0.1, 3 seeds unless --seeds says (for "
    "--engine=ray on a cluster).",
)
_SIGMA_W2 = flags.DEFINE_list(
    "sigma_w2", [], "Weight variances x fan-in (default: the scale's grid)."
)
_DEPTHS = flags.DEFINE_list(
    "depths", [], "Hidden layer counts (default: the scale's grid)."
)
_SIGMA_B2 = flags.DEFINE_float("sigma_b2", 0.05, "Bias variance.")
_WIDTH = flags.DEFINE_integer(
    "width",
    None,
    "Units per hidden layer (default: the scale's).",
    lower_bound=1,
)
_TRAINING = flags_core.define_training_flags(
    iterations=200, batch_size=128, learning_rate=0.002
)
_DATA = flags_core.define_data_flags()
_RUN = flags_core.define_run_flags(output_dir="runs/trainability")
_STUDY = flags_core.define_study_flags(cache_dir="runs/cache")
flags.adopt_module_key_flags(flags_core)


def _numbers(values, kind, name):
    try:
        return tuple(kind(v) for v in values)
    except ValueError:
        raise ValueError(
            f"--{name} must be a comma-separated list of numbers. "
            f"Received: {','.join(values)}"
        ) from None


def grids_from_flags():
    first = _RUN.seed.value
    count = _STUDY.seeds.value
    if _SCALE.value == "paper" and not flags.FLAGS["seeds"].present:
        count = phase_diagram.PAPER_SEEDS
    seeds = tuple(range(first, first + count))
    if _SCALE.value == "paper":
        base = phase_diagram.paper_grids(seeds)
    else:
        base = phase_diagram.default_grids(seeds)
    overrides = {
        "sigma_b2": _SIGMA_B2.value,
        **_TRAINING.values(),
        **_DATA.values(),
    }
    if _SIGMA_W2.value:
        overrides["sigma_w2"] = _numbers(_SIGMA_W2.value, float, "sigma_w2")
    if _DEPTHS.value:
        overrides["depths"] = _numbers(_DEPTHS.value, int, "depths")
    if _WIDTH.value:
        overrides["width"] = _WIDTH.value
    return [
        dataclasses.replace(grid, **overrides)
        for grid in base
        if grid.activation in _ACTIVATION.value
    ]


def log_tables(metrics):
    for summary in metrics["grids"].values():
        logging.info("\n%s", phase_diagram.table(summary))


def write_figures(metrics, output_dir):
    paths = []
    for activation, summary in metrics["grids"].items():
        path = os.path.join(output_dir, f"phase_diagram_{activation}.png")
        paths.append(plots.phase_diagram(summary, path))
    return paths


@common.one_line_errors
def main(argv):
    del argv
    grids = grids_from_flags()
    outputs = common.prepare_outputs(_RUN, summaries="")
    engine = flags_core.make_engine(_STUDY, outputs.logdir)
    metrics = {
        "config": {
            "scale": _SCALE.value,
            "activations": [grid.activation for grid in grids],
            **_DATA.values(),
        },
        "grids": {},
    }
    for grid in grids:
        found = phase_diagram.run(
            grid,
            cache_dir=_STUDY.cache_dir.value,
            engine=engine,
            rerun=_STUDY.rerun.value,
            progress=common.StudyProgress(),
        )
        metrics["grids"][grid.activation] = phase_diagram.summarize(grid, found)
    common.finish(outputs, metrics, log=log_tables, figures=write_figures)


if __name__ == "__main__":
    app.run(main)
