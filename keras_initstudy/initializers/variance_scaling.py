"""Variance scaling, `stddev = gain / sqrt(fan)`: the general
`VarianceScaling` and the named methods Xavier (Glorot), He (Kaiming) and
LeCun, each `_normal` and `_uniform`.

Each named method takes `gain` (a number or a nonlinearity name for
`gain.calculate_gain`) and `mode`; the `_normal` ones also take
`truncated=True` for a normal truncated at 2 stddev with the variance
corrected as Keras does. One class per (method, shape of distribution) keeps
the registry names those of the papers, while `truncated` is a variant of
the same distribution, not a new method.

Why not subclasses of `keras.initializers.VarianceScaling`: the behaviour
differs. There `distribution="normal"` means truncated, here untruncated
(torch's choice); the fans here know depthwise kernels
(`gain.compute_fans`); and the uniform limit is `sqrt(3) * stddev`, not
Keras's `sqrt(3 * scale / fan)`, which can differ in the last bit. Seeds
behave as in `keras_initstudy.initializers.random`.
"""

import math
import random as python_random

import keras

from keras_initstudy.initializers import _checks
from keras_initstudy.initializers import gain as gain_lib

MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("normal", "truncated_normal", "uniform")
# Standard deviation of a unit normal truncated to [-2, 2] (Keras's
# constant): dividing by it restores the requested variance after
# keras.random.truncated_normal drops the draws beyond 2 stddev.
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {', '.join(choices)}. "
            f"Received: {name}={value!r}"
        )
    return value


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise ValueError(f"`{name}` must be a bool. Received: {name}={value!r}")
    return value


class VarianceScaling(keras.initializers.Initializer):
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
        self.scale = _checks.positive("scale", scale)
        self.mode = _check_choice("mode", mode, MODES)
        if distribution == "untruncated_normal":
            distribution = "normal"
        self.distribution = _check_choice(
            "distribution", distribution, DISTRIBUTIONS
        )
        self.depthwise = _check_bool("depthwise", depthwise)
        # Keras's random initializers (whose base class is not public) keep
        # the seed passed for get_config and draw one now when it is None;
        # the same here, so every random initializer behaves alike.
        self._init_seed = _checks.seed(seed)
        self.seed = python_random.randint(1, int(1e9)) if seed is None else seed

    def stddev(self, shape):
        """The standard deviation of the values drawn for `shape`."""
        fan_in, fan_out = gain_lib.compute_fans(shape, depthwise=self.depthwise)
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
                shape, -limit, limit, dtype=dtype, seed=self.seed
            )
        if self.distribution == "truncated_normal":
            return keras.random.truncated_normal(
                shape,
                0.0,
                stddev / TRUNCATED_NORMAL_STDDEV,
                dtype=dtype,
                seed=self.seed,
            )
        return keras.random.normal(
            shape, 0.0, stddev, dtype=dtype, seed=self.seed
        )

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "depthwise": self.depthwise,
            "seed": self._init_seed,
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
            else _checks.positive("gain", gain)
        )
        _check_bool("truncated", truncated)
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
            "seed": self._init_seed,
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
