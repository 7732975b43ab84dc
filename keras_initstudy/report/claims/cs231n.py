"""The CS231n anchor: 10 tanh layers with 0.01·N(0, 1) weights."""

from keras_initstudy.report import measure

ID = "cs231n"
TITLE = "The CS231n anchor: 10 tanh layers with 0.01·N(0, 1) weights"
# The CS231n notes' printed activation std of layers 1-4 for 10 tanh layers
# of 500 with 0.01 * N(0, 1) weights on N(0, 1) inputs (quoted, not
# measured; the comparison is their printed precision).
CS231N_LAYER_STD = (0.213, 0.048, 0.011, 0.0024)


def _significant_digits(quoted):
    """Significant digits of a printed decimal, e.g. 0.0024 -> 2."""
    return len(repr(quoted).split(".")[1].lstrip("0"))


def _round_significant(value, digits):
    return float(f"{value:.{digits}g}")


def _name(layer):
    return f"layer_{layer}_std/small_random/tanh_gaussian_inputs"


def build(groups):
    """The claim from the "cs231n" runs (None without them)."""
    pairs = measure.select(groups, "cs231n")
    if not pairs:
        return None
    depth_layers = pairs[0][0].config.depth
    ms = [
        measure.measurement(
            _name(k + 1),
            pairs,
            lambda r, k=k: measure.only_run(r)["std"][k],
        )
        for k in range(depth_layers)
    ]
    named = measure.named(ms)
    checks = [
        (
            f"layer {k + 1}: mean std rounds to the demo's {quoted}",
            _round_significant(
                named[_name(k + 1)]["mean"], _significant_digits(quoted)
            )
            == quoted,
        )
        for k, quoted in enumerate(CS231N_LAYER_STD)
    ]
    return measure.claim(
        ID,
        TITLE,
        "On the demo's own inputs (1000 × 500, N(0, 1)) the activation std "
        "shrinks by about 0.01·√500 per layer, as the CS231n notes print: "
        + ", ".join(str(v) for v in CS231N_LAYER_STD)
        + " for layers 1-4.",
        ms,
        checks,
        ["cs231n_layer_std.png"],
    )
