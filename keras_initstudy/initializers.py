"""Keras 3 weight initializers and the one registry of their names.

Every initializer here is a `keras.initializers.Initializer` subclass,
registered for serialization under the package name `keras_initstudy`, so a
model built with them saves to `.keras` and loads again after
`import keras_initstudy`.

The registry `REGISTRY` maps snake_case names (`"zeros"`, `"he_normal"`, ...)
to classes. The model factory, the `--init` flag of the experiments and
`get(name)` all read it, so a name added here is usable everywhere at once.
"""

import math
import random as python_random

import keras

REGISTRY = {}


def register(name):
    """Class decorator: registers an initializer under a snake_case name.

    The class is also made serializable by Keras under the package
    `keras_initstudy`.
    """

    def decorator(cls):
        if name in REGISTRY:
            raise ValueError(
                f"Initializer name {name!r} is already registered."
            )
        cls = keras.saving.register_keras_serializable(
            package="keras_initstudy"
        )(cls)
        REGISTRY[name] = cls
        return cls

    return decorator


def names():
    """Returns the sorted tuple of registered initializer names."""
    return tuple(sorted(REGISTRY))


def compute_fans(shape):
    """Returns `(fan_in, fan_out)` for a Dense or convolution kernel shape.

    Dense kernels are `(in, out)`; convolution kernels are
    `(k_1, ..., k_n, in, out)`, so the receptive field size multiplies both
    fans, which is the convention of Keras and of `torch.nn.init`.

    Args:
        shape: the kernel shape, of rank 1 or more.

    Returns:
        A tuple of two ints.
    """
    shape = tuple(int(d) for d in shape)
    if not shape:
        raise ValueError(
            "Fans are undefined for a scalar (rank-0) shape. Received: shape=()"
        )
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class _Constant(keras.initializers.Initializer):
    """Fills a tensor with one value."""

    def __init__(self, value=0.0):
        self.value = float(value)

    def __call__(self, shape, dtype=None):
        return keras.ops.full(shape, self.value, dtype=dtype or "float32")

    def get_config(self):
        return {"value": self.value}


@register("constant")
class Constant(_Constant):
    """Initializer that fills every weight with the same value.

    Any identical constant, zero or not, makes every hidden unit of a layer
    compute the same function and receive the same gradient: the layer then
    behaves like a single unit for the whole of training.

    Examples:

    >>> init = Constant(0.05)
    >>> values = init(shape=(2, 2))
    >>> layer = keras.layers.Dense(3, kernel_initializer=Constant(0.05))

    Args:
        value: the fill value (a Python number).
    """


@register("zeros")
class Zeros(_Constant):
    """Initializer that sets every weight to 0.

    Safe for linear and logistic regression and for biases; fatal for the
    weights of a hidden layer (see the package README).

    Examples:

    >>> values = Zeros()(shape=(2, 2))
    >>> layer = keras.layers.Dense(3, kernel_initializer=Zeros())
    """

    def __init__(self):
        super().__init__(0.0)

    def get_config(self):
        return {}


class _Random(keras.initializers.Initializer):
    """Base class: seed handling shared by the random initializers.

    An int seed gives the same values on every call and in every process.
    `seed=None` draws one seed at construction (from Python's `random`, which
    `keras.utils.set_random_seed` seeds), so an instance returns the same
    values on every call, as Keras 3's own initializers do.
    """

    def __init__(self, seed=None):
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, int)
        ):
            raise ValueError(
                f"`seed` must be an int or None. Received: seed={seed!r}"
            )
        self.seed = seed
        self._draw_seed = (
            seed if seed is not None else python_random.randint(1, int(1e9))
        )

    def get_config(self):
        return {"seed": self.seed}


@register("random_normal")
class RandomNormal(_Random):
    """Initializer drawing from a normal distribution N(mean, stddev²).

    This is the article's "random" initialization.

    Examples:

    >>> init = RandomNormal(stddev=0.01, seed=1)
    >>> values = init(shape=(2, 2))
    >>> layer = keras.layers.Dense(3, kernel_initializer=init)

    Args:
        mean: mean of the distribution.
        stddev: standard deviation, > 0.
        seed: an int for reproducible values, or None.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        if not stddev > 0:
            raise ValueError(
                f"`stddev` must be positive. Received: stddev={stddev}"
            )
        self.mean = float(mean)
        self.stddev = float(stddev)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return keras.random.normal(
            shape, self.mean, self.stddev, dtype=dtype, seed=self._draw_seed
        )

    def get_config(self):
        return {
            "mean": self.mean,
            "stddev": self.stddev,
            **super().get_config(),
        }


@register("small_random")
class SmallRandom(RandomNormal):
    """The article's "small random" initialization: N(0, 0.01²).

    Fine for shallow networks; in deep tanh networks the activations shrink
    layer by layer towards 0 (vanishing signals).

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=SmallRandom(seed=1))

    Args:
        seed: an int for reproducible values, or None.
    """

    def __init__(self, seed=None):
        super().__init__(mean=0.0, stddev=0.01, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


@register("large_random")
class LargeRandom(RandomNormal):
    """A "large random" initialization: N(0, 1).

    Saturates tanh and sigmoid units and makes ReLU signals explode with
    depth.

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=LargeRandom(seed=1))

    Args:
        seed: an int for reproducible values, or None.
    """

    def __init__(self, seed=None):
        super().__init__(mean=0.0, stddev=1.0, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


class _VarianceScaling(_Random):
    """Draws weights with variance `scale / fan`, normal or uniform."""

    scale = 1.0
    mode = "fan_in"
    distribution = "normal"

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        fan = {
            "fan_in": fan_in,
            "fan_out": fan_out,
            "fan_avg": (fan_in + fan_out) / 2.0,
        }[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return keras.random.uniform(
                shape, -limit, limit, dtype=dtype, seed=self._draw_seed
            )
        return keras.random.normal(
            shape, 0.0, math.sqrt(variance), dtype=dtype, seed=self._draw_seed
        )


@register("xavier_normal")
class XavierNormal(_VarianceScaling):
    """Xavier (Glorot) normal: N(0, 2 / (fan_in + fan_out)).

    Keeps the variance of activations and of gradients roughly constant
    across layers for symmetric activations such as tanh.

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=XavierNormal(seed=1))

    Args:
        seed: an int for reproducible values, or None.

    Reference:
        Glorot & Bengio, "Understanding the difficulty of training deep
        feedforward neural networks", AISTATS 2010.
    """

    mode = "fan_avg"


@register("xavier_uniform")
class XavierUniform(_VarianceScaling):
    """Xavier (Glorot) uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)).

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=XavierUniform(seed=1))

    Args:
        seed: an int for reproducible values, or None.

    Reference:
        Glorot & Bengio, AISTATS 2010.
    """

    mode = "fan_avg"
    distribution = "uniform"


@register("he_normal")
class HeNormal(_VarianceScaling):
    """He (Kaiming) normal: N(0, 2 / fan_in), made for ReLU layers.

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=HeNormal(seed=1))

    Args:
        seed: an int for reproducible values, or None.

    Reference:
        He, Zhang, Ren & Sun, "Delving Deep into Rectifiers", ICCV 2015.
    """

    scale = 2.0


@register("he_uniform")
class HeUniform(_VarianceScaling):
    """He (Kaiming) uniform: U(-l, l), l = sqrt(6 / fan_in).

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=HeUniform(seed=1))

    Args:
        seed: an int for reproducible values, or None.

    Reference:
        He, Zhang, Ren & Sun, ICCV 2015.
    """

    scale = 2.0
    distribution = "uniform"


def get(identifier, seed=None, **kwargs):
    """Returns an initializer from a registry name, a config or an instance.

    Args:
        identifier: a registered name (see `names()`), a Keras config dict, an
            `Initializer` instance (returned as is) or a callable.
        seed: passed to random initializers built from a name; ignored by
            deterministic ones.
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
        if issubclass(cls, _Random):
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
