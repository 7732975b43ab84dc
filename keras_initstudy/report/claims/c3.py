"""C3: MNIST from zeros has a flat loss and answers the prior."""

from keras_initstudy.report import measure
from keras_initstudy.report import plan

ID = "C3"
TITLE = "MNIST from zeros: flat loss, stuck at the prior"
TEXT = (
    "The article's network (784-128-10, relu, every weight and bias 0, "
    "SGD lr 0.1, 100 minibatches of 100) does not learn: the loss stays "
    "at ln 10 and the test accuracy is that of always answering the "
    "most frequent digit, 1135 / 10000 = 11.35 % on MNIST. The same "
    "holds with tanh, two hidden layers or Adam."
)
# The article's MNIST number from zero init (quoted): 1135 / 10000.
ARTICLE_ZERO_ACCURACY = 0.1135
# The numbers of the article's run (784-128-10 relu from zeros), in the
# order the pages list them.
_ARTICLE_RUN = {
    "test_accuracy": lambda r: r["test_accuracy"],
    "correct_test_images": lambda r: round(
        r["test_accuracy"] * r["prior"]["test_size"]
    ),
    "prior_accuracy": lambda r: r["prior"]["prior_accuracy"],
    "prior_class_test_count": lambda r: r["prior"]["prior_class_test_count"],
    "answers_prior_class": lambda r: r["prior"]["matches_prior"],
    "max_loss_gap_to_ln10": measure.loss_gap,
    "final_loss": measure.final_loss,
    "test_loss": lambda r: r["test_loss"],
    "prior_loss": lambda r: r["prior"]["prior_loss"],
    "max_distinct_units": lambda r: max(measure.hidden_distinct(r)),
}
_ACCURACY_AND_LOSS = ("test_accuracy", "max_loss_gap_to_ln10")


def _variants(groups):
    """Zero init beside the article's run: tanh, two layers, Adam."""
    variants = [
        ("", measure.select(groups, "sweep", init="zeros", activation="tanh"))
    ]
    variants += [
        (
            f"/{label}",
            measure.planned(
                groups, "c3_variants", dict(init="zeros", **fields)
            ),
        )
        for label, fields in plan.C3_VARIANTS
        if fields["activation"] == "relu"
    ]
    return [
        m
        for label, found in variants
        if found
        for m in measure.classifier_measurements(
            found, label, _ACCURACY_AND_LOSS
        )
    ]


def build(groups):
    """The claim from the "c3_mnist" runs, with variants when planned."""
    pairs = measure.select(groups, "c3_mnist")
    if not pairs:
        return None
    ms = [measure.measurement(n, pairs, f) for n, f in _ARTICLE_RUN.items()]
    variant_ms = _variants(groups)
    he = measure.select(groups, "sweep", init="he_normal", activation="relu")
    he_ms = (
        measure.classifier_measurements(he, metrics=_ACCURACY_AND_LOSS)
        if he
        else []
    )
    ms += variant_ms + he_ms
    named = measure.named(ms)
    accuracy, prior = named["test_accuracy"], named["prior_accuracy"]
    checks = [
        (
            f"test accuracy is the article's {ARTICLE_ZERO_ACCURACY} in every "
            "seed",
            measure.every(accuracy, lambda v: v == ARTICLE_ZERO_ACCURACY),
        ),
        (
            "test accuracy equals the prior's share of the test set "
            "(the most frequent training digit) in every seed",
            accuracy["values"] == prior["values"],
        ),
        (
            "the net answers the prior class for every test image",
            measure.every(named["answers_prior_class"], lambda v: v == 1.0),
        ),
        (
            f"the minibatch loss stays within {measure.FLAT_TOLERANCE} of "
            "ln 10 at every iteration",
            measure.every(
                named["max_loss_gap_to_ln10"],
                lambda v: v < measure.FLAT_TOLERANCE,
            ),
        ),
        (
            "one distinct hidden unit throughout",
            measure.every(named["max_distinct_units"], lambda v: v == 1),
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
    return measure.claim(
        ID,
        TITLE,
        TEXT,
        ms,
        checks,
        ["c3_loss.png"],
    )
