"""C1: zero init is fine without a hidden layer."""

from keras_initstudy.report import measure

ID = "C1"
TITLE = "Zero init is fine without a hidden layer"
TEXT = (
    "Linear, softmax and logistic regression trained from all-zero "
    "weights reach the same solution as from random weights: their "
    "loss is convex and each weight multiplies its own input, so there "
    "is no symmetry to break."
)
# The classifiers of a regression record: (key, label in the names).
_CLASSIFIERS = (
    ("softmax", "softmax_regression"),
    ("binary", "logistic_regression_0_vs_1"),
)


def _weight_error(init):
    return f"weight_error/{init}/linear_regression"


def _accuracy_gap(random_init, label):
    return f"accuracy_gap_points/zeros_vs_{random_init}/{label}"


def _measurements(pairs):
    """Names carry the record's initializers (the same in every seed)."""
    seed0 = pairs[0][1]
    linear = seed0["linear"]
    ms = [
        measure.measurement(
            _weight_error("zeros"),
            pairs,
            lambda r: r["linear"]["zeros"]["max_abs_weight_diff"],
        ),
        measure.measurement(
            _weight_error(linear["random"]["init"]),
            pairs,
            lambda r: r["linear"]["random"]["max_abs_weight_diff"],
        ),
        measure.measurement(
            "final_loss/zeros/linear_regression",
            pairs,
            lambda r: r["linear"]["zeros"]["loss"][-1],
        ),
        measure.measurement(
            "closed_form_loss/linear_regression",
            pairs,
            lambda r: r["linear"]["closed_form"]["loss"],
        ),
    ]
    for model, label in _CLASSIFIERS:
        for key in ("zeros", "random"):
            ms.append(
                measure.measurement(
                    f"test_accuracy/{seed0[model][key]['init']}/{label}",
                    pairs,
                    lambda r, m=model, k=key: r[m][k]["test_accuracy"],
                )
            )
        ms.append(
            measure.measurement(
                _accuracy_gap(seed0["softmax"]["random"]["init"], label),
                pairs,
                lambda r, m=model: (
                    100
                    * abs(
                        r[m]["zeros"]["test_accuracy"]
                        - r[m]["random"]["test_accuracy"]
                    )
                ),
            )
        )
    return ms


def _checks(named, seed0):
    random_init = seed0["softmax"]["random"]["init"]
    weight_errors = ("zeros", seed0["linear"]["random"]["init"])
    softmax, binary = (
        named[_accuracy_gap(random_init, label)] for _, label in _CLASSIFIERS
    )
    return [
        (
            "linear regression from zeros and from N(0, 1) lands within 1e-4 "
            "of the closed-form least-squares weights in every seed",
            all(
                measure.every(named[_weight_error(i)], lambda v: v < 1e-4)
                for i in weight_errors
            ),
        ),
        (
            "softmax regression from zeros scores within 1 point of random "
            "init in every seed",
            measure.every(softmax, lambda v: v <= 1.0),
        ),
        (
            "binary logistic regression from zeros scores within 1 point of "
            "random init in every seed",
            measure.every(binary, lambda v: v <= 1.0),
        ),
    ]


def build(groups):
    """The claim from the "c1_regression" runs (None without them)."""
    pairs = measure.select(groups, "c1_regression")
    if not pairs:
        return None
    ms = _measurements(pairs)
    checks = _checks(measure.named(ms), pairs[0][1])
    return measure.claim(ID, TITLE, TEXT, ms, checks, ["c1_softmax_loss.png"])
