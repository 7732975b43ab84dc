"""Keras 3 weight initializers and the one registry of their names.

Every initializer here is a `keras.initializers.Initializer` subclass,
registered for serialization under the package name `keras_initstudy`, so a
model built with them saves to `.keras` and loads again after
`import keras_initstudy` (also by `keras.initializers.get(
"keras_initstudy>HeNormal")`).

The registry `REGISTRY` maps snake_case names (`"zeros"`, `"he_normal"`, ...)
to classes. The model factory, the `--init` flag of the experiments and
`get(name)` all read it, so a name added here is usable everywhere at once.

Families:

- Constants: `zeros`, `ones`, `constant`.
- Plain distributions: `random_normal`, `random_uniform`,
  `truncated_normal`, and the article's `small_random` N(0, 0.01^2) and
  `large_random` N(0, 1).
- Variance scaling, `stddev = gain / sqrt(fan)`: `xavier_*`, `he_*`,
  `lecun_*` (each `_normal` and `_uniform`) and the general
  `variance_scaling`. Each takes `gain` (a number or a nonlinearity name
  for `gain.calculate_gain`) and `mode`; the `_normal` ones also take
  `truncated=True` for a normal truncated at 2 stddev with the variance
  corrected as Keras does. One class per (method, shape of distribution)
  keeps the registry names those of the papers, while `truncated` is a
  variant of the same distribution, not a new method.
- Structured: `orthogonal`, `identity` (Dense), `dirac` (convolutions) and
  `zero_hadamard` (ZerO, deterministic).

Seeds (random initializers): an int seed gives the same values on every call
and in every process; `seed=None` draws one seed at construction, so an
instance also returns the same values on every call (Keras 3 semantics).
One instance shared by two layers therefore gives them identical (same
shape) or overlapping (different shapes: the random stream is the same)
weights: `check_shared_initializers(model)` finds that and warns.
"""

import math
import numbers
import random as python_random
import warnings

import keras
import numpy as np

from keras_initstudy.initializers import gain as gain_lib
from keras_initstudy.initializers.gain import compute_fans

__all__ = [
    "REGISTRY",
    "SharedInitializerWarning",
    "check_shared_initializers",
    "compute_fans",
    "get",
    "names",
    "register",
]

REGISTRY = {}

MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("normal", "truncated_normal", "uniform")
# Standard deviation of a unit normal truncated to [-2, 2] (Keras's
# constant): dividing by it restores the requested variance after
# keras.random.truncated_normal drops the draws beyond 2 stddev.
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def register(name):
    """Class decorator: registers an initializer under a snake_case name.

    The class is also made serializable by Keras under the package
    `keras_initstudy`.
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


def names():
    """Returns the sorted tuple of registered initializer names."""
    return tuple(sorted(REGISTRY))


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"`{name}` must be a number. Received: {name}={value!r}"
        )
    if not value > 0:
        raise ValueError(f"`{name}` must be positive. Received: {name}={value}")
    return float(value)


def _check_number(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"`{name}` must be a number. Received: {name}={value!r}"
        )
    return float(value)


def _check_rank(shape, minimum, what):
    shape = tuple(shape)
    if len(shape) < minimum:
        raise ValueError(
            f"{what} needs a shape of rank {minimum} or more. "
            f"Received: shape={shape!r}"
        )
    return shape


class _Constant(keras.initializers.Initializer):
    """Fills a tensor with one value."""

    def __init__(self, value=0.0):
        self.value = _check_number("value", value)

    def __call__(self, shape, dtype=None):
        return keras.ops.full(
            shape, self.value, dtype=dtype or keras.config.floatx()
        )

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


@register("ones")
class Ones(_Constant):
    """Initializer that sets every weight to 1.

    Useful for scales (e.g. of a normalization layer); for the kernel of a
    hidden layer it is as symmetric as zeros.

    Examples:

    >>> values = Ones()(shape=(2, 2))
    >>> layer = keras.layers.Dense(3, bias_initializer=Ones())
    """

    def __init__(self):
        super().__init__(1.0)

    def get_config(self):
        return {}


class _Random(keras.initializers.Initializer):
    """Base class: seed handling shared by the random initializers.

    An int seed gives the same values on every call and in every process.
    `seed=None` draws one seed at construction (from Python's `random`, which
    `keras.utils.set_random_seed` seeds), so an instance returns the same
    values on every call, as Keras 3's own initializers do. The values come
    from Keras's stateless random ops, so they do not depend on the device
    or on a distribution strategy.
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
    """Initializer drawing from a normal distribution N(mean, stddev^2).

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
        self.mean = _check_number("mean", mean)
        self.stddev = _check_positive("stddev", stddev)
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


@register("truncated_normal")
class TruncatedNormal(RandomNormal):
    """Normal N(mean, stddev^2) with draws beyond 2 stddev redrawn.

    As in Keras and TensorFlow, `stddev` is that of the normal before
    truncation: the values have standard deviation `0.8796 * stddev`. The
    variance-scaling initializers with `truncated=True` correct for this;
    this plain one does not, to match `keras.initializers.TruncatedNormal`.

    Examples:

    >>> init = TruncatedNormal(stddev=0.02, seed=1)
    >>> layer = keras.layers.Dense(3, kernel_initializer=init)

    Args:
        mean: mean of the distribution.
        stddev: standard deviation before truncation, > 0.
        seed: an int for reproducible values, or None.
    """

    def __call__(self, shape, dtype=None):
        return keras.random.truncated_normal(
            shape, self.mean, self.stddev, dtype=dtype, seed=self._draw_seed
        )


@register("random_uniform")
class RandomUniform(_Random):
    """Initializer drawing from a uniform distribution U(minval, maxval).

    Examples:

    >>> init = RandomUniform(-0.1, 0.1, seed=1)
    >>> layer = keras.layers.Dense(3, kernel_initializer=init)

    Args:
        minval: lower bound (included).
        maxval: upper bound (excluded), > minval.
        seed: an int for reproducible values, or None.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = _check_number("minval", minval)
        self.maxval = _check_number("maxval", maxval)
        if not self.minval < self.maxval:
            raise ValueError(
                "`minval` must be less than `maxval`. "
                f"Received: minval={minval}, maxval={maxval}"
            )
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return keras.random.uniform(
            shape, self.minval, self.maxval, dtype=dtype, seed=self._draw_seed
        )

    def get_config(self):
        return {
            "minval": self.minval,
            "maxval": self.maxval,
            **super().get_config(),
        }


@register("small_random")
class SmallRandom(RandomNormal):
    """The article's "small random" initialization: N(0, 0.01^2).

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


@register("variance_scaling")
class VarianceScaling(_Random):
    """Draws weights with variance `scale / fan`.

    The general form behind Xavier, He and LeCun, with Keras's arguments:
    `fan` is `fan_in`, `fan_out` or their mean (`mode`, see
    `gain.compute_fans`), and the distribution is

    - `"normal"`: N(0, scale / fan) (torch's choice);
    - `"truncated_normal"`: a normal truncated at 2 stddev whose stddev is
      `sqrt(scale / fan) / 0.8796`, so the variance after truncation is
      `scale / fan` (Keras's choice; `"untruncated_normal"`, Keras's name
      for `"normal"`, is accepted too);
    - `"uniform"`: U(-l, l), `l = sqrt(3 * scale / fan)`, of the same
      variance.

    Examples:

    >>> init = VarianceScaling(2.0, "fan_in", "normal", seed=1)
    >>> layer = keras.layers.Dense(3, kernel_initializer=init)

    Args:
        scale: the variance times the fan, > 0.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`.
        distribution: `"normal"`, `"truncated_normal"` or `"uniform"`.
        depthwise: whether the kernels are depthwise convolution kernels
            `(k..., in, depth_multiplier)` (changes the fans).
        seed: an int for reproducible values, or None.
    """

    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        depthwise=False,
        seed=None,
    ):
        self.scale = _check_positive("scale", scale)
        if mode not in MODES:
            raise ValueError(
                f"`mode` must be one of {', '.join(MODES)}. "
                f"Received: mode={mode!r}"
            )
        if distribution == "untruncated_normal":
            distribution = "normal"
        if distribution not in DISTRIBUTIONS:
            raise ValueError(
                f"`distribution` must be one of {', '.join(DISTRIBUTIONS)}. "
                f"Received: distribution={distribution!r}"
            )
        if not isinstance(depthwise, bool):
            raise ValueError(
                f"`depthwise` must be a bool. Received: depthwise={depthwise!r}"
            )
        self.mode = mode
        self.distribution = distribution
        self.depthwise = depthwise
        super().__init__(seed)

    def stddev(self, shape):
        """The standard deviation of the values drawn for `shape`."""
        fan_in, fan_out = compute_fans(shape, depthwise=self.depthwise)
        fan = {
            "fan_in": fan_in,
            "fan_out": fan_out,
            "fan_avg": (fan_in + fan_out) / 2.0,
        }[self.mode]
        return math.sqrt(self.scale / fan)

    def __call__(self, shape, dtype=None):
        stddev = self.stddev(shape)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0) * stddev
            return keras.random.uniform(
                shape, -limit, limit, dtype=dtype, seed=self._draw_seed
            )
        if self.distribution == "truncated_normal":
            return keras.random.truncated_normal(
                shape,
                0.0,
                stddev / TRUNCATED_NORMAL_STDDEV,
                dtype=dtype,
                seed=self._draw_seed,
            )
        return keras.random.normal(
            shape, 0.0, stddev, dtype=dtype, seed=self._draw_seed
        )

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "depthwise": self.depthwise,
            "seed": self.seed,
        }


class _GainScaling(VarianceScaling):
    """Base of the named methods: `stddev = gain / sqrt(fan)`.

    Subclasses set the paper's default gain and mode; `gain` may be a number
    or a nonlinearity name resolved by `gain.calculate_gain`.
    """

    default_gain = 1.0
    default_mode = "fan_in"
    uniform = False

    def __init__(
        self, gain=None, mode=None, truncated=False, depthwise=False, seed=None
    ):
        gain = self.default_gain if gain is None else gain
        value = (
            gain_lib.calculate_gain(gain)
            if isinstance(gain, str)
            else _check_positive("gain", gain)
        )
        if not isinstance(truncated, bool):
            raise ValueError(
                f"`truncated` must be a bool. Received: truncated={truncated!r}"
            )
        if self.uniform:
            distribution = "uniform"
        else:
            distribution = "truncated_normal" if truncated else "normal"
        super().__init__(
            scale=value**2,
            mode=self.default_mode if mode is None else mode,
            distribution=distribution,
            depthwise=depthwise,
            seed=seed,
        )
        self.gain = gain if isinstance(gain, str) else value
        self.truncated = truncated

    def get_config(self):
        return {
            "gain": self.gain,
            "mode": self.mode,
            "truncated": self.truncated,
            "depthwise": self.depthwise,
            "seed": self.seed,
        }


class _UniformGainScaling(_GainScaling):
    """A `_GainScaling` drawing U(-l, l), `l = gain * sqrt(3 / fan)`."""

    uniform = True

    def __init__(self, gain=None, mode=None, depthwise=False, seed=None):
        super().__init__(gain, mode, False, depthwise, seed)

    def get_config(self):
        config = super().get_config()
        del config["truncated"]
        return config


@register("xavier_normal")
class XavierNormal(_GainScaling):
    """Xavier (Glorot) normal: N(0, gain^2 * 2 / (fan_in + fan_out)).

    Keeps the variance of activations and of gradients roughly constant
    across layers for symmetric activations such as tanh (pass
    `gain="tanh"` for torch's 5/3).

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=XavierNormal(seed=1))
    >>> init = XavierNormal(gain="tanh", truncated=True, seed=1)

    Args:
        gain: multiplies the stddev; a number > 0 or a nonlinearity name
            for `gain.calculate_gain` (e.g. `"tanh"`). Default: 1.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`. Default: `"fan_avg"`.
        truncated: draw from a normal truncated at 2 stddev, with the
            stddev divided by 0.8796 so the variance stays the same (as
            Keras's own initializers do). Default: False (as torch).
        depthwise: whether the kernels are depthwise convolution
            kernels `(k..., in, depth_multiplier)` (see `gain.compute_fans`).
        seed: an int for reproducible values, or None.

    Reference:
        Glorot & Bengio, "Understanding the difficulty of training deep
        feedforward neural networks", AISTATS 2010.
    """

    default_mode = "fan_avg"


@register("xavier_uniform")
class XavierUniform(_UniformGainScaling):
    """Xavier (Glorot) uniform: U(-l, l), l = gain * sqrt(6 / (in + out)).

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=XavierUniform(seed=1))

    Args:
        gain: multiplies the stddev; a number > 0 or a nonlinearity name
            for `gain.calculate_gain` (e.g. `"tanh"`). Default: 1.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`. Default: `"fan_avg"`.
        depthwise: whether the kernels are depthwise convolution
            kernels `(k..., in, depth_multiplier)` (see `gain.compute_fans`).
        seed: an int for reproducible values, or None.

    Reference:
        Glorot & Bengio, AISTATS 2010.
    """

    default_mode = "fan_avg"


@register("he_normal")
class HeNormal(_GainScaling):
    """He (Kaiming) normal: N(0, gain^2 / fan), gain sqrt(2) for ReLU.

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=HeNormal(seed=1))
    >>> init = HeNormal(gain=calculate_gain("leaky_relu", 0.2), seed=1)

    Args:
        gain: multiplies the stddev; a number > 0 or a nonlinearity name
            for `gain.calculate_gain` (e.g. `"tanh"`). Default: sqrt(2).
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`. Default: `"fan_in"`.
        truncated: draw from a normal truncated at 2 stddev, with the
            stddev divided by 0.8796 so the variance stays the same (as
            Keras's own initializers do). Default: False (as torch).
        depthwise: whether the kernels are depthwise convolution
            kernels `(k..., in, depth_multiplier)` (see `gain.compute_fans`).
        seed: an int for reproducible values, or None.

    Reference:
        He, Zhang, Ren & Sun, "Delving Deep into Rectifiers", ICCV 2015.
    """

    default_gain = math.sqrt(2.0)


@register("he_uniform")
class HeUniform(_UniformGainScaling):
    """He (Kaiming) uniform: U(-l, l), l = gain * sqrt(3 / fan), gain sqrt(2).

    With the default gain and mode, `l = sqrt(6 / fan_in)`.

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=HeUniform(seed=1))

    Args:
        gain: multiplies the stddev; a number > 0 or a nonlinearity name
            for `gain.calculate_gain` (e.g. `"tanh"`). Default: sqrt(2).
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`. Default: `"fan_in"`.
        depthwise: whether the kernels are depthwise convolution
            kernels `(k..., in, depth_multiplier)` (see `gain.compute_fans`).
        seed: an int for reproducible values, or None.

    Reference:
        He, Zhang, Ren & Sun, ICCV 2015.
    """

    default_gain = math.sqrt(2.0)


@register("lecun_normal")
class LecunNormal(_GainScaling):
    """LeCun normal: N(0, gain^2 / fan_in), gain 1.

    The initialization of self-normalizing (selu) networks.

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=LecunNormal(seed=1))

    Args:
        gain: multiplies the stddev; a number > 0 or a nonlinearity name
            for `gain.calculate_gain` (e.g. `"tanh"`). Default: 1.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`. Default: `"fan_in"`.
        truncated: draw from a normal truncated at 2 stddev, with the
            stddev divided by 0.8796 so the variance stays the same (as
            Keras's own initializers do). Default: False (as torch).
        depthwise: whether the kernels are depthwise convolution
            kernels `(k..., in, depth_multiplier)` (see `gain.compute_fans`).
        seed: an int for reproducible values, or None.

    Reference:
        LeCun, Bottou, Orr & Mueller, "Efficient BackProp", 1998;
        Klambauer et al., "Self-Normalizing Neural Networks", NeurIPS 2017.
    """


@register("lecun_uniform")
class LecunUniform(_UniformGainScaling):
    """LeCun uniform: U(-l, l), l = gain * sqrt(3 / fan_in), gain 1.

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=LecunUniform(seed=1))

    Args:
        gain: multiplies the stddev; a number > 0 or a nonlinearity name
            for `gain.calculate_gain` (e.g. `"tanh"`). Default: 1.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`. Default: `"fan_in"`.
        depthwise: whether the kernels are depthwise convolution
            kernels `(k..., in, depth_multiplier)` (see `gain.compute_fans`).
        seed: an int for reproducible values, or None.

    Reference:
        LeCun, Bottou, Orr & Mueller, "Efficient BackProp", 1998.
    """


@register("orthogonal")
class Orthogonal(_Random):
    """Initializer that produces a random orthogonal matrix times `gain`.

    The kernel is viewed as a matrix `(prod(shape[:-1]), shape[-1])` (a
    convolution kernel is flattened over its window and input channels).
    The matrix is the Q factor of the QR decomposition of a normal matrix,
    with signs fixed by R's diagonal so that it is uniformly (Haar)
    distributed. Tall matrices have orthonormal columns, `W^T W = gain^2 I`;
    wide ones orthonormal rows, `W W^T = gain^2 I`.

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=Orthogonal(seed=1))

    Args:
        gain: multiplies the orthogonal matrix, > 0.
        seed: an int for reproducible values, or None.

    Reference:
        Saxe, McClelland & Ganguli, "Exact solutions to the nonlinear
        dynamics of learning in deep linear neural networks", ICLR 2014
        (arXiv 2013).
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = _check_positive("gain", gain)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape = _check_rank(shape, 2, "An orthogonal initializer")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = keras.random.normal(
            (max(rows, cols), min(rows, cols)),
            dtype=dtype,
            seed=self._draw_seed,
        )
        q, r = keras.ops.qr(a)
        # Without the sign fix, Q's distribution depends on the QR
        # algorithm's sign convention instead of being Haar.
        q = q * keras.ops.sign(keras.ops.diagonal(r))
        if rows < cols:
            q = keras.ops.transpose(q)
        return self.gain * keras.ops.reshape(q, shape)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


@register("identity")
class Identity(keras.initializers.Initializer):
    """Initializer for Dense kernels: the (rectangular) identity times `gain`.

    A kernel `(in, out)` gets ones on its main diagonal, as
    `keras.initializers.Identity` and `torch.nn.init.eye_`; for
    convolution kernels use `Dirac`.

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=Identity())

    Args:
        gain: the diagonal value (a number).
    """

    def __init__(self, gain=1.0):
        self.gain = _check_number("gain", gain)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity is for 2-D (Dense) kernels; use Dirac for "
                f"convolution kernels. Received: shape={shape!r}"
            )
        return self.gain * keras.ops.eye(
            *shape, dtype=dtype or keras.config.floatx()
        )

    def get_config(self):
        return {"gain": self.gain}


@register("dirac")
class Dirac(keras.initializers.Initializer):
    """Initializer for convolution kernels that makes the layer the identity.

    A kernel `(k..., in, out)` gets a 1 at the window's centre for input
    channel `i` and output channel `i` (`i < min(in, out)`), so a
    "same"-padded convolution copies its input channels, as
    `torch.nn.init.dirac_`. With `groups > 1` (grouped convolution, kernel
    `(k..., in / groups, out)`), each group of `out / groups` filters
    copies the group's input channels.

    Examples:

    >>> layer = keras.layers.Conv2D(8, 3, padding="same",
    ...                             kernel_initializer=Dirac())

    Args:
        groups: number of groups, a positive int dividing the filters.
    """

    def __init__(self, groups=1):
        if (
            isinstance(groups, bool)
            or not isinstance(groups, int)
            or groups < 1
        ):
            raise ValueError(
                f"`groups` must be a positive int. Received: groups={groups!r}"
            )
        self.groups = groups

    def __call__(self, shape, dtype=None):
        shape = _check_rank(shape, 3, "Dirac (a convolution kernel)")
        in_channels, out_channels = shape[-2], shape[-1]
        if out_channels % self.groups:
            raise ValueError(
                f"The filters ({out_channels}) must be divisible by groups "
                f"({self.groups}). Received: shape={shape!r}"
            )
        per_group = out_channels // self.groups
        centre = tuple(k // 2 for k in shape[:-2])
        kernel = np.zeros(shape, dtype="float32")
        for g in range(self.groups):
            for d in range(min(per_group, in_channels)):
                kernel[(*centre, d, g * per_group + d)] = 1.0
        return keras.ops.convert_to_tensor(
            kernel, dtype=dtype or keras.config.floatx()
        )

    def get_config(self):
        return {"groups": self.groups}


def _hadamard(n):
    """Sylvester's Hadamard matrix of order n (a power of 2), entries +-1."""
    index = np.arange(n)
    # H[i, j] = (-1) ** popcount(i & j): Sylvester's recursive construction
    # in closed form.
    bits = np.bitwise_and.outer(index, index)
    parity = np.zeros_like(bits)
    while bits.any():
        parity ^= bits & 1
        bits >>= 1
    return 1.0 - 2.0 * parity


@register("zero_hadamard")
class ZeroHadamard(keras.initializers.Initializer):
    """ZerO initialization: deterministic, only zeros and +-c.

    For a Dense kernel `(fan_in, fan_out)`, i.e. the paper's
    `W (fan_out x fan_in)` transposed:

    - `fan_out <= fan_in`: the (partial) identity, output unit `j` copies
      input `j`;
    - `fan_out > fan_in` (dimension-increasing): `c * H[rows, :fan_out]`,
      `fan_in` rows of Sylvester's Hadamard matrix `H` of order `2^m`,
      `m = ceil(log2(fan_out))`. A partial identity would leave
      `fan_out - fan_in` units at zero for ever ("training degeneracy" in
      the paper); Hadamard rows are orthogonal, so the inputs stay apart.

    Which rows: the paper (and its code) takes the first `fan_in`. With
    Sylvester's `H[i, j] = (-1)^popcount(i & j)`, rows `i < 2^b` only see
    the low `b` bits of `j`, so when `fan_out > 2^ceil(log2(fan_in))`
    (e.g. 100 -> 256) units `j` and `j + 2^b` get identical weights: the
    symmetry ZerO exists to break. Here the rows are the powers of two
    first, then the other indices in order, the first `fan_in` of those,
    sorted: they span GF(2)^m, so every unit differs from every other
    whenever `fan_in >= m`. When the first `fan_in` rows already contain
    every power of two (e.g. 784 -> 1024), this is exactly the paper's
    matrix.

    Convolution kernels `(k..., in, out)` get that matrix at the window's
    centre and zeros elsewhere (as the authors do for ResNets).

    The constant: Algorithm 1 of the paper writes `c = 2^(-(m-1)/2)`, while
    the authors' reference code (the MNIST example of
    jiaweizzhao/ZerO-initialization) divides by `2^(m/2)`. This class uses
    `c = 2^(-m/2)`, the code's value: it is the one that makes `c * H`
    orthogonal, so the dimension-increasing layer preserves the norm of its
    input exactly like the identity branches do (`W^T W = I` when `fan_out`
    is a power of 2). The paper's value is this times sqrt(2), a ReLU-style
    gain that only the Hadamard layers would get.

    Note: in a dimension-decreasing first layer (e.g. 784 pixels -> 128
    units) each unit copies one input: on MNIST the first 128 pixels are
    the image's blank top rows, so with ReLU those units start dead. Make
    the first hidden layer wider than the input (e.g. 1024) so it is
    Hadamard-initialized.

    Examples:

    >>> init = ZeroHadamard()
    >>> values = init(shape=(4, 8))
    >>> layer = keras.layers.Dense(1024, kernel_initializer=init)

    Reference:
        Zhao, Schaefer & Anandkumar, "ZerO Initialization: Initializing
        Neural Networks with only Zeros and Ones", TMLR 2022.
    """

    @staticmethod
    def constant(fan_out):
        """The nonzero magnitude c of a dimension-increasing kernel."""
        return 2.0 ** (-math.ceil(math.log2(fan_out)) / 2.0)

    @staticmethod
    def matrix(fan_in, fan_out):
        """The `(fan_in, fan_out)` ZerO matrix as a float64 NumPy array."""
        if fan_out <= fan_in:
            return np.eye(fan_in, fan_out)
        m = math.ceil(math.log2(fan_out))
        powers = [2**k for k in range(m)]
        others = [i for i in range(2**m) if i not in set(powers)]
        rows = sorted((powers + others)[:fan_in])
        return ZeroHadamard.constant(fan_out) * _hadamard(2**m)[rows, :fan_out]

    def __call__(self, shape, dtype=None):
        shape = _check_rank(shape, 2, "ZerO initialization")
        kernel = np.zeros(shape, dtype="float32")
        centre = tuple(k // 2 for k in shape[:-2])
        kernel[centre] = self.matrix(shape[-2], shape[-1])
        return keras.ops.convert_to_tensor(
            kernel, dtype=dtype or keras.config.floatx()
        )

    def get_config(self):
        return {}


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


class SharedInitializerWarning(UserWarning):
    """One random initializer instance initializes several weights."""


def _walk(layer):
    yield layer
    for child in getattr(layer, "layers", ()):
        yield from _walk(child)


def check_shared_initializers(model):
    """Finds random initializer instances shared by several weights; warns.

    Keras 3 initializers (these and Keras's own) are stateless: an instance
    returns the same values on every call, seeded or not. So one instance
    passed to two layers, e.g. `init = HeNormal(); Dense(64,
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
    findings = []
    for init, weights in uses.values():
        if len(weights) < 2:
            continue
        shapes = [shape for _, shape in weights]
        finding = {
            "initializer": type(init).__name__,
            "weights": [name for name, _ in weights],
            "identical": len(set(shapes)) < len(shapes),
        }
        findings.append(finding)
        if getattr(init, "_keras_initstudy_warned", False):
            continue
        init._keras_initstudy_warned = True
        warnings.warn(
            f"One {finding['initializer']} instance initializes "
            f"{', '.join(finding['weights'])}: Keras initializers return the "
            "same values on every call, so these weights are "
            + ("identical" if finding["identical"] else "overlapping")
            + ". Give each layer its own instance and seed.",
            SharedInitializerWarning,
            stacklevel=2,
        )
    return findings
