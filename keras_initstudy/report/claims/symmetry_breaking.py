"""What breaks the symmetry of equal units: dropout, random biases."""

from keras_initstudy.report import measure
from keras_initstudy.report import plan

ID = "symmetry_breaking"
TITLE = "What breaks the symmetry: dropout, random biases"
TEXT = (
    "Dropout gives each unit its own mask and splits units that start "
    "equal (from the second step on); random biases make zero-weight "
    "units differ in value, slowly; neither helps zero weights with "
    "relu within the article's budget. Zeros in the output layer alone "
    "are harmless."
)


def _tail(label, fields):
    return f"/{fields['init']}/{fields['activation']}/{label}"


def _measurements(found, tail):
    return [
        measure.measurement(
            "test_accuracy" + tail, found, lambda r: r["test_accuracy"]
        ),
        measure.measurement(
            "distinct_units_iteration_1" + tail,
            found,
            lambda r: measure.distinct_at(r, 1),
        ),
        measure.measurement(
            "distinct_units_iteration_2" + tail,
            found,
            lambda r: measure.distinct_at(r, 2),
        ),
        measure.measurement(
            "distinct_units" + tail, found, lambda r: r["distinct_units"][0]
        ),
    ]


def _checks(named, prior, width):
    def every(metric, tail, predicate):
        m = named.get(f"{metric}/{tail}")
        return m is not None and measure.every(m, predicate)

    def split(units):
        return units > 1

    def trains(accuracy):
        return accuracy > prior + measure.TRAINS_MARGIN

    units, accuracy = "distinct_units", "test_accuracy"
    biases, longer = "bias_random_normal", "bias_random_normal_1000_iterations"
    return [
        (
            "dropout splits constant-initialized units, but not at "
            "iteration 1 (equal output weights send no gradient back)",
            every(
                f"{units}_iteration_1",
                "constant/sigmoid/dropout_0.5",
                lambda v: v == 1,
            )
            and every(units, "constant/sigmoid/dropout_0.5", split)
            and every(units, "constant/relu/dropout_0.5", split),
        ),
        (
            "dropout cannot help zeros with relu: one unit throughout",
            every(units, "zeros/relu/dropout_0.5", lambda v: v == 1),
        ),
        (
            "random biases make the units distinct, but after 100 "
            "iterations the net is still at the prior",
            every(units, f"zeros/relu/{biases}", lambda v: v == width)
            and every(accuracy, f"zeros/relu/{biases}", lambda v: v == prior),
        ),
        (
            "given 1000 iterations, zero weights with random biases train "
            "(relu and tanh beat the prior by more than "
            f"{measure.TRAINS_MARGIN})",
            every(accuracy, f"zeros/relu/{longer}", trains)
            and every(accuracy, f"zeros/tanh/{longer}", trains),
        ),
        (
            "zeros in the output layer only are harmless (the net trains)",
            every(accuracy, "he_normal/relu/output_zeros", trains),
        ),
    ]


def build(groups):
    """The claim from the "symmetry_breaking" runs (None without them)."""
    if not groups.get("symmetry_breaking"):
        return None
    ms, prior, width = [], None, None
    for label, fields in plan.BREAKING:
        found = measure.planned(groups, "symmetry_breaking", fields)
        if not found:
            continue
        ms += _measurements(found, _tail(label, fields))
        prior = found[0][1]["prior"]["prior_accuracy"]
        width = found[0][0].config.hidden_units[0]
    return measure.claim(
        ID,
        TITLE,
        TEXT,
        ms,
        _checks(measure.named(ms), prior, width),
        ["symmetry_breaking.png"],
    )
