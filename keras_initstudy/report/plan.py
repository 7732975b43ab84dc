"""Which runs the report needs, as data: tasks per section, seeds per section.

`tasks(seeds)` lists them as `runner.Task`s grouped by section; each task is
one configuration with one seed. The sweep's tasks are the sweep's own
(`sweep.tasks`), so `python -m experiments.sweep --cache_dir=report/cache`
and the report share their runs.
"""

import dataclasses

from keras_initstudy import theory
from keras_initstudy.study import models
from keras_initstudy.study import runner
from keras_initstudy.study.kinds import classifier
from keras_initstudy.study.kinds import deep_relu
from keras_initstudy.study.kinds import depth
from keras_initstudy.study.kinds import phase_diagram
from keras_initstudy.study.kinds import propagation
from keras_initstudy.study.kinds import regression
from keras_initstudy.study.kinds import sweep
from keras_initstudy.study.kinds import toy
from keras_initstudy.study.kinds import zoo

# Seeds per section: the issue asks >= 5 for C3, the sweep digest and the
# 30-layer ReLU result, >= 3 for the rest.
DEFAULT_SEEDS = {
    "c3_mnist": 5,
    "sweep": 5,
    "deep_relu": 5,
    # Part 3's phase diagram: 352 trainings per seed; two seeds keep the
    # report from scratch within its time budget (BENCHMARKS.md).
    "edge_of_chaos": 2,
    # The doctor's zoo: a model stalls when it stalls on both seeds.
    "doctor_zoo": 2,
}
MIN_SEEDS = 3

# The sweep the report runs: the sweep binary's defaults (every registered
# initializer x activation, the article's budget); `plan` sets the seeds.
SWEEP = sweep.SweepConfig()

# Configurations of the symmetry-breaking finding: (label, fields).
BREAKING = (
    ("dropout_0.5", dict(init="constant", activation="sigmoid", dropout=0.5)),
    ("dropout_0.5", dict(init="constant", activation="relu", dropout=0.5)),
    ("dropout_0.5", dict(init="zeros", activation="relu", dropout=0.5)),
    (
        "bias_random_normal",
        dict(init="zeros", activation="relu", bias_init="random_normal"),
    ),
    (
        "bias_random_normal_1000_iterations",
        dict(
            init="zeros",
            activation="relu",
            bias_init="random_normal",
            iterations=1000,
        ),
    ),
    (
        "bias_random_normal_1000_iterations",
        dict(
            init="zeros",
            activation="tanh",
            bias_init="random_normal",
            iterations=1000,
        ),
    ),
    (
        "output_zeros",
        dict(init="he_normal", activation="relu", output_init="zeros"),
    ),
)
# Part 3 at initialization: per activation, sigma_w2 in the ordered phase,
# on the critical line and in the chaotic phase (sigma_b2 = 0.05).
PROPAGATION = (
    (
        "tanh",
        (1.0, theory.critical_sigma_w2(0.05, "tanh"), 3.0),
    ),
    ("relu", (1.5, 2.0, 2.5)),
)

# Zero init beside the article's run: (label, fields).
C3_VARIANTS = (
    ("hidden_128_64", dict(activation="relu", hidden_units=(128, 64))),
    ("adam", dict(activation="relu", optimizer="adam")),
    ("adam", dict(activation="sigmoid", optimizer="adam")),
)


def classifier_task(seed, init, activation="relu", **fields):
    """One MNIST classifier run; "constant" gets the sweep's fill value."""
    return runner.Task(
        "classifier",
        classifier.ClassifierConfig(
            init=init,
            activation=activation,
            seed=seed,
            init_value=sweep.INIT_VALUES.get(init)
            if "constant" in (init, fields.get("bias_init"))
            else None,
            **fields,
        ),
    )


def _each_seed(build):
    """A section's tasks for a tuple of seeds from one seed's tasks."""
    return lambda seeds: [task for seed in seeds for task in build(seed)]


def _sweep_tasks(seeds):
    found = sweep.tasks(dataclasses.replace(SWEEP, seeds=tuple(seeds)))
    # The sweep nests seeds innermost; the report lists a seed's runs
    # together, as every other section does (a stable sort keeps the
    # sweep's init and activation order within a seed).
    return sorted(found, key=lambda task: task.config.seed)


def _depth_task(seed, init, activation, **fields):
    return runner.Task(
        "depth",
        depth.DepthConfig(
            activations=(activation,), inits=(init,), seed=seed, **fields
        ),
    )


# Per section, in report order: seeds -> tasks.
_TASKS = {
    "c1_regression": _each_seed(
        lambda s: [
            runner.Task("regression", regression.RegressionConfig(seed=s))
        ]
    ),
    "toy": _each_seed(lambda s: [runner.Task("toy", toy.ToyConfig(seed=s))]),
    "c2_mnist": _each_seed(
        lambda s: [
            classifier_task(s, "constant", "relu"),
            classifier_task(s, "constant", "sigmoid"),
            classifier_task(s, "he_normal", "relu"),
        ]
    ),
    "c3_mnist": _each_seed(lambda s: [classifier_task(s, "zeros", "relu")]),
    "c3_variants": _each_seed(
        lambda s: [
            classifier_task(s, "zeros", **fields) for _, fields in C3_VARIANTS
        ]
    ),
    "sweep": _sweep_tasks,
    "depth": _each_seed(
        lambda s: [
            _depth_task(s, init, activation)
            for activation in models.ACTIVATIONS
            for init in depth.DEFAULT_INITS
        ]
    ),
    "cs231n": _each_seed(
        lambda s: [_depth_task(s, "small_random", "tanh", inputs="gaussian")]
    ),
    "symmetry_breaking": _each_seed(
        lambda s: [classifier_task(s, **fields) for _, fields in BREAKING]
    ),
    "deep_relu": _each_seed(
        lambda s: [
            runner.Task(
                "deep_relu", deep_relu.DeepReluConfig(inits=(init,), seed=s)
            )
            for init in deep_relu.DEFAULT_INITS
        ]
    ),
}
_TASKS["signal_propagation"] = _each_seed(
    lambda s: [
        runner.Task(
            "propagation",
            propagation.PropagationConfig(
                activation=activation, sigma_w2=sigma_w2, inputs=inputs, seed=s
            ),
        )
        for activation, values in PROPAGATION
        for sigma_w2 in values
        for inputs in propagation.INPUTS
    ]
)
_TASKS["edge_of_chaos"] = lambda seeds: sorted(
    (
        task
        for grid in phase_diagram.default_grids(seeds)
        for task in grid.tasks()
    ),
    key=lambda task: task.config.seed,
)
_TASKS["doctor_zoo"] = lambda seeds: [
    runner.Task("zoo", config)
    for config in sorted(zoo.configs(seeds), key=lambda c: c.seed)
]
SECTIONS = tuple(_TASKS)


def seeds_per_section(seeds=None):
    """How many seeds each section runs: `seeds` for all, or the defaults."""
    if seeds is not None:
        if seeds < 1:
            raise ValueError(f"`seeds` must be >= 1. Received: seeds={seeds}")
        return {section: seeds for section in SECTIONS}
    return {s: DEFAULT_SEEDS.get(s, MIN_SEEDS) for s in SECTIONS}


def tasks(seeds=None, sections=None):
    """The report's runs, grouped by section.

    Args:
        seeds: seeds per section (an int for every section; None: 5 for
            "c3_mnist", "sweep" and "deep_relu", 3 for the rest). Seeds are
            0, 1, ..., n - 1.
        sections: the sections to plan (default: all of `SECTIONS`).

    Returns:
        `{section: [runner.Task, ...]}`, each task one configuration and one
        seed, seeds ascending.
    """
    sections = tuple(sections or SECTIONS)
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise ValueError(
            f"Unknown report section; valid: {', '.join(SECTIONS)}. "
            f"Received: sections={list(sections)}"
        )
    counts = seeds_per_section(seeds)
    return {
        section: _TASKS[section](tuple(range(counts[section])))
        for section in sections
    }
