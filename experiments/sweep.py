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

Every (init, activation, seed) is one run of the study runner: records are
cached in `--cache_dir` by their full config, so a second sweep (or the
report) reruns nothing, and an interrupted sweep resumes with the runs that
have no record. `--engine=ray` runs them as Ray Tune trials, on a local
instance or on the cluster at `--ray_address` (see BUILD.md).

Usage:
  python -m experiments.sweep
  python -m experiments.sweep --init=zeros,he_normal --activation=relu
  python -m experiments.sweep --seeds=5 --engine=ray
"""

import os
import sys

from absl import app
from absl import flags
from absl import logging

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


from experiments import common
from keras_initstudy import initializers  # noqa: E402
from keras_initstudy import models  # noqa: E402
from keras_initstudy import records  # noqa: E402
from keras_initstudy import study  # noqa: E402
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
    "seed", 0, "The first seed (initializers and the minibatch order)."
)
_SEEDS = flags.DEFINE_integer(
    "seeds", 1, "Runs per (init, activation): seeds seed, seed+1, ...", 1
)
_CACHE_DIR = flags.DEFINE_string(
    "cache_dir", "runs/cache", "The study's record cache (shared with report)."
)
_RERUN = flags.DEFINE_bool(
    "rerun", False, "Recompute every run, replacing its cached record."
)
_ENGINE = flags.DEFINE_enum(
    "engine",
    "local",
    list(study.ENGINES),
    "local: one run after another in this process; ray: Ray Tune trials.",
)
_RAY_ADDRESS = flags.DEFINE_string(
    "ray_address",
    None,
    "With --engine=ray: the cluster to join, e.g. HEAD:6379 (default: start "
    "a local Ray instance).",
)
_DATA_DIR = flags.DEFINE_string(
    "data_dir", None, "Folder with the MNIST IDX files (default: search)."
)
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", "runs/sweep", "Where metrics.json and the figures go."
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
        seeds=tuple(range(_SEED.value, _SEED.value + _SEEDS.value)),
        data_dir=_DATA_DIR.value,
    )


def _log_progress(p):
    if p.task is not None:
        c = p.task.config
        logging.info(
            "run %d/%d: %s %s seed %d",
            p.done,
            p.total,
            c.init,
            c.activation,
            c.seed,
        )


def main(argv):
    del argv
    with common.usage_errors():
        try:
            engine = study.make_engine(
                _ENGINE.value, address=_RAY_ADDRESS.value
            )
        except study.EngineUnavailableError as e:
            # A missing optional package is not a usage error: one line, no
            # usage text.
            print(f"FATAL: {e}", file=sys.stderr)
            sys.exit(2)
        config = config_from_flags()
        output_dir = records.prepare_output_dir(_OUTPUT_DIR.value)
        try:
            metrics = sweep_lib.run(
                config,
                cache_dir=_CACHE_DIR.value,
                engine=engine,
                rerun=_RERUN.value,
                progress=_log_progress,
            )
        except study.EngineError as e:
            print(f"FATAL: {e}", file=sys.stderr)
            sys.exit(1)
    logging.info("\n%s", sweep_lib.table(metrics))
    for path in sweep_lib.write_figures(metrics, output_dir):
        logging.info("wrote %s", path)
    logging.info("wrote %s", records.write_metrics(output_dir, metrics))


if __name__ == "__main__":
    app.run(main)
