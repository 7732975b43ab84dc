"""The flags several experiment binaries share, each defined once.

As in tensorflow/models (official/utils/flags/core.py), a binary calls the
definers it needs at import time and then adopts them as its key flags:

    _DATA = flags_core.define_data_flags()
    _RUN = flags_core.define_run_flags(output_dir="runs/mnist")
    flags.adopt_module_key_flags(flags_core)

so every binary spells, documents and validates `--dataset`, `--seed`,
`--output_dir` ... the same way, `--help` lists them with the binary's own
flags, and a flag added here appears in every binary at once. Flags whose
meaning is the binary's own stay in the binary. Each definer returns the
holders of what it defined; read `.value` only inside `main`.

Every training binary that reads a dataset calls `define_data_flags` and
every one calls `define_run_flags`; tests/flags_test.py checks that their
`--helpfull` agree. A later multi-seed flag (`--seeds`) belongs in
`define_run_flags`.

`validate_positive_ints` comes from `keras_initstudy.binaries`: the
doctor's console script (`keras_initstudy.cli`) checks `--hidden_units`
with it too, and the installed package has no experiments/.
"""

import dataclasses

from absl import flags

from keras_initstudy import initializers
from keras_initstudy.binaries import validate_positive_ints
from keras_initstudy.study import data
from keras_initstudy.study import engines
from keras_initstudy.study import models
from keras_initstudy.study import training


@dataclasses.dataclass(frozen=True)
class DataFlags:
    """Holders of `--dataset` and `--data_dir`."""

    dataset: flags.FlagHolder
    data_dir: flags.FlagHolder

    def values(self):
        """`dataset` and `data_dir` as config keyword arguments."""
        return {"dataset": self.dataset.value, "data_dir": self.data_dir.value}


@dataclasses.dataclass(frozen=True)
class RunFlags:
    """Holders of `--seed`, `--output_dir`, `--logdir` and `--figure`.

    `figure` is None for a binary that draws no figure.
    """

    seed: flags.FlagHolder
    output_dir: flags.FlagHolder
    logdir: flags.FlagHolder
    figure: flags.FlagHolder | None


@dataclasses.dataclass(frozen=True)
class TrainingFlags:
    """Holders of `--iterations`, `--batch_size` and `--learning_rate`."""

    iterations: flags.FlagHolder
    batch_size: flags.FlagHolder
    learning_rate: flags.FlagHolder

    def values(self):
        """The budget as config keyword arguments."""
        return {
            "iterations": self.iterations.value,
            "batch_size": self.batch_size.value,
            "learning_rate": self.learning_rate.value,
        }


def define_data_flags():
    """Defines `--dataset` (one of `data.NAMES`) and `--data_dir`.

    Returns:
        A `DataFlags`.
    """
    return DataFlags(
        dataset=flags.DEFINE_enum(
            "dataset", "mnist", list(data.NAMES), "Dataset to read."
        ),
        data_dir=flags.DEFINE_string(
            "data_dir",
            None,
            "Folder with the dataset's four IDX files (default: search "
            f"${data.ENV_VAR}/<dataset>, the Debian folder, then "
            "tensorflow-datasets).",
        ),
    )


def define_run_flags(output_dir, figure=True):
    """Defines `--seed`, `--output_dir`, `--logdir` and `--[no]figure`.

    Args:
        output_dir: the binary's default output folder, e.g. "runs/mnist".
        figure: whether the binary draws figures (and so takes `--figure`).

    Returns:
        A `RunFlags`.
    """
    return RunFlags(
        seed=flags.DEFINE_integer(
            "seed",
            0,
            "Seeds everything random in the run: initializers, minibatch "
            "order, sampled batches. The same seed and flags give the same "
            "record.",
        ),
        output_dir=flags.DEFINE_string(
            "output_dir",
            output_dir,
            "Folder for the run's record (metrics.json) and figures.",
        ),
        logdir=flags.DEFINE_string(
            "logdir", None, "Write TensorBoard summaries under this folder."
        ),
        figure=flags.DEFINE_bool(
            "figure",
            True,
            "Draw the figures (PNG) beside metrics.json; --nofigure skips "
            "them.",
        )
        if figure
        else None,
    )


def define_training_flags(iterations, batch_size=100, learning_rate=None):
    """Defines the training budget with the binary's defaults.

    The flags: `--iterations`, `--batch_size` and `--learning_rate` (which
    must be positive).

    Args:
        iterations: default number of minibatch updates.
        batch_size: default examples per minibatch.
        learning_rate: default learning rate; None means the optimizer's
            (`training.DEFAULT_LEARNING_RATES`).

    Returns:
        A `TrainingFlags`.
    """
    if learning_rate is None:
        defaults = ", ".join(
            f"{rate:g} for {name}"
            for name, rate in training.DEFAULT_LEARNING_RATES.items()
        )
        rate_help = f"Learning rate (default: the optimizer's, {defaults})."
    else:
        rate_help = "Learning rate."
    holders = TrainingFlags(
        iterations=flags.DEFINE_integer(
            "iterations",
            iterations,
            "Minibatch updates per run.",
            lower_bound=1,
        ),
        batch_size=flags.DEFINE_integer(
            "batch_size", batch_size, "Examples per minibatch.", lower_bound=1
        ),
        learning_rate=flags.DEFINE_float(
            "learning_rate", learning_rate, rate_help
        ),
    )
    flags.register_validator(
        "learning_rate", lambda v: v is None or v > 0, "must be positive"
    )
    return holders


def define_optimizer_flag():
    """Defines `--optimizer` (one of `training.OPTIMIZERS`, default sgd)."""
    return flags.DEFINE_enum(
        "optimizer",
        "sgd",
        list(training.OPTIMIZERS),
        "sgd, momentum (SGD with momentum 0.9) or adam.",
    )


def define_activation_flag(default="relu", multiple=False):
    """Defines `--activation`: one hidden activation, or a list of them.

    Args:
        default: a name of `models.ACTIVATIONS` (a sequence when `multiple`).
        multiple: a comma-separated list (a run per activation).

    Returns:
        The flag's holder.
    """
    if not multiple:
        return flags.DEFINE_enum(
            "activation",
            default,
            list(models.ACTIVATIONS),
            "Hidden activation.",
        )
    holder = flags.DEFINE_list(
        "activation", list(default), "Comma-separated hidden activations."
    )
    validate_names("activation", models.ACTIVATIONS)
    return holder


def define_hidden_units_flag(default=(128,)):
    """Defines `--hidden_units`, a comma-separated list of positive widths."""
    holder = flags.DEFINE_list(
        "hidden_units",
        [str(u) for u in default],
        "Comma-separated widths of the hidden layers.",
    )
    validate_positive_ints("hidden_units")
    return holder


def validate_names(flag_name, allowed=None, allow_empty=False):
    """Checks at parse time that a list flag holds only `allowed` names.

    Args:
        flag_name: a list flag.
        allowed: the valid names; None means the initializer registry.
        allow_empty: whether an empty list is valid.
    """
    allowed = tuple(allowed or initializers.names())
    flags.register_validator(
        flag_name,
        lambda values: (
            (allow_empty or bool(values)) and all(v in allowed for v in values)
        ),
        "must be a comma-separated list of "
        + ("" if allow_empty else "one or more of ")
        + ", ".join(allowed),
    )


@dataclasses.dataclass(frozen=True)
class StudyFlags:
    """Holders of `--seeds`, `--cache_dir`, `--rerun`, `--engine`,
    `--workers` and `--ray_address`: the flags of binaries that ask the
    study runner (`keras_initstudy.study`) for many runs."""

    seeds: flags.FlagHolder
    cache_dir: flags.FlagHolder
    rerun: flags.FlagHolder
    engine: flags.FlagHolder
    workers: flags.FlagHolder
    ray_address: flags.FlagHolder


def define_study_flags(cache_dir, seeds=1, seeds_help=None):
    """Defines the study runner's flags with the binary's defaults.

    Args:
        cache_dir: default record cache (None: the binary derives one).
        seeds: default number of seeds (None: the binary's own choice).
        seeds_help: help text of `--seeds` (default: seeds `--seed`,
            `--seed`+1, ...).

    Returns:
        A `StudyFlags`.
    """
    return StudyFlags(
        seeds=flags.DEFINE_integer(
            "seeds",
            seeds,
            seeds_help
            or "Runs per configuration, seeded --seed, --seed+1, ...",
            lower_bound=1,
        ),
        cache_dir=flags.DEFINE_string(
            "cache_dir",
            cache_dir,
            "The record cache, one folder per run keyed by its full config: "
            "runs found there are not run again.",
        ),
        rerun=flags.DEFINE_bool(
            "rerun", False, "Recompute every run, replacing its cached record."
        ),
        engine=flags.DEFINE_enum(
            "engine",
            "local",
            list(engines.ENGINES),
            "local: the runs on this machine (see --workers); ray: each run "
            "a Ray Tune trial (pip install 'keras_initstudy[distributed]').",
        ),
        workers=flags.DEFINE_integer(
            "workers",
            1,
            "With --engine=local: runs at once, each in a worker process of "
            "its own (1: one after another in this process). Records are the "
            "same for any count; up to the number of CPU cores is faster.",
            lower_bound=1,
        ),
        ray_address=flags.DEFINE_string(
            "ray_address",
            None,
            "With --engine=ray: the cluster to join, e.g. HEAD:6379 "
            "(default: start a local Ray instance).",
        ),
    )


def make_engine(holders, logdir=None):
    """The engine `--engine`, `--workers` and `--ray_address` ask for (call
    in `main`).

    Args:
        holders: a `StudyFlags`.
        logdir: where the runs write TensorBoard summaries (`--logdir`).
    """
    return engines.make_engine(
        holders.engine.value,
        address=holders.ray_address.value,
        logdir=logdir,
        workers=holders.workers.value,
    )
