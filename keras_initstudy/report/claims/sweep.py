"""Every initializer x activation on MNIST with one budget."""

from keras_initstudy.report import measure
from keras_initstudy.report import plan
from keras_initstudy.study import models
from keras_initstudy.study.kinds import sweep as sweep_kind

ID = "sweep"
TITLE = "Every initializer × activation, one budget"


def _measurements(found, init, activation):
    tail = f"/{init}/{activation}"
    return [
        measure.measurement(
            "test_accuracy" + tail, found, lambda r: r["test_accuracy"]
        ),
        measure.measurement("final_loss" + tail, found, measure.final_loss),
        measure.measurement(
            "distinct_units" + tail,
            found,
            lambda r: r["distinct_units"][0],
        ),
    ]


def _checks(named, shared, distinct_inits, prior, width):
    """Equal weights stay one unit near the prior; the others train."""

    def of(metric, init):
        return [
            named[f"{metric}/{init}/{a}"]
            for a in models.ACTIVATIONS
            if f"{metric}/{init}/{a}" in named
        ]

    near_prior = prior + 2 * measure.TRAINS_MARGIN
    laggards = [
        m["name"].split("/", 1)[1]
        for i in distinct_inits
        for m in of("test_accuracy", i)
        if not m["min"] > prior + measure.TRAINS_MARGIN
    ]
    return [
        (
            "initializers that give every hidden unit the same weights ("
            + ", ".join(shared)
            + ") keep one distinct unit and stay below "
            f"{measure.format_number(near_prior)} test accuracy",
            all(
                all(
                    measure.every(m, lambda v: v == 1)
                    for m in of("distinct_units", i)
                )
                and all(m["max"] < near_prior for m in of("test_accuracy", i))
                for i in shared
            ),
        ),
        (
            "every other initializer keeps all units distinct",
            all(
                all(
                    measure.every(m, lambda v: v == width)
                    for m in of("distinct_units", i)
                )
                for i in distinct_inits
            ),
        ),
        (
            "every other initializer beats the prior by more than "
            f"{measure.TRAINS_MARGIN} in every seed and activation"
            + (f" (not: {', '.join(laggards)})" if laggards else ""),
            not laggards,
        ),
    ]


def _accuracy_table(named, inits):
    rows = [
        [
            init,
            *(
                measure.format_stat(named[f"test_accuracy/{init}/{a}"])
                for a in models.ACTIVATIONS
                if f"test_accuracy/{init}/{a}" in named
            ),
        ]
        for init in inits
    ]
    return {
        "title": "Test accuracy, mean ± sd over seeds",
        "columns": ["init", *models.ACTIVATIONS],
        "rows": rows,
    }


def build(groups):
    """The claim from the "sweep" runs (None without them)."""
    pairs = measure.select(groups, "sweep")
    if not pairs:
        return None
    inits = list(dict.fromkeys(t.config.init for t, _ in pairs))
    ms, shared, distinct_inits = [], [], []
    for init in inits:
        for activation in models.ACTIVATIONS:
            found = measure.select(
                groups, "sweep", init=init, activation=activation
            )
            if found:
                ms += _measurements(found, init, activation)
        at_init = [
            r["distinct_units_at_init"][0]
            for t, r in pairs
            if t.config.init == init
        ]
        (shared if max(at_init) == 1 else distinct_inits).append(init)
    named = measure.named(ms)
    prior = pairs[0][1]["prior"]["prior_accuracy"]
    config = pairs[0][0].config
    checks = _checks(
        named, shared, distinct_inits, prior, config.hidden_units[0]
    )
    skipped = sweep_kind.build_errors(plan.SWEEP)
    return measure.claim(
        ID,
        TITLE,
        f"Every registered initializer that can fill a Dense kernel × "
        f"{{{', '.join(models.ACTIVATIONS)}}}, MLP 784-"
        f"{'-'.join(str(u) for u in config.hidden_units)}-10, SGD lr 0.1, "
        f"{config.iterations} minibatches of {config.batch_size}: equal "
        "weights stay one unit near the prior; every other initializer "
        "trains.",
        ms,
        checks,
        ["sweep_loss.png"],
        tables=[_accuracy_table(named, inits)],
        skipped=[
            {"init": k, "reason": str(e).splitlines()[0]}
            for k, e in skipped.items()
        ],
    )
