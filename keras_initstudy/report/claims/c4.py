"""C4: random vs Xavier vs He, the signal through depth at init."""

from keras_initstudy.report import measure
from keras_initstudy.study import models
from keras_initstudy.study.kinds import depth

ID = "C4"
TITLE = "Random vs Xavier vs He: signals through depth at init"


def _majority(values):
    best = max(set(values), key=values.count)
    return best, values.count(best)


def _measurements(pairs, init, activation):
    """Forward and backward ratios and the dead or saturated share."""
    tail = f"/{init}/{activation}"
    if activation == "relu":
        share = ("dead_share", "dead_fraction")
    else:
        share = ("saturated_share", "saturated_fraction")
    return [
        measure.measurement(
            "forward_ratio" + tail,
            pairs,
            lambda r: measure.only_run(r)["forward_ratio"],
        ),
        measure.measurement(
            "backward_ratio" + tail,
            pairs,
            lambda r: measure.only_run(r)["backward_ratio"],
        ),
        measure.measurement(
            share[0] + tail,
            pairs,
            lambda r: measure.only_run(r)[share[1]][-1],
        ),
    ]


def _verdict_table(verdicts):
    """The most frequent verdict per configuration, and the unstable ones."""
    rows, unstable = [], []
    for (init, activation), found in verdicts.items():
        regime, count = _majority(found)
        rows.append([activation, init, regime, f"{count} of {len(found)}"])
        if init in ("xavier_normal", "he_normal") and regime != "stable":
            unstable.append(f"{init} with {activation} ({regime})")
    table = {
        "title": "Verdict per initializer and activation "
        "(`keras_initstudy.diagnostics.signals.verdict`, most frequent over "
        "seeds)",
        "columns": ["activation", "init", "verdict", "seeds"],
        "rows": rows,
    }
    return table, unstable


def _checks(verdicts):
    """The article's four regimes, each in every seed."""

    def always(init, activation, regime):
        found = verdicts.get((init, activation))
        return bool(found) and all(v == regime for v in found)

    return [
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


def build(groups):
    """The claim from the "depth" runs (None without them)."""
    if not groups.get("depth"):
        return None
    ms, verdicts = [], {}
    for activation in models.ACTIVATIONS:
        for init in depth.DEFAULT_INITS:
            pairs = measure.depth_pairs(groups, "depth", init, activation)
            if not pairs:
                continue
            ms += _measurements(pairs, init, activation)
            verdicts[(init, activation)] = [
                measure.only_run(r)["verdict"] for _, r in pairs
            ]

    checks = _checks(verdicts)
    table, unstable = _verdict_table(verdicts)
    config = groups["depth"][0][0].config
    return measure.claim(
        ID,
        TITLE,
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
        tables=[table],
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
