"""The study as a report: every published number from a record, over seeds.

`plan(seeds)` lists the runs the report needs as `runner.Task`s, grouped by
section ("c1_regression", "toy", "c2_mnist", "c3_mnist", "c3_variants",
"sweep", "depth", "cs231n", "symmetry_breaking", "deep_relu"); each task is
one configuration with one seed. `runner.Study` turns them into records
(cached, so a second report reruns nothing). `results(groups)` reduces the
records to the claims of the article (C1-C4) and the findings beyond it,
each a list of measurements over seeds (values, mean, sd, n, min, max and a
command that reruns one seed) with a verdict computed from them.
`write_all` writes results.json, report.md, a self-contained report.html
(figures embedded) and the explorer page. `run` does all of it;
`experiments/report.py` is the binary.

The verdicts are rules over the measurements (see each `_claim_*`
function), never typed: a change in the code that changes a result changes
the verdict and the text with it.
"""

import base64
import dataclasses
import datetime
import hashlib
import math
import os
import platform
import statistics

import numpy as np

from keras_initstudy.study.kinds import deep_relu
from keras_initstudy.study.kinds import depth
from keras_initstudy.diagnostics import doctor
from keras_initstudy.report import explorer
from keras_initstudy import initializers
from keras_initstudy.study import models
from keras_initstudy.study import plots
from keras_initstudy.study import records
from keras_initstudy.study.kinds import regression
from keras_initstudy.study.kinds import classifier
from keras_initstudy.study import runner
from keras_initstudy.study.kinds import sweep
from keras_initstudy.study.kinds import toy

RESULTS_FILE = "results.json"
MARKDOWN_FILE = "report.md"
HTML_FILE = "report.html"
EXPLORER_FILE = "explorer.html"
FIGURES_DIR = "figures"

SECTIONS = (
    "c1_regression",
    "toy",
    "c2_mnist",
    "c3_mnist",
    "c3_variants",
    "sweep",
    "depth",
    "cs231n",
    "symmetry_breaking",
    "deep_relu",
)
# Seeds per section: the issue asks >= 5 for C3, the sweep digest and the
# 30-layer ReLU result, >= 3 for the rest.
DEFAULT_SEEDS = {
    "c3_mnist": 5,
    "sweep": 5,
    "deep_relu": 5,
}
MIN_SEEDS = 3

# Sweep runs record the distinct units every 5 iterations: enough for a
# per-iteration curve in the explorer at a fifth of the cost of every one.
SWEEP_SYMMETRY_EVERY = 5
# The kernel shape every sweep initializer must be able to fill (the
# article's first layer); one that cannot (a convolution-only one) is
# listed under the sweep's "skipped".
_MLP_KERNEL = (784, 128)

LN10 = math.log(10.0)
# The loss of a net stuck at the prior moves with the label mix of each
# minibatch of 100 (a few thousandths of a nat, see README); a curve that
# stays within this of ln 10 for every iteration is called flat.
FLAT_TOLERANCE = 0.02
# The article's MNIST number from zero init (quoted): 1135 / 10000.
ARTICLE_ZERO_ACCURACY = 0.1135
# A run "trains" when its test accuracy beats the prior by this much.
TRAINS_MARGIN = 0.05
# The CS231n notes' printed activation std of layers 1-4 for 10 tanh layers
# of 500 with 0.01 * N(0, 1) weights on N(0, 1) inputs (quoted, not
# measured; the comparison is their printed precision).
CS231N_LAYER_STD = (0.213, 0.048, 0.011, 0.0024)
DOCTOR_INITS = ("zeros", "small_random", "large_random", "he_normal")

REPRODUCED = "reproduced"
PARTLY = "partly"
NOT_REPRODUCED = "not reproduced"

# The README's headline table: (claim id, measurement name).
HEADLINE = (
    ("C1", "test_accuracy/zeros/softmax_regression"),
    ("C1", "test_accuracy/random_normal/softmax_regression"),
    ("C2", "max_distinct_units/zeros/relu"),
    ("C2", "max_delta_w_gap/zeros/sigmoid"),
    ("C3", "test_accuracy"),
    ("C3", "max_loss_gap_to_ln10"),
    ("zero_sigmoid", "test_accuracy/zeros/sigmoid"),
    ("C4", "forward_ratio/small_random/tanh"),
    ("C4", "saturated_share/large_random/tanh"),
    ("C4", "forward_ratio/xavier_normal/tanh"),
    ("C4", "forward_ratio/he_normal/relu"),
    ("sweep", "test_accuracy/he_normal/relu"),
    ("deep_relu", "test_accuracy/xavier_normal/relu"),
    ("deep_relu", "test_accuracy/he_normal/relu"),
)


# --- The plan ----------------------------------------------------------------


def seeds_per_section(seeds=None):
    """How many seeds each section runs: `seeds` for all, or the defaults."""
    if seeds is not None:
        if seeds < 1:
            raise ValueError(f"`seeds` must be >= 1. Received: seeds={seeds}")
        return {section: seeds for section in SECTIONS}
    return {s: DEFAULT_SEEDS.get(s, MIN_SEEDS) for s in SECTIONS}


def mlp_inits():
    """`(usable, skipped)`: registry names that can fill the MLP's kernel.

    `skipped` maps each name that cannot (e.g. `dirac`, convolutions only)
    to the first line of its error.
    """
    usable, skipped = [], {}
    for name in initializers.names():
        config = classifier.ClassifierConfig(
            init=name, init_value=sweep.INIT_VALUES.get(name)
        )
        try:
            initializers.get(config.initializer(name), seed=0)(
                _MLP_KERNEL, "float32"
            )
        except (ValueError, TypeError) as e:
            skipped[name] = str(e).splitlines()[0]
            continue
        usable.append(name)
    return tuple(usable), skipped


def _classifier(seed, init, activation="relu", **fields):
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


# Configurations of the symmetry-breaking finding: (label, fields).
_BREAKING = (
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
# Zero init beside the article's run: (label, fields).
_C3_VARIANTS = (
    ("hidden_128_64", dict(activation="relu", hidden_units=(128, 64))),
    ("adam", dict(activation="relu", optimizer="adam")),
    ("adam", dict(activation="sigmoid", optimizer="adam")),
)


def plan(seeds=None, sections=None):
    """The report's runs, grouped by section.

    Args:
        seeds: seeds per section (an int for every section; None: 5 for
            "c3_mnist", "sweep" and "deep_relu", 3 for the rest). Seeds are
            0, 1, ..., n - 1.
        sections: the sections to plan (default: all of `SECTIONS`).

    Returns:
        `{section: [runner.Task, ...]}`, each task one configuration and one
        seed.
    """
    sections = tuple(sections or SECTIONS)
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise ValueError(
            f"Unknown report section; valid: {', '.join(SECTIONS)}. "
            f"Received: sections={list(sections)}"
        )
    counts = seeds_per_section(seeds)
    builders = {
        "c1_regression": lambda s: [
            runner.Task("regression", regression.RegressionConfig(seed=s))
        ],
        "toy": lambda s: [runner.Task("toy", toy.ToyConfig(seed=s))],
        "c2_mnist": lambda s: [
            _classifier(s, "constant", "relu"),
            _classifier(s, "constant", "sigmoid"),
            _classifier(s, "he_normal", "relu"),
        ],
        "c3_mnist": lambda s: [_classifier(s, "zeros", "relu")],
        "c3_variants": lambda s: [
            _classifier(s, "zeros", **fields) for _, fields in _C3_VARIANTS
        ],
        "sweep": lambda s: [
            _classifier(
                s, init, activation, symmetry_every=SWEEP_SYMMETRY_EVERY
            )
            for init in mlp_inits()[0]
            for activation in models.ACTIVATIONS
        ],
        "depth": lambda s: [
            runner.Task(
                "depth",
                depth.DepthConfig(
                    activations=(activation,), inits=(init,), seed=s
                ),
            )
            for activation in models.ACTIVATIONS
            for init in depth.DEFAULT_INITS
        ],
        "cs231n": lambda s: [
            runner.Task(
                "depth",
                depth.DepthConfig(
                    activations=("tanh",),
                    inits=("small_random",),
                    inputs="gaussian",
                    seed=s,
                ),
            )
        ],
        "symmetry_breaking": lambda s: [
            _classifier(s, **fields) for _, fields in _BREAKING
        ],
        "deep_relu": lambda s: [
            runner.Task(
                "deep_relu", deep_relu.DeepReluConfig(inits=(init,), seed=s)
            )
            for init in deep_relu.DEFAULT_INITS
        ],
    }
    return {
        section: [
            task
            for seed in range(counts[section])
            for task in builders[section](seed)
        ]
        for section in sections
    }


# --- Commands that rerun one seed --------------------------------------------

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
}


def _flag_value(value):
    if isinstance(value, (tuple, list)):
        return ",".join(_flag_value(v) for v in value)
    return str(value)


def command(task):
    """A shell command that reruns `task` (one seed) with its binary.

    Flags are given for the seed, the initializer and activation, and for
    every other field that differs from the binary's default (the config
    dataclass's default, which the binaries share).

    Examples:

    >>> command(runner.Task("classifier", classifier.ClassifierConfig(seed=3)))
    'python -m experiments.mnist --init=zeros --activation=relu --seed=3'
    """
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


# --- Measurements ------------------------------------------------------------


def summarize(values):
    """`{mean, sd, n, min, max}` of the finite values, exact for ties.

    `statistics` computes in exact rational arithmetic, so five equal
    values give that value as the mean and an sd of exactly 0. sd is the
    sample sd (ddof=1), 0.0 for one value. Values that are None (a run that
    diverged to a non-finite number) are left out of the statistics; with
    none left every statistic is None.

    Examples:

    >>> summarize([0.1135] * 5)["sd"]
    0.0
    >>> summarize([1.0, 3.0])
    {'mean': 2.0, 'sd': 1.4142135623730951, 'n': 2, 'min': 1.0, 'max': 3.0}
    """
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return {"mean": None, "sd": None, "n": 0, "min": None, "max": None}
    return {
        "mean": float(statistics.mean(finite)),
        "sd": float(statistics.stdev(finite)) if len(finite) > 1 else 0.0,
        "n": len(finite),
        "min": min(finite),
        "max": max(finite),
    }


def measurement(name, pairs, value_fn):
    """One measurement over seeds.

    Args:
        name: "<metric>/<init>/<activation>[/<variant>]" (or just the metric
            for a claim's main number).
        pairs: `(task, record)` pairs, one per seed, seeds ascending.
        value_fn: record -> number.

    Returns:
        `{name, values, seeds, mean, sd, n, min, max, command}`; `command`
        reruns the first seed.
    """
    if not pairs:
        raise ValueError(f"No runs for measurement {name!r}.")
    values = [_number(value_fn(record)) for _, record in pairs]
    return {
        "name": name,
        "values": values,
        "seeds": [task.config.seed for task, _ in pairs],
        **summarize(values),
        "command": command(pairs[0][0]),
    }


def _number(value):
    if isinstance(value, bool):
        return float(value)
    if value is None or not math.isfinite(value):
        return None
    return value


def _select(groups, section, kind=None, **fields):
    """`(task, record)` pairs of a section whose config matches `fields`."""
    found = []
    for task, record in groups.get(section, []):
        if kind and task.kind != kind:
            continue
        if all(getattr(task.config, k) == v for k, v in fields.items()):
            found.append((task, record))
    return sorted(found, key=lambda pair: pair[0].config.seed)


def _select_config(groups, section, seed_free):
    """`(task, record)` pairs whose config equals `seed_free` but the seed."""
    return sorted(
        (
            (task, record)
            for task, record in groups.get(section, [])
            if dataclasses.replace(task.config, seed=seed_free.seed)
            == seed_free
        ),
        key=lambda pair: pair[0].config.seed,
    )


def _planned(section, fields):
    """Runs of one configuration of `_BREAKING` or `_C3_VARIANTS`."""
    return lambda groups: _select_config(
        groups, section, _classifier(0, **fields).config
    )


def find_measurement(claim, name):
    """The measurement called `name` in a claim dict."""
    for m in claim["measurements"]:
        if m["name"] == name:
            return m
    raise KeyError(f"Claim {claim['id']} has no measurement {name!r}.")


def _fmt(value, digits=4):
    """A number as the report prints it (4 significant digits)."""
    if value is None:
        return "n/a"
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.{digits}g}"


def format_stat(m):
    """A measurement as "mean ± sd (n = N, min–max)"."""
    if m["n"] == 0:
        return "n/a (n = 0)"
    text = f"{_fmt(m['mean'])} ± {_fmt(m['sd'], 2)} (n = {m['n']}"
    if m["min"] == m["max"]:
        return text + ", every value)"
    return text + f", {_fmt(m['min'])}–{_fmt(m['max'])})"


def _all(m, predicate):
    return m["n"] == len(m["values"]) and all(predicate(v) for v in m["values"])


def _verdict(checks):
    """`(verdict, why)` from `[(description, passed)]`: all, some or none."""
    failed = [text for text, ok in checks if not ok]
    if not failed:
        return REPRODUCED, None
    if len(failed) < len(checks):
        return PARTLY, "Failed checks: " + "; ".join(failed) + "."
    return NOT_REPRODUCED, "Every check failed: " + "; ".join(failed) + "."


def _claim(claim_id, title, text, measurements, checks, figures, **extra):
    verdict, why = _verdict(checks)
    return {
        "id": claim_id,
        "title": title,
        "claim": text,
        "verdict": verdict,
        "why": why,
        "checks": [{"check": t, "passed": bool(ok)} for t, ok in checks],
        "measurements": measurements,
        "figures": [f"{FIGURES_DIR}/{name}" for name in figures],
        "disagreement": extra.pop("disagreement", None),
        "tables": extra.pop("tables", []),
        **extra,
    }


# --- Record readers ----------------------------------------------------------


def _hidden_distinct(record, layer="hidden_1"):
    return record["symmetry"][layer]["distinct_units"]


def _distinct_at(record, iteration, layer="hidden_1"):
    entry = record["symmetry"][layer]
    return entry["distinct_units"][entry["iteration"].index(iteration)]


def _loss_gap(record):
    losses = [v for v in record["train_loss"] if v is not None]
    if len(losses) < len(record["train_loss"]):
        return None
    return max(abs(v - LN10) for v in losses)


def _final_loss(record):
    return record["train_loss"][-1] if record["train_loss"] else None


def _only_run(record):
    (run,) = record["runs"]
    return run


# --- Claims ------------------------------------------------------------------


def _claim_c1(groups):
    pairs = _select(groups, "c1_regression")
    if not pairs:
        return None
    seed0 = pairs[0][1]
    random_init = seed0["softmax"]["random"]["init"]
    linear_random = seed0["linear"]["random"]["init"]
    ms = [
        measurement(
            "weight_error/zeros/linear_regression",
            pairs,
            lambda r: r["linear"]["zeros"]["max_abs_weight_diff"],
        ),
        measurement(
            f"weight_error/{linear_random}/linear_regression",
            pairs,
            lambda r: r["linear"]["random"]["max_abs_weight_diff"],
        ),
        measurement(
            "final_loss/zeros/linear_regression",
            pairs,
            lambda r: r["linear"]["zeros"]["loss"][-1],
        ),
        measurement(
            "closed_form_loss/linear_regression",
            pairs,
            lambda r: r["linear"]["closed_form"]["loss"],
        ),
    ]
    gaps = {}
    for model, label in (
        ("softmax", "softmax_regression"),
        ("binary", "logistic_regression_0_vs_1"),
    ):
        for key in ("zeros", "random"):
            ms.append(
                measurement(
                    f"test_accuracy/{seed0[model][key]['init']}/{label}",
                    pairs,
                    lambda r, m=model, k=key: r[m][k]["test_accuracy"],
                )
            )
        gaps[model] = measurement(
            f"accuracy_gap_points/zeros_vs_{random_init}/{label}",
            pairs,
            lambda r, m=model: (
                100
                * abs(
                    r[m]["zeros"]["test_accuracy"]
                    - r[m]["random"]["test_accuracy"]
                )
            ),
        )
        ms.append(gaps[model])
    softmax_gap, binary_gap = gaps["softmax"], gaps["binary"]
    weight_errors = ms[:2]
    checks = [
        (
            "linear regression from zeros and from N(0, 1) lands within 1e-4 "
            "of the closed-form least-squares weights in every seed",
            all(_all(m, lambda v: v < 1e-4) for m in weight_errors),
        ),
        (
            "softmax regression from zeros scores within 1 point of random "
            "init in every seed",
            _all(softmax_gap, lambda v: v <= 1.0),
        ),
        (
            "binary logistic regression from zeros scores within 1 point of "
            "random init in every seed",
            _all(binary_gap, lambda v: v <= 1.0),
        ),
    ]
    return _claim(
        "C1",
        "Zero init is fine without a hidden layer",
        "Linear, softmax and logistic regression trained from all-zero "
        "weights reach the same solution as from random weights: their "
        "loss is convex and each weight multiplies its own input, so there "
        "is no symmetry to break.",
        ms,
        checks,
        ["c1_softmax_loss.png"],
    )


def _toy_gap(case):
    """Largest |Δw(1)_1i - Δw(1)_2i| over every step and weight."""
    return max(
        max(abs(a - b) for a, b in zip(*s["gradients"]["hidden"], strict=True))
        for s in case["steps"]
    )


def _toy_identical_share(case):
    same = [
        s["gradients"]["hidden"][0] == s["gradients"]["hidden"][1]
        and s["weights_after"]["hidden"][0] == s["weights_after"]["hidden"][1]
        for s in case["steps"]
    ]
    return sum(same) / len(same)


def _toy_number(value):
    # + 0.0 turns the -0.0 of a zero gradient times a negative input into 0.
    return f"{value + 0.0:.6g}"


def _toy_table(record):
    case = record["runs"]["zeros"]
    rows = []
    for s in case["steps"]:
        f = s["forward"]
        rows.append(
            [
                s["step"],
                f"{_toy_number(f['z1'])}, {_toy_number(f['z2'])}",
                _toy_number(f["loss"]),
                *(
                    ", ".join(_toy_number(v) for v in row)
                    for row in (
                        *s["gradients"]["hidden"],
                        s["gradients"]["output"],
                    )
                ),
            ]
        )
    config = record["config"]
    return {
        "title": (
            f"The article's toy net from zeros ({config['activation']}, "
            f"x = {config['x']}, target {config['target']}), as "
            "`python -m experiments.toy` prints it"
        ),
        "columns": [
            "step",
            "z1, z2",
            "loss",
            "Δw(1)_10..Δw(1)_13",
            "Δw(1)_20..Δw(1)_23",
            "Δw(2)_0..Δw(2)_2",
        ],
        "rows": rows,
    }


def _claim_c2(groups):
    toy_pairs = _select(groups, "toy")
    zeros = _select(groups, "c3_mnist", init="zeros", activation="relu")
    mnist = {
        act: _select(groups, "c2_mnist", init="constant", activation=act)
        for act in ("relu", "sigmoid")
    }
    he = _select(groups, "c2_mnist", init="he_normal")
    if not toy_pairs and not (zeros or he):
        return None
    ms, checks, tables, figures = [], [], [], []
    if toy_pairs:
        toy_config = toy_pairs[0][1]["config"]
        activation = toy_config["activation"]
        for init in toy_config["inits"]:
            shared = init in ("zeros", "constant")
            ident = measurement(
                f"identical_steps/{init}/{activation}",
                toy_pairs,
                lambda r, i=init: _toy_identical_share(r["runs"][i]),
            )
            gap = measurement(
                f"max_delta_w_gap/{init}/{activation}",
                toy_pairs,
                lambda r, i=init: _toy_gap(r["runs"][i]),
            )
            ms += [ident, gap]
            checks.append(
                (
                    f"toy net from {init}: the two hidden units "
                    + (
                        "are bit-identical at every step"
                        if shared
                        else "differ from the first step"
                    ),
                    _all(ident, lambda v, s=shared: v == (1.0 if s else 0.0)),
                )
            )
        tables.append(_toy_table(toy_pairs[0][1]))
    symmetric = [("zeros", "relu", zeros)] + [
        ("constant", act, pairs) for act, pairs in mnist.items()
    ]
    for init, act, pairs in symmetric:
        if not pairs:
            continue
        m = measurement(
            f"max_distinct_units/{init}/{act}",
            pairs,
            lambda r: max(_hidden_distinct(r)),
        )
        ms.append(m)
        checks.append(
            (
                f"MNIST 784-128-10 from {init} ({act}): one distinct hidden "
                "unit at every iteration in every seed",
                _all(m, lambda v: v == 1),
            )
        )
    if he:
        m = measurement(
            "min_distinct_units/he_normal/relu",
            he,
            lambda r: min(_hidden_distinct(r)),
        )
        ms.append(m)
        width = he[0][0].config.hidden_units[0]
        checks.append(
            (
                f"MNIST from he_normal: all {width} units distinct throughout",
                _all(m, lambda v: v == width),
            )
        )
    if zeros or he:
        figures.append("c2_distinct_units.png")
    return _claim(
        "C2",
        "Identical weights make identical units, forever",
        "Hidden units that start with identical weights (zeros or any "
        "shared constant) compute the same value and get the same Δw at "
        "every step, so they stay identical: the layer is one unit. Random "
        "init makes them differ from the first step.",
        ms,
        checks,
        figures,
        tables=tables,
    )


def _classifier_measurements(pairs, suffix=""):
    """The standard numbers of a set of classifier runs (one config)."""
    config = pairs[0][0].config
    tail = f"/{config.init}/{config.activation}{suffix}"
    return [
        measurement(
            "test_accuracy" + tail, pairs, lambda r: r["test_accuracy"]
        ),
        measurement("max_loss_gap_to_ln10" + tail, pairs, _loss_gap),
        measurement(
            "max_distinct_units" + tail,
            pairs,
            lambda r: max(_hidden_distinct(r)),
        ),
    ]


def _claim_c3(groups):
    pairs = _select(groups, "c3_mnist")
    if not pairs:
        return None
    ms = [
        measurement("test_accuracy", pairs, lambda r: r["test_accuracy"]),
        measurement(
            "correct_test_images",
            pairs,
            lambda r: round(r["test_accuracy"] * r["prior"]["test_size"]),
        ),
        measurement(
            "prior_accuracy", pairs, lambda r: r["prior"]["prior_accuracy"]
        ),
        measurement(
            "prior_class_test_count",
            pairs,
            lambda r: r["prior"]["prior_class_test_count"],
        ),
        measurement(
            "answers_prior_class", pairs, lambda r: r["prior"]["matches_prior"]
        ),
        measurement("max_loss_gap_to_ln10", pairs, _loss_gap),
        measurement("final_loss", pairs, _final_loss),
        measurement("test_loss", pairs, lambda r: r["test_loss"]),
        measurement("prior_loss", pairs, lambda r: r["prior"]["prior_loss"]),
        measurement(
            "max_distinct_units", pairs, lambda r: max(_hidden_distinct(r))
        ),
    ]
    variants = [("", _select(groups, "sweep", init="zeros", activation="tanh"))]
    variants += [
        (
            f"/{label}",
            _planned("c3_variants", dict(init="zeros", **fields))(groups),
        )
        for label, fields in _C3_VARIANTS
        if fields["activation"] == "relu"
    ]
    variant_ms = []
    for label, found in variants:
        if found:
            variant_ms += _classifier_measurements(found, label)[:2]
    he = _select(groups, "sweep", init="he_normal", activation="relu")
    he_ms = _classifier_measurements(he)[:2] if he else []
    ms += variant_ms + he_ms
    accuracy, prior = ms[0], ms[2]
    checks = [
        (
            f"test accuracy is the article's {ARTICLE_ZERO_ACCURACY} in every "
            "seed",
            _all(accuracy, lambda v: v == ARTICLE_ZERO_ACCURACY),
        ),
        (
            "test accuracy equals the prior's share of the test set "
            "(the most frequent training digit) in every seed",
            accuracy["values"] == prior["values"],
        ),
        (
            "the net answers the prior class for every test image",
            _all(ms[4], lambda v: v == 1.0),
        ),
        (
            f"the minibatch loss stays within {FLAT_TOLERANCE} of ln 10 at "
            "every iteration",
            _all(ms[5], lambda v: v < FLAT_TOLERANCE),
        ),
        (
            "one distinct hidden unit throughout",
            _all(ms[9], lambda v: v == 1),
        ),
    ]
    for m in variant_ms:
        if m["name"].startswith("test_accuracy"):
            checks.append(
                (
                    f"{m['name']}: at the prior too",
                    m["values"] == prior["values"][: len(m["values"])],
                )
            )
    return _claim(
        "C3",
        "MNIST from zeros: flat loss, stuck at the prior",
        "The article's network (784-128-10, relu, every weight and bias 0, "
        "SGD lr 0.1, 100 minibatches of 100) does not learn: the loss stays "
        "at ln 10 and the test accuracy is that of always answering the "
        "most frequent digit, 1135 / 10000 = 11.35 % on MNIST. The same "
        "holds with tanh, two hidden layers or Adam.",
        ms,
        checks,
        ["c3_loss.png"],
    )


def _claim_zero_sigmoid(groups):
    sgd = _select(groups, "sweep", init="zeros", activation="sigmoid")
    adam = _planned(
        "c3_variants",
        dict(init="zeros", activation="sigmoid", optimizer="adam"),
    )(groups)
    if not sgd:
        return None
    ms = _classifier_measurements(sgd)
    if adam:
        ms += _classifier_measurements(adam, "/adam")
    prior = sgd[0][1]["prior"]["prior_accuracy"]
    accuracies = [m for m in ms if m["name"].startswith("test_accuracy")]
    gaps = [m for m in ms if m["name"].startswith("max_loss_gap")]
    sgd_units = ms[2]
    checks = [
        (
            "SGD: one distinct hidden unit throughout (the symmetry part of "
            "the claim)",
            _all(sgd_units, lambda v: v == 1),
        ),
        (
            "test accuracy equals the prior in every seed",
            all(_all(m, lambda v: v == prior) for m in accuracies),
        ),
        (
            f"the loss stays within {FLAT_TOLERANCE} of ln 10",
            all(
                _all(m, lambda v: v is not None and v < FLAT_TOLERANCE)
                for m in gaps
            ),
        ),
    ]
    lo = min(m["min"] for m in accuracies)
    hi = max(m["max"] for m in accuracies)
    adam_note = ""
    if adam:
        adam_units = ms[5]
        adam_note = (
            " With Adam the units drift apart by float rounding (the kernel's "
            "columns are summed in different orders, and Adam rescales the "
            "tiny differences): up to "
            f"{_fmt(adam_units['max'])} groups at the 1e-6 tolerance, still "
            "no real features."
        )
    return _claim(
        "zero_sigmoid",
        "Zero init with sigmoid: one unit, but not the prior",
        "The article's zero-init failure with sigmoid hidden units: flat "
        "loss at the prior and identical units. g(0) = 0.5 is not 0, so the "
        "hidden activations are 0.5, the output weights get gradients and "
        "the lone hidden unit learns something.",
        ms,
        checks,
        [],
        disagreement=(
            "Only the symmetry holds with SGD (one distinct unit). The loss "
            f"moves off ln 10 and the test accuracy ranges from {_fmt(lo)} "
            f"to {_fmt(hi)} over seeds and optimizers (prior "
            f"{_fmt(prior)}), not the prior every time." + adam_note
        ),
    )


def _depth_pairs(groups, section, init, activation):
    return [
        (t, r)
        for t, r in _select(groups, section)
        if t.config.inits == (init,) and t.config.activations == (activation,)
    ]


def _majority(values):
    best = max(set(values), key=values.count)
    return best, values.count(best)


def _claim_c4(groups):
    if not groups.get("depth"):
        return None
    ms, verdicts = [], {}
    for activation in models.ACTIVATIONS:
        for init in depth.DEFAULT_INITS:
            pairs = _depth_pairs(groups, "depth", init, activation)
            if not pairs:
                continue
            tail = f"/{init}/{activation}"
            ms.append(
                measurement(
                    "forward_ratio" + tail,
                    pairs,
                    lambda r: _only_run(r)["forward_ratio"],
                )
            )
            ms.append(
                measurement(
                    "backward_ratio" + tail,
                    pairs,
                    lambda r: _only_run(r)["backward_ratio"],
                )
            )
            if activation == "relu":
                ms.append(
                    measurement(
                        "dead_share" + tail,
                        pairs,
                        lambda r: _only_run(r)["dead_fraction"][-1],
                    )
                )
            else:
                ms.append(
                    measurement(
                        "saturated_share" + tail,
                        pairs,
                        lambda r: _only_run(r)["saturated_fraction"][-1],
                    )
                )
            verdicts[(init, activation)] = [
                _only_run(r)["verdict"] for _, r in pairs
            ]

    def always(init, activation, regime):
        found = verdicts.get((init, activation))
        return bool(found) and all(v == regime for v in found)

    checks = [
        (
            "tanh, small random N(0, 0.01²): vanishing in every seed",
            always("small_random", "tanh", "vanishing"),
        ),
        (
            "tanh, large random N(0, 1): saturated in every seed",
            always("large_random", "tanh", "saturated"),
        ),
        (
            "tanh, Xavier: stable in every seed",
            always("xavier_normal", "tanh", "stable"),
        ),
        (
            "relu, He: stable in every seed",
            always("he_normal", "relu", "stable"),
        ),
    ]
    rows = []
    unstable = []
    for (init, activation), found in verdicts.items():
        regime, count = _majority(found)
        rows.append([activation, init, regime, f"{count} of {len(found)}"])
        if init in ("xavier_normal", "he_normal") and regime != "stable":
            unstable.append(f"{init} with {activation} ({regime})")
    config = groups["depth"][0][0].config
    return _claim(
        "C4",
        "Random vs Xavier vs He: signals through depth at init",
        f"Through {config.depth} layers of {config.width} units at "
        "initialization (one batch of real MNIST images): small random "
        "weights make the signal vanish, large ones saturate tanh, and "
        "Xavier (tanh) or He (relu) keep it stable.",
        ms,
        checks,
        [
            "c4_signal_std.png",
            *(f"c4_histograms_{a}.png" for a in models.ACTIVATIONS),
        ],
        tables=[
            {
                "title": "Verdict per initializer and activation "
                "(`keras_initstudy.diagnostics.signals.verdict`, most frequent over "
                "seeds)",
                "columns": ["activation", "init", "verdict", "seeds"],
                "rows": rows,
            }
        ],
        disagreement=(
            "Xavier and He are not stable everywhere: "
            + ", ".join(unstable)
            + ". Xavier ignores that relu zeroes half its input; with "
            "sigmoid every layer multiplies the gradient by at most "
            "sigmoid'(0) = 1/4, so the backward signal vanishes whatever "
            "the weight scale."
            if unstable
            else None
        ),
    )


def _significant_digits(quoted):
    """Significant digits of a printed decimal, e.g. 0.0024 -> 2."""
    return len(repr(quoted).split(".")[1].lstrip("0"))


def _round_significant(value, digits):
    return float(f"{value:.{digits}g}")


def _claim_cs231n(groups):
    pairs = _select(groups, "cs231n")
    if not pairs:
        return None
    depth_layers = pairs[0][0].config.depth
    ms = [
        measurement(
            f"layer_{k + 1}_std/small_random/tanh_gaussian_inputs",
            pairs,
            lambda r, k=k: _only_run(r)["std"][k],
        )
        for k in range(depth_layers)
    ]
    checks = [
        (
            f"layer {k + 1}: mean std rounds to the demo's {quoted}",
            _round_significant(ms[k]["mean"], _significant_digits(quoted))
            == quoted,
        )
        for k, quoted in enumerate(CS231N_LAYER_STD)
    ]
    return _claim(
        "cs231n",
        "The CS231n anchor: 10 tanh layers with 0.01·N(0, 1) weights",
        "On the demo's own inputs (1000 × 500, N(0, 1)) the activation std "
        "shrinks by about 0.01·√500 per layer, as the CS231n notes print: "
        + ", ".join(str(v) for v in CS231N_LAYER_STD)
        + " for layers 1-4.",
        ms,
        checks,
        ["cs231n_layer_std.png"],
    )


def _claim_sweep(groups):
    pairs = _select(groups, "sweep")
    if not pairs:
        return None
    inits = list(dict.fromkeys(t.config.init for t, _ in pairs))
    ms, grid = [], {}
    shared, distinct_inits = [], []
    for init in inits:
        for activation in models.ACTIVATIONS:
            found = _select(groups, "sweep", init=init, activation=activation)
            if not found:
                continue
            tail = f"/{init}/{activation}"
            acc = measurement(
                "test_accuracy" + tail, found, lambda r: r["test_accuracy"]
            )
            ms += [
                acc,
                measurement("final_loss" + tail, found, _final_loss),
                measurement(
                    "distinct_units" + tail,
                    found,
                    lambda r: r["distinct_units"][0],
                ),
            ]
            grid[(init, activation)] = acc
        at_init = [
            r["distinct_units_at_init"][0]
            for t, r in pairs
            if t.config.init == init
        ]
        (shared if max(at_init) == 1 else distinct_inits).append(init)
    prior = pairs[0][1]["prior"]["prior_accuracy"]
    config = pairs[0][0].config
    width = config.hidden_units[0]
    acc_of = {
        init: [grid[(init, a)] for a in models.ACTIVATIONS if (init, a) in grid]
        for init in inits
    }
    units_of = {
        init: [
            m
            for m in ms
            if m["name"].startswith("distinct_units/")
            and m["name"].split("/")[1] == init
        ]
        for init in inits
    }
    checks = [
        (
            "initializers that give every hidden unit the same weights ("
            + ", ".join(shared)
            + ") keep one distinct unit and stay below "
            f"{_fmt(prior + 2 * TRAINS_MARGIN)} test accuracy",
            all(
                all(_all(m, lambda v: v == 1) for m in units_of[i])
                and all(m["max"] < prior + 2 * TRAINS_MARGIN for m in acc_of[i])
                for i in shared
            ),
        ),
        (
            "every other initializer keeps all units distinct",
            all(
                all(_all(m, lambda v: v == width) for m in units_of[i])
                for i in distinct_inits
            ),
        ),
    ]
    laggards = [
        m["name"].split("/", 1)[1]
        for i in distinct_inits
        for m in acc_of[i]
        if not m["min"] > prior + TRAINS_MARGIN
    ]
    checks.append(
        (
            "every other initializer beats the prior by more than "
            f"{TRAINS_MARGIN} in every seed and activation"
            + (f" (not: {', '.join(laggards)})" if laggards else ""),
            not laggards,
        )
    )
    _, skipped = mlp_inits()
    rows = [[init, *(format_stat(m) for m in acc_of[init])] for init in inits]
    return _claim(
        "sweep",
        "Every initializer × activation, one budget",
        f"Every registered initializer that can fill a Dense kernel × "
        f"{{{', '.join(models.ACTIVATIONS)}}}, MLP 784-"
        f"{'-'.join(str(u) for u in config.hidden_units)}-10, SGD lr 0.1, "
        f"{config.iterations} minibatches of {config.batch_size}: equal "
        "weights stay one unit near the prior; every other initializer "
        "trains.",
        ms,
        checks,
        ["sweep_loss.png"],
        tables=[
            {
                "title": "Test accuracy, mean ± sd over seeds",
                "columns": ["init", *models.ACTIVATIONS],
                "rows": rows,
            }
        ],
        skipped=[{"init": k, "reason": v} for k, v in skipped.items()],
    )


def _breaking_label(fields, label):
    return f"/{fields['init']}/{fields['activation']}/{label}"


def _claim_symmetry_breaking(groups):
    if not groups.get("symmetry_breaking"):
        return None
    ms, by_label = [], {}
    for label, fields in _BREAKING:
        found = _planned("symmetry_breaking", fields)(groups)
        if not found:
            continue
        tail = _breaking_label(fields, label)
        group = [
            measurement(
                "test_accuracy" + tail, found, lambda r: r["test_accuracy"]
            ),
            measurement(
                "distinct_units_iteration_1" + tail,
                found,
                lambda r: _distinct_at(r, 1),
            ),
            measurement(
                "distinct_units_iteration_2" + tail,
                found,
                lambda r: _distinct_at(r, 2),
            ),
            measurement(
                "distinct_units" + tail, found, lambda r: r["distinct_units"][0]
            ),
        ]
        ms += group
        by_label[tail] = group
        prior = found[0][1]["prior"]["prior_accuracy"]
        width = found[0][0].config.hidden_units[0]

    def get(tail):
        return by_label.get(tail, [None] * 4)

    acc, it1, _, final = range(4)
    constant_sigmoid = get("/constant/sigmoid/dropout_0.5")
    constant_relu = get("/constant/relu/dropout_0.5")
    zeros_relu = get("/zeros/relu/dropout_0.5")
    biases = get("/zeros/relu/bias_random_normal")
    long_relu = get("/zeros/relu/bias_random_normal_1000_iterations")
    long_tanh = get("/zeros/tanh/bias_random_normal_1000_iterations")
    output = get("/he_normal/relu/output_zeros")

    def ok(m, predicate):
        return m is not None and _all(m, predicate)

    checks = [
        (
            "dropout splits constant-initialized units, but not at "
            "iteration 1 (equal output weights send no gradient back)",
            ok(constant_sigmoid[it1], lambda v: v == 1)
            and ok(constant_sigmoid[final], lambda v: v > 1)
            and ok(constant_relu[final], lambda v: v > 1),
        ),
        (
            "dropout cannot help zeros with relu: one unit throughout",
            ok(zeros_relu[final], lambda v: v == 1),
        ),
        (
            "random biases make the units distinct, but after 100 "
            "iterations the net is still at the prior",
            ok(biases[final], lambda v: v == width)
            and ok(biases[acc], lambda v: v == prior),
        ),
        (
            "given 1000 iterations, zero weights with random biases train "
            f"(relu and tanh beat the prior by more than {TRAINS_MARGIN})",
            ok(long_relu[acc], lambda v: v > prior + TRAINS_MARGIN)
            and ok(long_tanh[acc], lambda v: v > prior + TRAINS_MARGIN),
        ),
        (
            "zeros in the output layer only are harmless (the net trains)",
            ok(output[acc], lambda v: v > prior + TRAINS_MARGIN),
        ),
    ]
    return _claim(
        "symmetry_breaking",
        "What breaks the symmetry: dropout, random biases",
        "Dropout gives each unit its own mask and splits units that start "
        "equal (from the second step on); random biases make zero-weight "
        "units differ in value, slowly; neither helps zero weights with "
        "relu within the article's budget. Zeros in the output layer alone "
        "are harmless.",
        ms,
        checks,
        ["symmetry_breaking.png"],
    )


def _claim_deep_relu(groups):
    pairs = _select(groups, "deep_relu")
    if not pairs:
        return None
    ms = []
    for init in deep_relu.DEFAULT_INITS:
        found = [(t, r) for t, r in pairs if t.config.inits == (init,)]
        if not found:
            continue
        tail = f"/{init}/relu"
        ms += [
            measurement(
                "test_accuracy" + tail,
                found,
                lambda r: _only_run(r)["test_accuracy"],
            ),
            measurement(
                "final_loss" + tail,
                found,
                lambda r: _only_run(r)["final_train_loss"],
            ),
            measurement(
                "init_std_step" + tail,
                found,
                lambda r: _only_run(r)["init_std_step"],
            ),
            measurement(
                "init_last_over_first_std" + tail,
                found,
                lambda r: (
                    _only_run(r)["init_std"][-1] / _only_run(r)["init_std"][0]
                ),
            ),
        ]
    prior = pairs[0][1]["prior_accuracy"]
    names = {m["name"]: m for m in ms}
    xavier = names.get("test_accuracy/xavier_normal/relu")
    he = names.get("test_accuracy/he_normal/relu")
    checks = [
        (
            f"Xavier stays within {TRAINS_MARGIN} of the prior in every seed",
            xavier is not None
            and _all(xavier, lambda v: abs(v - prior) < TRAINS_MARGIN),
        ),
        (
            "He beats the prior by more than 0.5 in every seed",
            he is not None and _all(he, lambda v: v > prior + 0.5),
        ),
    ]
    config = pairs[0][0].config
    return _claim(
        "deep_relu",
        f"{config.depth}-layer plain ReLU: Xavier stalls, He trains",
        f"A plain ReLU MLP of {config.depth} layers of {config.width}, "
        f"SGD + momentum 0.9, lr {config.learning_rate}, "
        f"{config.iterations} minibatches of {config.batch_size}: from "
        "Xavier the activation std shrinks by ~1/√2 per layer and the net "
        "stays at the prior; from He it keeps its std and trains "
        "(He et al. 2015).",
        ms,
        checks,
        ["deep_relu_loss.png", "deep_relu_init_std.png"],
    )


def _claim_doctor(seeds):
    """The doctor on the article's MLP built from several initializers."""
    ms = []
    found_checks = {}
    for init in DOCTOR_INITS:
        counts = []
        for seed in range(seeds):
            model = models.mlp(
                (128,), "relu", kernel_initializer=init, seed=seed
            )
            # The claim counts the weights' findings; the signal paths'
            # verdicts (issue 17) are not part of what it publishes.
            findings = [
                f
                for f in doctor.examine(model).findings
                if f.check != doctor.SIGNAL_PATH
            ]
            counts.append(findings)
            found_checks.setdefault(init, set()).update(
                f"{f.check} ({f.severity}, {f.path})" for f in findings
            )
        for severity in (doctor.ERROR, doctor.WARNING):
            values = [sum(f.severity == severity for f in fs) for fs in counts]
            ms.append(
                {
                    "name": f"{severity}_findings/{init}/relu",
                    "values": values,
                    "seeds": list(range(seeds)),
                    **summarize(values),
                    "command": "python -m experiments.doctor "
                    f"--init={init} --seed=0",
                }
            )
    names = {m["name"]: m for m in ms}

    def count(severity, init):
        return names[f"{severity}_findings/{init}/relu"]

    checks = [
        (
            "zero init: an error in the hidden layer in every seed",
            _all(count(doctor.ERROR, "zeros"), lambda v: v >= 1),
        ),
        (
            "small and large random: a warning (scale) in every seed",
            _all(count(doctor.WARNING, "small_random"), lambda v: v >= 1)
            and _all(count(doctor.WARNING, "large_random"), lambda v: v >= 1),
        ),
        (
            "he_normal with relu: no error and no warning",
            _all(count(doctor.ERROR, "he_normal"), lambda v: v == 0)
            and _all(count(doctor.WARNING, "he_normal"), lambda v: v == 0),
        ),
    ]
    return _claim(
        "doctor",
        "The init doctor on the article's MLP",
        "`keras_initstudy.diagnostics.doctor.examine` flags a zero hidden kernel as an "
        "error, weights far from the variance-preserving scale as a "
        "warning, and nothing on He init with relu.",
        ms,
        checks,
        [],
        tables=[
            {
                "title": "Findings per initializer (784-128-10 relu MLP)",
                "columns": ["init", "findings"],
                "rows": [
                    [i, "; ".join(sorted(c)) or "none"]
                    for i, c in found_checks.items()
                ],
            }
        ],
    )


def environment(seeds):
    """Versions, CPU, seeds and date (left out of drift comparisons)."""
    import keras
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "seeds": seeds,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }


def results(groups, doctor_seeds=MIN_SEEDS):
    """The results.json dict from the records of `groups`.

    Args:
        groups: `{section: [(task, record), ...]}`; claims whose sections
            are missing are left out, so a partial plan gives a partial
            report.
        doctor_seeds: seeds of the doctor claim (0 leaves it out); it
            builds models but trains nothing, so it needs no cached classifier.

    Returns:
        `{"claims": [...], "environment": {...}}` (see CONTRACT: each claim
        has `id`, `title`, `claim`, `verdict`, `why`, `checks`,
        `measurements`, `figures`, `disagreement`, `tables`).
    """
    builders = (
        _claim_c1,
        _claim_c2,
        _claim_c3,
        _claim_zero_sigmoid,
        _claim_c4,
        _claim_sweep,
        _claim_symmetry_breaking,
        _claim_deep_relu,
        _claim_cs231n,
    )
    claims = [c for c in (build(groups) for build in builders) if c]
    if doctor_seeds:
        claims.append(_claim_doctor(doctor_seeds))
    seeds = {
        section: sorted({t.config.seed for t, _ in pairs})
        for section, pairs in groups.items()
    }
    if doctor_seeds:
        seeds["doctor"] = list(range(doctor_seeds))
    return records.jsonable(
        {"claims": claims, "environment": environment(seeds)}
    )


def claims_for_comparison(results_dict):
    """The part of results.json that must not drift: claims, minus paths.

    The environment (versions, CPU, date) legitimately differs between
    machines and runs, so it is never compared.
    """
    return {c["id"]: c for c in results_dict["claims"]}


# --- Figures -----------------------------------------------------------------


def _seed_label(task, extra=""):
    return f"{task.config.init}{extra}, seed {task.config.seed}"


def _mean_curve(curves):
    """Mean over seeds, per iteration, of curves that may stop early."""
    length = max(len(c) for c in curves)
    padded = np.full((len(curves), length), np.nan)
    for i, c in enumerate(curves):
        padded[i, : len(c)] = [np.nan if v is None else v for v in c]
    with np.errstate(all="ignore"):
        return np.nanmean(padded, axis=0).tolist()


def _mean_lists(lists):
    return np.mean(np.asarray(lists, dtype=np.float64), axis=0).tolist()


def _figure_c1(groups, path):
    task, record = _select(groups, "c1_regression")[0]
    softmax = record["softmax"]
    return plots.loss_curves(
        [softmax["zeros"], softmax["random"]],
        path,
        labels=[
            "softmax regression, zeros",
            f"softmax regression, {softmax['random']['init']}",
        ],
        title=f"Softmax regression on MNIST (seed {task.config.seed})",
    )


def _figure_c2(groups, path):
    chosen = [
        _select(groups, "c3_mnist")[:1],
        _select(groups, "c2_mnist", init="constant", activation="relu")[:1],
        _select(groups, "c2_mnist", init="constant", activation="sigmoid")[:1],
        _select(groups, "c2_mnist", init="he_normal")[:1],
    ]
    pairs = [p for found in chosen for p in found]
    return plots.symmetry_curves(
        [r for _, r in pairs],
        path,
        title="Distinct hidden units per iteration (seed 0)",
    )


def _figure_c3(groups, path):
    zeros = _select(groups, "c3_mnist")
    he = _select(groups, "sweep", init="he_normal", activation="relu")[:1]
    pairs = zeros + he
    return plots.loss_curves(
        [r for _, r in pairs],
        path,
        labels=[_seed_label(t, f" {t.config.activation}") for t, _ in pairs],
        title="784-128-10 relu, SGD 0.1: zeros (every seed) vs he_normal",
    )


def _depth_record(groups, seed_mean):
    """One depth record (runs of every init x activation) for plots."""
    runs_out = []
    for activation in models.ACTIVATIONS:
        for init in depth.DEFAULT_INITS:
            pairs = _depth_pairs(groups, "depth", init, activation)
            if not pairs:
                continue
            run = dict(_only_run(pairs[0][1]))
            if seed_mean:
                for key in ("std", "grad_activation_std", "grad_kernel_std"):
                    run[key] = _mean_lists(
                        [_only_run(r)[key] for _, r in pairs]
                    )
            runs_out.append(run)
    return {
        "config": {"activations": list(models.ACTIVATIONS)},
        "runs": runs_out,
    }


def _figure_c4_std(groups, path):
    return plots.signal_std_curves(
        _depth_record(groups, seed_mean=True),
        path,
        title="Std per layer at init, mean over seeds",
    )


def _figure_c4_histograms(activation):
    def draw(groups, path):
        return plots.activation_histogram_grid(
            _depth_record(groups, seed_mean=False), activation, path
        )

    return draw


def _figure_cs231n(groups, path):
    pairs = _select(groups, "cs231n")
    run = {"std": _mean_lists([_only_run(r)["std"] for _, r in pairs])}
    return plots.layer_std_curves(
        [run],
        path,
        key="std",
        labels=[f"tanh, small_random, Gaussian inputs ({len(pairs)} seeds)"],
        title="The CS231n demo: activation std per layer",
    )


def _figure_sweep(groups, path):
    rows = []
    pairs = _select(groups, "sweep")
    for init in dict.fromkeys(t.config.init for t, _ in pairs):
        for activation in models.ACTIVATIONS:
            found = _select(groups, "sweep", init=init, activation=activation)
            if found:
                rows.append(
                    {
                        "init": init,
                        "activation": activation,
                        "status": "ok",
                        "train_loss": _mean_curve(
                            [r["train_loss"] for _, r in found]
                        ),
                    }
                )
    seeds = len({t.config.seed for t, _ in pairs})
    return plots.sweep_loss_curves(
        rows, path, title=f"Mean minibatch loss over {seeds} seeds"
    )


def _figure_breaking(groups, path):
    pairs = []
    for _, fields in _BREAKING[:4]:
        pairs += _planned("symmetry_breaking", fields)(groups)[:1]
    return plots.symmetry_curves(
        [r for _, r in pairs],
        path,
        title="Distinct hidden units per iteration (seed 0)",
    )


def _figure_deep_relu_loss(groups, path):
    pairs = _select(groups, "deep_relu")
    runs_out = [_only_run(r) for _, r in pairs]
    return plots.loss_curves(
        runs_out,
        path,
        labels=[f"{t.config.inits[0]}, seed {t.config.seed}" for t, _ in pairs],
        title=f"{pairs[0][0].config.depth}-layer plain ReLU MLP on MNIST",
    )


def _figure_deep_relu_std(groups, path):
    pairs = _select(groups, "deep_relu")
    curves = []
    for init in deep_relu.DEFAULT_INITS:
        found = [_only_run(r) for t, r in pairs if t.config.inits == (init,)]
        if found:
            curves.append(
                {"init_std": _mean_lists([r["init_std"] for r in found])}
            )
    return plots.layer_std_curves(
        curves,
        path,
        labels=[f"{i}, mean over seeds" for i in deep_relu.DEFAULT_INITS],
    )


_FIGURES = {
    "c1_softmax_loss.png": _figure_c1,
    "c2_distinct_units.png": _figure_c2,
    "c3_loss.png": _figure_c3,
    "c4_signal_std.png": _figure_c4_std,
    **{
        f"c4_histograms_{a}.png": _figure_c4_histograms(a)
        for a in models.ACTIVATIONS
    },
    "cs231n_layer_std.png": _figure_cs231n,
    "sweep_loss.png": _figure_sweep,
    "symmetry_breaking.png": _figure_breaking,
    "deep_relu_loss.png": _figure_deep_relu_loss,
    "deep_relu_init_std.png": _figure_deep_relu_std,
}


FIGURE_KEYS_FILE = ".drawn.json"


def _figure_key(name, groups):
    """What a figure is a function of: its name, the runs, the drawing code.

    Records are deterministic per task key, so the same keys, plots.py and
    report.py draw the same PNG.
    """
    digest = hashlib.sha256(name.encode())
    for source in (plots.__file__, __file__):
        with open(source, "rb") as f:
            digest.update(f.read())
    for section in sorted(groups):
        for task, _ in groups[section]:
            digest.update(task.key.encode())
    return digest.hexdigest()[:20]


def write_figures(output_dir, results_dict, groups, redraw=False):
    """Draws every figure the claims name; returns their paths.

    A figure whose PNG exists and whose `_figure_key` is the one recorded
    when it was drawn is kept: drawing the histogram grids costs more than
    the rest of a cached report. `redraw` draws every figure again.
    """
    keys_path = os.path.join(output_dir, FIGURES_DIR, FIGURE_KEYS_FILE)
    drawn = {}
    if not redraw and os.path.isfile(keys_path):
        drawn = records.read_metrics(keys_path)
    paths, keys = [], {}
    for claim in results_dict["claims"]:
        for relative in claim["figures"]:
            name = os.path.basename(relative)
            path = os.path.join(output_dir, relative)
            keys[name] = _figure_key(name, groups)
            if drawn.get(name) != keys[name] or not os.path.isfile(path):
                _FIGURES[name](groups, path)
            paths.append(path)
    records.write_json_atomic(keys_path, keys)
    return paths


# --- Pages -------------------------------------------------------------------


def _table(columns, rows):
    def cell(value):
        return str(value).replace("|", "\\|")

    lines = [
        "| " + " | ".join(cell(c) for c in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def headline_rows(results_dict):
    """The README's headline rows: claim, measurement, value, verdict."""
    claims = claims_for_comparison(results_dict)
    rows = []
    for claim_id, name in HEADLINE:
        claim = claims.get(claim_id)
        if claim is None:
            continue
        m = find_measurement(claim, name)
        rows.append([claim_id, f"`{name}`", format_stat(m), claim["verdict"]])
    return rows


HEADLINE_COLUMNS = ("claim", "measurement", "mean ± sd (n, min–max)", "verdict")


def headline_table(results_dict):
    """The headline rows as a Markdown table."""
    return _table(HEADLINE_COLUMNS, headline_rows(results_dict))


def markdown_report(results_dict, image_src=lambda path: path):
    """report.md's text.

    Args:
        results_dict: what `results` returns.
        image_src: maps a figure's relative path to the `src` to use (the
            HTML page passes data: URIs).
    """
    env = results_dict["environment"]
    out = [
        "# keras_initstudy: the study's results",
        "",
        "Generated by `python -m experiments.report` from the run records; "
        "every number below is a mean ± sample sd over seeds (n, min–max), "
        "and each measurement names a command that reruns one seed. "
        "Do not edit by hand.",
        "",
        f"TensorFlow {env['tensorflow']}, Keras {env['keras']}, NumPy "
        f"{env['numpy']}, Python {env['python']}; {env['cpu']} "
        f"({env['cpu_count']} CPUs).",
        "",
        _table(
            ("id", "claim", "verdict"),
            [
                [f"[{c['id']}](#{c['id'].lower()})", c["title"], c["verdict"]]
                for c in results_dict["claims"]
            ],
        ),
        "",
    ]
    for c in results_dict["claims"]:
        out += [
            f'<a id="{c["id"].lower()}"></a>',
            "",
            f"## {c['id']}: {c['title']}",
            "",
            c["claim"],
            "",
            f"**Verdict: {c['verdict']}.**"
            + (f" {c['why']}" if c.get("why") else ""),
            "",
        ]
        out += [
            f"- {'✔' if check['passed'] else '✘'} {check['check']}"
            for check in c["checks"]
        ]
        out.append("")
        if c.get("disagreement"):
            out += [
                f"**Where we differ from the article:** {c['disagreement']}",
                "",
            ]
        for table in c.get("tables", []):
            out += [
                f"*{table['title']}*",
                "",
                _table(table["columns"], table["rows"]),
                "",
            ]
        out += [
            _table(
                ("measurement", "mean ± sd (n, min–max)", "command (one seed)"),
                [
                    [f"`{m['name']}`", format_stat(m), f"`{m['command']}`"]
                    for m in c["measurements"]
                ],
            ),
            "",
        ]
        if c.get("skipped"):
            out += [
                "Skipped (cannot fill a Dense kernel): "
                + "; ".join(
                    f"`{s['init']}`: {s['reason']}" for s in c["skipped"]
                ),
                "",
            ]
        for figure in c["figures"]:
            out += [f"![{c['id']}]({image_src(figure)})", ""]
    return "\n".join(out)


def html_report(results_dict, output_dir):
    """report.html: report.md rendered, figures inlined as data: URIs."""
    import markdown

    def inline(relative):
        with open(os.path.join(output_dir, relative), "rb") as f:
            encoded = base64.b64encode(f.read()).decode("ascii")
        return f"data:image/png;base64,{encoded}"

    body = markdown.markdown(
        markdown_report(results_dict, image_src=inline),
        extensions=["tables"],
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        "<title>keras_initstudy results</title><style>"
        "body{font-family:sans-serif;max-width:70em;margin:auto;padding:1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:2px 6px}img{max-width:100%}code{font-size:90%}"
        "</style></head><body>\n" + body + "\n</body></html>\n"
    )


def write_explorer(output_dir, results_dict, groups):
    """Writes explorer.html (see `keras_initstudy.report.explorer`); its path."""
    path = os.path.join(output_dir, EXPLORER_FILE)
    explorer.write_explorer(path, results_dict, groups)
    return path


def write_all(output_dir, results_dict, groups, redraw=False):
    """Writes results.json, the figures, report.md, report.html, explorer.

    Args:
        output_dir: the report folder (created if needed).
        results_dict: what `results(groups)` returns.
        groups: `{section: [(task, record), ...]}`.
        redraw: draw every figure, even those drawn from the same runs and
            code before (see `write_figures`).

    Returns:
        The paths written, results.json first.
    """
    os.makedirs(os.path.join(output_dir, FIGURES_DIR), exist_ok=True)
    figures = write_figures(output_dir, results_dict, groups, redraw)
    paths = [
        records.write_json_atomic(
            os.path.join(output_dir, RESULTS_FILE), results_dict
        ),
        *figures,
        records.write_text_atomic(
            os.path.join(output_dir, MARKDOWN_FILE),
            markdown_report(results_dict),
        ),
        records.write_text_atomic(
            os.path.join(output_dir, HTML_FILE),
            html_report(results_dict, output_dir),
        ),
    ]
    paths.append(write_explorer(output_dir, results_dict, groups))
    return paths


def compute(
    tasks_by_section, cache_dir, rerun=False, engine=None, progress=None
):
    """Records for a plan: `{section: [(task, record), ...]}`.

    Every task of every section goes to one `runner.Study.records` call, so
    progress counts the whole report and a task shared by two sections
    runs once.
    """
    flat = [t for tasks in tasks_by_section.values() for t in tasks]
    got = runner.Study(cache_dir, engine).records(
        flat, rerun=rerun, progress=progress
    )
    by_key = {t.key: r for t, r in zip(flat, got, strict=True)}
    return {
        section: [(t, by_key[t.key]) for t in tasks]
        for section, tasks in tasks_by_section.items()
    }


def run(
    output_dir,
    seeds=None,
    sections=None,
    cache_dir=None,
    rerun=False,
    engine=None,
    progress=None,
):
    """The whole report: plan, records (cached), results, files.

    Args:
        output_dir: where results.json and the pages go.
        seeds: see `plan`.
        sections: see `plan`; the doctor claim comes with the full plan.
        cache_dir: the record cache (default `<output_dir>/cache`).
        rerun: recompute every run and redraw every figure.
        engine: a `study` engine (default: in this process).
        progress: called with a `runner.Progress` after each run.

    Returns:
        `(results dict, paths written)`.
    """
    tasks = plan(seeds, sections)
    groups = compute(
        tasks,
        cache_dir or os.path.join(output_dir, "cache"),
        rerun=rerun,
        engine=engine,
        progress=progress,
    )
    # The doctor trains nothing and belongs to the whole report only.
    doctor_seeds = 0 if sections else (seeds or MIN_SEEDS)
    results_dict = results(groups, doctor_seeds=doctor_seeds)
    return results_dict, write_all(
        output_dir, results_dict, groups, redraw=rerun
    )


HEADLINE_BEGIN = "<!-- report:headline:begin (generated by make docs) -->"
HEADLINE_END = "<!-- report:headline:end -->"


def _headline_span(text):
    begin, end = text.find(HEADLINE_BEGIN), text.find(HEADLINE_END)
    if begin < 0 or end < begin:
        raise ValueError(
            "The README has no headline markers; add the lines "
            f"{HEADLINE_BEGIN!r} and {HEADLINE_END!r}."
        )
    return begin + len(HEADLINE_BEGIN), end


def readme_headline(text):
    """The headline table's rows (lists of cell strings) in a README text."""
    begin, end = _headline_span(text)
    rows = []
    for line in text[begin:end].splitlines():
        line = line.strip()
        if not line.startswith("|") or line.startswith("|---"):
            continue
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows[1:]  # The first row is the header.


def update_readme(path, results_dict):
    """Rewrites the headline table between the README's markers."""
    with open(path) as f:
        text = f.read()
    begin, end = _headline_span(text)
    text = (
        text[:begin] + "\n" + headline_table(results_dict) + "\n" + text[end:]
    )
    return records.write_text_atomic(path, text)
