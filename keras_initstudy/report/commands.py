"""The shell command that reruns one task of the report with its binary.

Every measurement names one (`measure.measurement`), so a reader can rerun
any seed of any published number.
"""

import dataclasses

from keras_initstudy.study import runner

# Per kind: the binary and, per config field, its flag (None: the binary
# has no flag for it, so the plan must leave it at its default).
_BINARIES = {
    "classifier": (
        "experiments.mnist",
        {
            "symmetry_every": None,
            "data_dir": None,
        },
    ),
    "toy": ("experiments.toy", {}),
    "regression": (
        "experiments.regression",
        {
            "true_w": None,
            "true_b": None,
            "num_examples": None,
            "noise": None,
            "linear_random_init": None,
            "batch_size": None,
            "binary_classes": None,
            "data_dir": None,
        },
    ),
    "depth": (
        "experiments.depth",
        {"activations": "activation", "inits": "init", "data_dir": None},
    ),
    "deep_relu": (
        "experiments.deep_relu",
        {
            "inits": "init",
            "eval_every": None,
            "eval_size": None,
            "probe_size": None,
            "data_dir": None,
        },
    ),
    "propagation": ("experiments.propagation", {"data_dir": None}),
    "trainability": (
        "experiments.trainability",
        {"depth": "depths", "optimizer": None, "data_dir": None},
    ),
}
# Fields that never change a recorded number (how often the symmetry block
# is sampled) and need no flag to reproduce one.
_NOT_IN_COMMAND = {("classifier", "symmetry_every")}
# Fields named in every command even at their default, so a reader sees
# which configuration a command reruns.
_ALWAYS_IN_COMMAND = {
    ("classifier", "init"),
    ("classifier", "activation"),
    ("depth", "activations"),
    ("depth", "inits"),
    ("deep_relu", "inits"),
    ("toy", "inits"),
    ("propagation", "activation"),
    ("propagation", "sigma_w2"),
    ("trainability", "activation"),
    ("trainability", "sigma_w2"),
    ("trainability", "depth"),
}


def _flag_value(value):
    if isinstance(value, (tuple, list)):
        return ",".join(_flag_value(v) for v in value)
    return str(value)


# Kinds whose runs only the report runs: the command reruns their section.
SECTION_COMMANDS = {
    "zoo": "python -m experiments.report --sections=doctor_zoo",
}


def command(task):
    """A shell command that reruns `task` (one seed) with its binary.

    Flags are given for the seed, the initializer and activation, and for
    every other field that differs from the binary's default (the config
    dataclass's default, which the binaries share).

    Examples:

    >>> from keras_initstudy.study.kinds import classifier
    >>> command(runner.Task("classifier", classifier.ClassifierConfig(seed=3)))
    'python -m experiments.mnist --init=zeros --activation=relu --seed=3'

    Args:
        task: a `runner.Task` of the report's plan.

    Returns:
        The command, flags in the config's field order.

    Raises:
        ValueError: a field differs from its default but the binary has no
            flag for it (the plan asked for a run no binary can repeat).
    """
    if task.kind in SECTION_COMMANDS:
        return SECTION_COMMANDS[task.kind]
    module, flag_names = _BINARIES[task.kind]
    default = runner.KINDS[task.kind].config_class()
    parts = ["python", "-m", module]
    for field in dataclasses.fields(task.config):
        value = getattr(task.config, field.name)
        if (task.kind, field.name) in _NOT_IN_COMMAND:
            continue
        shown = field.name == "seed" or (task.kind, field.name) in (
            _ALWAYS_IN_COMMAND
        )
        if not shown and value == getattr(default, field.name):
            continue
        flag = flag_names.get(field.name, field.name)
        if flag is None:
            raise ValueError(
                f"{module} has no flag for {field.name}; a report task must "
                f"keep its default. Received: {field.name}={value!r}"
            )
        parts.append(f"--{flag}={_flag_value(value)}")
    return " ".join(parts)
