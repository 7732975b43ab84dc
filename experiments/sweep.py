r"""Every registered initializer x {relu, tanh, sigmoid} on MNIST, one budget.

The article's comparison in one table: each initializer of the registry
(`keras_initstudy.initializers.names()`, read at run time, so initializers
added later join the sweep) trains the same MLP with each activation for
the same number of iterations. Zeros and constants stay at (or near) the
class prior, 11.35% on MNIST; small random, Xavier and He train.

An initializer that needs an argument gets the one in
`keras_initstudy.study.kinds.sweep.INIT_VALUES`; one
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
  python -m experiments.sweep --logdir=runs/tb && tensorboard --logdir=runs/tb
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
from keras_initstudy.study.kinds import sweep as sweep_lib  # noqa: E402

_INIT = flags.DEFINE_list(
    "init",
    [],
    "Comma-separated initializers to sweep (default: every registered one).",
)
flags_core.validate_names("init", allow_empty=True)
_ACTIVATION = flags_core.define_activation_flag(
    models.ACTIVATIONS, multiple=True
)
_HIDDEN_UNITS = flags_core.define_hidden_units_flag()
_TRAINING = flags_core.define_training_flags(iterations=100)
_OPTIMIZER = flags_core.define_optimizer_flag()
_DATA = flags_core.define_data_flags()
_RUN = flags_core.define_run_flags(output_dir="runs/sweep")
_STUDY = flags_core.define_study_flags(cache_dir="runs/cache")
flags.adopt_module_key_flags(flags_core)


def config_from_flags():
    first = _RUN.seed.value
    return sweep_lib.SweepConfig(
        inits=tuple(_INIT.value),
        activations=tuple(_ACTIVATION.value),
        hidden_units=tuple(int(u) for u in _HIDDEN_UNITS.value),
        **_TRAINING.values(),
        optimizer=_OPTIMIZER.value,
        seeds=tuple(range(first, first + _STUDY.seeds.value)),
        **_DATA.values(),
    )


def log_table(metrics):
    """Logs the sweep as a table, one line per init and activation."""
    logging.info("\n%s", sweep_lib.table(metrics))


@common.one_line_errors
def main(argv):
    del argv
    config = config_from_flags()
    outputs = common.prepare_outputs(_RUN, summaries="")
    metrics = sweep_lib.run(
        config,
        cache_dir=_STUDY.cache_dir.value,
        engine=flags_core.make_engine(_STUDY, outputs.logdir),
        rerun=_STUDY.rerun.value,
        progress=common.StudyProgress(),
    )
    common.finish(
        outputs, metrics, log=log_table, figures=sweep_lib.write_figures
    )


if __name__ == "__main__":
    app.run(main)
