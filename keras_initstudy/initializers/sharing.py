"""Finds random initializer instances that several weights share.

Keras 3 initializers (these and Keras's own) are stateless: an instance
returns the same values on every call, seeded or not. So one instance
passed to two layers gives them identical or overlapping weights, and
nothing else reports it.
"""

import warnings


class SharedInitializerWarning(UserWarning):
    """One random initializer instance initializes several weights."""


def _walk(layer):
    yield layer
    for child in getattr(layer, "layers", ()):
        yield from _walk(child)


def _random_uses(model):
    """`(initializer, [("layer/weight", shape), ...])` per random instance.

    Random instances are those with a `seed` attribute; they are keyed by
    identity, since equal configs in different instances are not shared.
    """
    uses = {}
    for layer in _walk(model):
        for attribute, init in vars(layer).items():
            if not attribute.endswith("_initializer") or not hasattr(
                init, "seed"
            ):
                continue
            weight_name = attribute[: -len("_initializer")]
            weight = getattr(layer, weight_name, None)
            shape = tuple(getattr(weight, "shape", ()))
            entry = uses.setdefault(id(init), (init, []))
            entry[1].append((f"{layer.name}/{weight_name}", shape))
    return uses.values()


def _warn_once(init, finding):
    # Marked on the instance: checking the same model again (the model
    # factory checks each model it builds, users may too) stays quiet.
    if getattr(init, "_keras_initstudy_warned", False):
        return
    init._keras_initstudy_warned = True
    warnings.warn(
        f"One {finding['initializer']} instance initializes "
        f"{', '.join(finding['weights'])}: Keras initializers return the "
        "same values on every call, so these weights are "
        + ("identical" if finding["identical"] else "overlapping")
        + ". Give each layer its own instance and seed.",
        SharedInitializerWarning,
        stacklevel=3,
    )


def check_shared_initializers(model):
    """Finds random initializer instances shared by several weights; warns.

    One instance passed to two layers, e.g. `init = HeNormal(); Dense(64,
    kernel_initializer=init); Dense(64, kernel_initializer=init)`, gives
    both kernels identical values when their shapes match, and overlapping
    ones otherwise (the random stream is the same: a `(128, 128)` kernel
    equals the first 128 rows of a `(784, 128)` one, rescaled). Symmetric
    or correlated layers train worse and nothing else reports it.

    This walks the model's layers (nested models too), groups the weights
    by the initializer instance (`*_initializer` attributes) that made
    them, and for every random instance (one with a `seed` attribute) used
    more than once issues a `SharedInitializerWarning` naming the weights,
    once per instance. Deterministic initializers (zeros, identity, ...)
    are meant to repeat and are ignored. Fix: give each layer its own
    instance with its own seed (the model factory does so for names).

    Examples:

    >>> init = keras.initializers.HeNormal()
    >>> model = keras.Sequential([keras.Input((4,)),
    ...     keras.layers.Dense(4, kernel_initializer=init),
    ...     keras.layers.Dense(4, kernel_initializer=init)])
    >>> shared = check_shared_initializers(model)  # warns

    Args:
        model: a built Keras model (or layer).

    Returns:
        A list of dicts, one per shared random instance: `initializer`
        (class name), `weights` (`"layer/weight"` names) and `identical`
        (True when two of the weights have the same shape).
    """
    findings = []
    for init, weights in _random_uses(model):
        if len(weights) < 2:
            continue
        shapes = [shape for _, shape in weights]
        finding = {
            "initializer": type(init).__name__,
            "weights": [name for name, _ in weights],
            "identical": len(set(shapes)) < len(shapes),
        }
        findings.append(finding)
        _warn_once(init, finding)
    return findings
