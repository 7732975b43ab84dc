"""Keras 3 weight initializers and the one registry of their names.

Every initializer here is a `keras.initializers.Initializer` subclass,
registered for serialization under the package name `keras_initstudy`, so a
model built with them saves to `.keras` and loads again after
`import keras_initstudy` (also by `keras.initializers.get(
"keras_initstudy>HeNormal")`).

The registry `REGISTRY` maps snake_case names (`"zeros"`, `"he_normal"`, ...)
to classes. The model factory, the `--init` flag of the experiments and
`get(name)` all read it, so a name added here is usable everywhere at once.

Families, one module each (where Keras has the same initializer, ours is a
subclass of it that only adds argument checks):

- `constant`: `zeros`, `ones`, `constant`.
- `random`: `random_normal`, `random_uniform`, `truncated_normal`, and the
  article's `small_random` N(0, 0.01^2) and `large_random` N(0, 1).
- `variance_scaling`, `stddev = gain / sqrt(fan)`: `xavier_*`, `he_*`,
  `lecun_*` (each `_normal` and `_uniform`) and the general
  `variance_scaling`.
- `structured`: `orthogonal`, `identity` (Dense), `dirac` (convolutions)
  and `zero_hadamard` (ZerO, deterministic); `LooksLinear`, mirrored
  orthogonal kernels for relu chains, has no name: each layer of a chain
  mirrors different sides, so no one name initializes every layer.

Beside them: `gain` (nonlinearity gains, fans), `lsuv` (data-dependent
initialization of a built model) and `sharing` (`check_shared_initializers`).

Seeds (random initializers): an int seed gives the same values on every call
and in every process; `seed=None` draws one seed at construction, so an
instance also returns the same values on every call (Keras 3 semantics).
One instance shared by two layers therefore gives them identical (same
shape) or overlapping (different shapes: the random stream is the same)
weights: `check_shared_initializers(model)` finds that and warns.
"""

import inspect

import keras

from keras_initstudy.initializers.constant import Constant
from keras_initstudy.initializers.constant import Ones
from keras_initstudy.initializers.constant import Zeros
from keras_initstudy.initializers.gain import compute_fans
from keras_initstudy.initializers.random import LargeRandom
from keras_initstudy.initializers.random import RandomNormal
from keras_initstudy.initializers.random import RandomUniform
from keras_initstudy.initializers.random import SmallRandom
from keras_initstudy.initializers.random import TruncatedNormal
from keras_initstudy.initializers.sharing import SharedInitializerWarning
from keras_initstudy.initializers.sharing import check_shared_initializers
from keras_initstudy.initializers.structured import Dirac
from keras_initstudy.initializers.structured import Identity
from keras_initstudy.initializers.structured import LooksLinear
from keras_initstudy.initializers.structured import Orthogonal
from keras_initstudy.initializers.structured import ZeroHadamard
from keras_initstudy.initializers.variance_scaling import HeNormal
from keras_initstudy.initializers.variance_scaling import HeUniform
from keras_initstudy.initializers.variance_scaling import LecunNormal
from keras_initstudy.initializers.variance_scaling import LecunUniform
from keras_initstudy.initializers.variance_scaling import VarianceScaling
from keras_initstudy.initializers.variance_scaling import XavierNormal
from keras_initstudy.initializers.variance_scaling import XavierUniform

__all__ = [
    "REGISTRY",
    "Constant",
    "Dirac",
    "HeNormal",
    "HeUniform",
    "Identity",
    "LargeRandom",
    "LecunNormal",
    "LecunUniform",
    "LooksLinear",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "SharedInitializerWarning",
    "SmallRandom",
    "TruncatedNormal",
    "VarianceScaling",
    "XavierNormal",
    "XavierUniform",
    "ZeroHadamard",
    "Zeros",
    "check_shared_initializers",
    "compute_fans",
    "get",
    "names",
    "register",
]

REGISTRY = {}


def register(name):
    """Class decorator: registers an initializer under a snake_case name.

    The class is also made serializable by Keras as
    `"keras_initstudy>ClassName"`.
    """

    def decorator(cls):
        if name in REGISTRY:
            raise ValueError(
                f"Initializer name {name!r} is already registered. "
                f"Received: name={name!r}"
            )
        cls = keras.saving.register_keras_serializable(
            package="keras_initstudy"
        )(cls)
        REGISTRY[name] = cls
        return cls

    return decorator


# One family after the other, so REGISTRY keeps the order it always had. The
# names are public (the `--init` flag, records) and so are the class names
# (saved models): neither may change.
register("constant")(Constant)
register("zeros")(Zeros)
register("ones")(Ones)
register("random_normal")(RandomNormal)
register("truncated_normal")(TruncatedNormal)
register("random_uniform")(RandomUniform)
register("small_random")(SmallRandom)
register("large_random")(LargeRandom)
register("variance_scaling")(VarianceScaling)
register("xavier_normal")(XavierNormal)
register("xavier_uniform")(XavierUniform)
register("he_normal")(HeNormal)
register("he_uniform")(HeUniform)
register("lecun_normal")(LecunNormal)
register("lecun_uniform")(LecunUniform)
register("orthogonal")(Orthogonal)
register("identity")(Identity)
register("dirac")(Dirac)
register("zero_hadamard")(ZeroHadamard)


def names():
    """Returns the sorted tuple of registered initializer names."""
    return tuple(sorted(REGISTRY))


def get(identifier, seed=None, **kwargs):
    """Returns an initializer from a registry name, a config or an instance.

    Args:
        identifier: a registered name (see `names()`), a Keras config dict, an
            `Initializer` instance (returned as is) or a callable.
        seed: passed to random initializers built from a name (those that
            take a `seed` argument); ignored by deterministic ones.
        **kwargs: constructor arguments for an initializer built from a name.

    Returns:
        A `keras.initializers.Initializer` (or the callable given).

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if isinstance(identifier, str):
        cls = REGISTRY.get(identifier)
        if cls is None:
            raise ValueError(
                f"Unknown initializer {identifier!r}; valid names: "
                f"{', '.join(names())}. Received: identifier={identifier!r}"
            )
        if "seed" in inspect.signature(cls).parameters:
            kwargs["seed"] = seed
        return cls(**kwargs)
    if isinstance(identifier, dict):
        return keras.initializers.deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        "Could not interpret initializer identifier. "
        f"Received: identifier={identifier!r}"
    )
