"""A 30-layer plain ReLU MLP: Xavier stalls, He trains (He et al. 2015)."""

from keras_initstudy.report import measure
from keras_initstudy.study.kinds import deep_relu

ID = "deep_relu"


def _measurements(found, init):
    tail = f"/{init}/relu"
    return [
        measure.measurement(
            "test_accuracy" + tail,
            found,
            lambda r: measure.only_run(r)["test_accuracy"],
        ),
        measure.measurement(
            "final_loss" + tail,
            found,
            lambda r: measure.only_run(r)["final_train_loss"],
        ),
        measure.measurement(
            "init_std_step" + tail,
            found,
            lambda r: measure.only_run(r)["init_std_step"],
        ),
        measure.measurement(
            "init_last_over_first_std" + tail,
            found,
            lambda r: (
                measure.only_run(r)["init_std"][-1]
                / measure.only_run(r)["init_std"][0]
            ),
        ),
    ]


def build(groups):
    """The claim from the "deep_relu" runs (None without them)."""
    pairs = measure.select(groups, "deep_relu")
    if not pairs:
        return None
    ms = []
    for init in deep_relu.DEFAULT_INITS:
        found = [(t, r) for t, r in pairs if t.config.inits == (init,)]
        if found:
            ms += _measurements(found, init)
    prior = pairs[0][1]["prior_accuracy"]
    named = measure.named(ms)
    xavier = named.get("test_accuracy/xavier_normal/relu")
    he = named.get("test_accuracy/he_normal/relu")
    checks = [
        (
            f"Xavier stays within {measure.TRAINS_MARGIN} of the prior in "
            "every seed",
            xavier is not None
            and measure.every(
                xavier, lambda v: abs(v - prior) < measure.TRAINS_MARGIN
            ),
        ),
        (
            "He beats the prior by more than 0.5 in every seed",
            he is not None and measure.every(he, lambda v: v > prior + 0.5),
        ),
    ]
    config = pairs[0][0].config
    return measure.claim(
        ID,
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
