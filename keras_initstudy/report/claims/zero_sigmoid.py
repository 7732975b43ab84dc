"""Zero init with sigmoid: one unit, but not stuck at the prior."""

from keras_initstudy.report import measure

ID = "zero_sigmoid"
TITLE = "Zero init with sigmoid: one unit, but not the prior"
TEXT = (
    "The article's zero-init failure with sigmoid hidden units: flat "
    "loss at the prior and identical units. g(0) = 0.5 is not 0, so the "
    "hidden activations are 0.5, the output weights get gradients and "
    "the lone hidden unit learns something."
)


def _accuracies(ms):
    return [m for m in ms if m["name"].startswith("test_accuracy")]


def _checks(ms, prior):
    named = measure.named(ms)
    gaps = [m for m in ms if m["name"].startswith("max_loss_gap")]
    return [
        (
            "SGD: one distinct hidden unit throughout (the symmetry part of "
            "the claim)",
            measure.every(
                named["max_distinct_units/zeros/sigmoid"], lambda v: v == 1
            ),
        ),
        (
            "test accuracy equals the prior in every seed",
            all(
                measure.every(m, lambda v: v == prior) for m in _accuracies(ms)
            ),
        ),
        (
            f"the loss stays within {measure.FLAT_TOLERANCE} of ln 10",
            all(
                measure.every(
                    m, lambda v: v is not None and v < measure.FLAT_TOLERANCE
                )
                for m in gaps
            ),
        ),
    ]


def _disagreement(ms, prior):
    """What the runs show instead: accuracies off the prior, Adam's units."""
    accuracies = _accuracies(ms)
    lo = min(m["min"] for m in accuracies)
    hi = max(m["max"] for m in accuracies)
    text = (
        "Only the symmetry holds with SGD (one distinct unit). The loss "
        "moves off ln 10 and the test accuracy ranges from "
        f"{measure.format_number(lo)} to {measure.format_number(hi)} "
        "over seeds and optimizers (prior "
        f"{measure.format_number(prior)}), not the prior every time."
    )
    adam_units = measure.named(ms).get("max_distinct_units/zeros/sigmoid/adam")
    if adam_units:
        text += (
            " With Adam the units drift apart by float rounding (the kernel's "
            "columns are summed in different orders, and Adam rescales the "
            "tiny differences): up to "
            f"{measure.format_number(adam_units['max'])} groups at the 1e-6 "
            "tolerance, still no real features."
        )
    return text


def build(groups):
    """The claim from the sweep's zeros/sigmoid runs (and Adam's)."""
    sgd = measure.select(groups, "sweep", init="zeros", activation="sigmoid")
    adam = measure.planned(
        groups,
        "c3_variants",
        dict(init="zeros", activation="sigmoid", optimizer="adam"),
    )
    if not sgd:
        return None
    ms = measure.classifier_measurements(sgd)
    if adam:
        ms += measure.classifier_measurements(adam, "/adam")
    prior = sgd[0][1]["prior"]["prior_accuracy"]
    checks = _checks(ms, prior)
    return measure.claim(
        ID,
        TITLE,
        TEXT,
        ms,
        checks,
        [],
        disagreement=_disagreement(ms, prior),
    )
