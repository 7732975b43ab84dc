"""Part 3 at initialization: mean-field theory against measured batches."""

import math

from keras_initstudy.report import measure
from keras_initstudy.report import plan

ID = "signal_propagation"
# How far a measured q^l may be from the theory in a tanh net of width 256.
# Layer 1's q averages 256 units x 256 examples (about 1 % sd); deeper
# layers inherit the batch's fluctuations layer after layer, damped by
# tanh's pull toward q*, and reach gaps of about 20 % in single nets. 25 %
# is loose on purpose: what it must catch is a theory that is wrong by a
# convention (sigma_w2 per fan-in, a missing bias term), which moves q^l by
# far more than that.
Q_TOLERANCE = 0.25
# The geometric mean over ~30 layers of gradient ratios, each the ratio of
# two sums over 256 units of near-Gaussian squares (relative sd about
# sqrt(2 / 256) per sum): 3 sd of its mean in log space is about 7 %.
GRAD_TOLERANCE = 0.07


def _geometric_mean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _q_error(record):
    measured, predicted = record["measured"]["q"], record["predicted"]["q"]
    return max(abs(m / p - 1) for m, p in zip(measured, predicted, strict=True))


def _grad_error(record):
    return abs(
        _geometric_mean(record["measured"]["grad_ratio"])
        / _geometric_mean(record["predicted"]["grad_ratio"])
        - 1
    )


def _worst(pairs, error):
    """Per seed, the largest error over the seed's runs: one pair each."""
    by_seed = {}
    for task, record in pairs:
        by_seed.setdefault(task.config.seed, []).append((task, record))
    return [
        (found[0][0], {"error": max(error(r) for _, r in found)})
        for _, found in sorted(by_seed.items())
    ]


def _measurements(pairs, activation):
    mine = [(t, r) for t, r in pairs if t.config.activation == activation]
    return [
        measure.measurement(
            f"max_q_rel_error/{activation}",
            _worst(mine, _q_error),
            lambda r: r["error"],
        ),
        measure.measurement(
            f"grad_ratio_rel_error/{activation}",
            _worst(mine, _grad_error),
            lambda r: r["error"],
        ),
    ]


def _table(pairs):
    rows = []
    for activation, values in plan.PROPAGATION:
        for sigma_w2 in values:
            found = [
                r
                for t, r in pairs
                if (t.config.activation, t.config.sigma_w2)
                == (activation, sigma_w2)
            ]
            first = found[0]
            rows.append(
                [
                    activation,
                    measure.format_number(sigma_w2),
                    first["phase"],
                    measure.format_number(first["chi1"]),
                    measure.format_number(
                        _geometric_mean(
                            [
                                v
                                for r in found
                                for v in r["measured"]["grad_ratio"]
                            ]
                        )
                    ),
                    measure.format_number(max(_q_error(r) for r in found)),
                ]
            )
    return {
        "title": (
            "Per point: the theory's chi1 beside the measured gradient ratio "
            "(geometric mean over layers, inputs and seeds), and the largest "
            "relative gap between measured and predicted q^l"
        ),
        "columns": [
            "activation",
            "σ_w²",
            "phase",
            "χ1 (theory)",
            "gradient ratio (measured)",
            "max q^l gap",
        ],
        "rows": rows,
    }


def build(groups):
    """The claim from the "signal_propagation" runs (None without them)."""
    pairs = measure.select(groups, "signal_propagation")
    if not pairs:
        return None
    ms = _measurements(pairs, "tanh") + _measurements(pairs, "relu")
    named = measure.named(ms)
    checks = [
        (
            f"tanh: measured q^l within {Q_TOLERANCE:.0%} of the theory's "
            "iterates at every layer, point, input and seed",
            measure.every(
                named["max_q_rel_error/tanh"], lambda v: v <= Q_TOLERANCE
            ),
        ),
    ] + [
        (
            f"{activation}: the gradient ratio's geometric mean within "
            f"{GRAD_TOLERANCE:.0%} of chi1 at every point, input and seed",
            measure.every(
                named[f"grad_ratio_rel_error/{activation}"],
                lambda v: v <= GRAD_TOLERANCE,
            ),
        )
        for activation in ("tanh", "relu")
    ]
    config = pairs[0][0].config
    return measure.claim(
        ID,
        "Theory at initialization: q^l and chi1, measured",
        f"Mean-field theory (Poole et al. 2016; Schoenholz et al. 2017) "
        f"predicts, from sigma_w2, sigma_b2 and the activation alone, each "
        f"layer's pre-activation variance q^l and the factor chi1 by which "
        f"a gradient's squared norm grows per layer on the way back. "
        f"Measured on one batch of {config.batch_size} real MNIST images "
        f"(and of N(0, 1) inputs) in Dense nets of {config.depth} layers "
        f"of {config.width}, sigma_b2 = {config.sigma_b2}, in the ordered "
        "phase, on the critical line and in the chaotic phase. ReLU's q^l "
        "is reported, not checked: at finite width its log performs a "
        "random walk over layers (about 5 / width of variance per layer), "
        "so single nets stray from the mean-field line while the gradient "
        "ratio stays on it.",
        ms,
        checks,
        ["propagation_tanh.png", "propagation_relu.png"],
        tables=[_table(pairs)],
    )
