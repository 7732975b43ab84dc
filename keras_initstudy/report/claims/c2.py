"""C2: identical weights make identical units, forever.

Read from the article's toy net (every gradient of every step) and from
MNIST runs whose hidden units start equal (zeros, a shared constant) or
not (He).
"""

from keras_initstudy.report import measure

ID = "C2"
TITLE = "Identical weights make identical units, forever"
TEXT = (
    "Hidden units that start with identical weights (zeros or any "
    "shared constant) compute the same value and get the same Δw at "
    "every step, so they stay identical: the layer is one unit. Random "
    "init makes them differ from the first step."
)
# The toy net's numbers as `python -m experiments.toy` prints them.
_TOY_DIGITS = 6


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


def _toy_values(*values):
    return ", ".join(measure.format_number(v, _TOY_DIGITS) for v in values)


def _toy_table(record):
    case = record["runs"]["zeros"]
    rows = []
    for s in case["steps"]:
        f = s["forward"]
        gradients = s["gradients"]
        rows.append(
            [
                s["step"],
                _toy_values(f["z1"], f["z2"]),
                _toy_values(f["loss"]),
                *(
                    _toy_values(*row)
                    for row in (*gradients["hidden"], gradients["output"])
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


def _toy(toy_pairs):
    """Measurements, checks and table of the toy net."""
    ms, checks = [], []
    toy_config = toy_pairs[0][1]["config"]
    activation = toy_config["activation"]
    for init in toy_config["inits"]:
        shared = init in ("zeros", "constant")
        identical = measure.measurement(
            f"identical_steps/{init}/{activation}",
            toy_pairs,
            lambda r, i=init: _toy_identical_share(r["runs"][i]),
        )
        ms += [
            identical,
            measure.measurement(
                f"max_delta_w_gap/{init}/{activation}",
                toy_pairs,
                lambda r, i=init: _toy_gap(r["runs"][i]),
            ),
        ]
        checks.append(
            (
                f"toy net from {init}: the two hidden units "
                + (
                    "are bit-identical at every step"
                    if shared
                    else "differ from the first step"
                ),
                measure.every(
                    identical, lambda v, s=shared: v == (1.0 if s else 0.0)
                ),
            )
        )
    return ms, checks, _toy_table(toy_pairs[0][1])


def build(groups):
    """The claim from the "toy", "c2_mnist" and "c3_mnist" runs."""
    toy_pairs = measure.select(groups, "toy")
    zeros = measure.select(groups, "c3_mnist", init="zeros", activation="relu")
    he = measure.select(groups, "c2_mnist", init="he_normal")
    if not toy_pairs and not (zeros or he):
        return None
    ms, checks, tables, figures = [], [], [], []
    if toy_pairs:
        ms, checks, table = _toy(toy_pairs)
        tables.append(table)
    symmetric = [("zeros", "relu", zeros)] + [
        (
            "constant",
            act,
            measure.select(groups, "c2_mnist", init="constant", activation=act),
        )
        for act in ("relu", "sigmoid")
    ]
    for init, act, pairs in symmetric:
        if not pairs:
            continue
        m = measure.measurement(
            f"max_distinct_units/{init}/{act}",
            pairs,
            lambda r: max(measure.hidden_distinct(r)),
        )
        ms.append(m)
        checks.append(
            (
                f"MNIST 784-128-10 from {init} ({act}): one distinct hidden "
                "unit at every iteration in every seed",
                measure.every(m, lambda v: v == 1),
            )
        )
    if he:
        m = measure.measurement(
            "min_distinct_units/he_normal/relu",
            he,
            lambda r: min(measure.hidden_distinct(r)),
        )
        ms.append(m)
        width = he[0][0].config.hidden_units[0]
        checks.append(
            (
                f"MNIST from he_normal: all {width} units distinct throughout",
                measure.every(m, lambda v: v == width),
            )
        )
    if zeros or he:
        figures.append("c2_distinct_units.png")
    return measure.claim(
        ID,
        TITLE,
        TEXT,
        ms,
        checks,
        figures,
        tables=tables,
    )
