"""Nonlinearity gains, and fans of Dense, convolution and depthwise kernels.

Two small pure functions that the variance-scaling initializers build on:

- `calculate_gain(nonlinearity, param=None)`: the factor by which the
  standard deviation of the weights is multiplied so that a layer followed by
  `nonlinearity` keeps the variance of its signal, with the values of
  `torch.nn.init.calculate_gain`.
- `compute_fans(shape, depthwise=False)`: `(fan_in, fan_out)` of a kernel in
  Keras's layout.
"""

import math
import numbers
import operator

# torch.nn.init.calculate_gain's table; "leaky_relu" depends on the slope.
_FIXED_GAINS = {
    "linear": 1.0,
    "identity": 1.0,
    "conv1d": 1.0,
    "conv2d": 1.0,
    "conv3d": 1.0,
    "conv_transpose1d": 1.0,
    "conv_transpose2d": 1.0,
    "conv_transpose3d": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}
_NO_ANALYTIC_GAIN = ("gelu", "swish", "silu", "elu", "mish", "softplus")
DEFAULT_LEAKY_RELU_SLOPE = 0.01


def nonlinearities():
    """Returns the sorted names `calculate_gain` accepts."""
    return tuple(sorted([*_FIXED_GAINS, "leaky_relu"]))


def calculate_gain(nonlinearity, param=None):
    """Returns the recommended gain for a nonlinearity, as torch does.

    The gain multiplies the standard deviation of a variance-scaling
    initializer (`stddev = gain / sqrt(fan)`), so that a layer followed by
    the nonlinearity roughly keeps the second moment of its signal. The
    values are those of `torch.nn.init.calculate_gain`:

    | nonlinearity                  | gain                        |
    |-------------------------------|-----------------------------|
    | linear, identity, conv*, sigmoid | 1                        |
    | tanh                          | 5/3                         |
    | relu                          | sqrt(2)                     |
    | leaky_relu                    | sqrt(2 / (1 + slope**2))    |
    | selu                          | 3/4                         |

    `param` is the negative slope of leaky_relu (default 0.01, torch's
    default; Keras's `LeakyReLU` defaults to 0.3, so pass it explicitly).
    selu's 3/4 is torch's choice for self-normalizing networks, which are
    usually initialized with `lecun_normal` (gain 1) instead.

    gelu, swish/silu, elu, mish and softplus raise ValueError: they have no
    closed-form gain, and torch has none either. An empirical value would
    depend on the input distribution (the preactivation scale changes how
    much of the negative part survives), so rather than silently pick one,
    the error says to use `relu`'s sqrt(2) (close for gelu and swish, whose
    positive part is nearly linear) or to measure it, e.g. with `lsuv`.

    Examples:

    >>> calculate_gain("tanh")
    1.6666666666666667
    >>> round(calculate_gain("leaky_relu", 0.2), 4)
    1.3868

    Args:
        nonlinearity: a name from `nonlinearities()`.
        param: the negative slope of "leaky_relu" (ignored otherwise).

    Returns:
        The gain, a Python float.

    Raises:
        ValueError: for an unknown nonlinearity or a non-numeric slope.

    Reference:
        He, Zhang, Ren & Sun, "Delving Deep into Rectifiers", ICCV 2015
        (relu and leaky_relu); PyTorch's `torch.nn.init.calculate_gain`.
    """
    if nonlinearity in _FIXED_GAINS:
        return _FIXED_GAINS[nonlinearity]
    if nonlinearity == "leaky_relu":
        slope = DEFAULT_LEAKY_RELU_SLOPE if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, numbers.Real):
            raise ValueError(
                "The leaky_relu slope must be a number. "
                f"Received: param={param!r}"
            )
        return math.sqrt(2.0 / (1.0 + float(slope) ** 2))
    if nonlinearity in _NO_ANALYTIC_GAIN:
        raise ValueError(
            f"{nonlinearity} has no closed-form gain; use "
            "calculate_gain('relu') (sqrt(2), close for smooth ReLU-like "
            "units) or fit the scale to data with "
            "keras_initstudy.initializers.lsuv.lsuv. "
            f"Received: nonlinearity={nonlinearity!r}"
        )
    raise ValueError(
        f"Unknown nonlinearity; valid: {', '.join(nonlinearities())}. "
        f"Received: nonlinearity={nonlinearity!r}"
    )


def compute_fans(shape, depthwise=False):
    """Returns `(fan_in, fan_out)` of a kernel in Keras's layout.

    - Dense `(in, out)`: `(in, out)`.
    - Convolution `(k_1, ..., k_n, in, out)` (Conv1D/2D/3D): both fans are
      multiplied by the receptive field `r = k_1 * ... * k_n`:
      `(r * in, r * out)`. This is Keras's convention and also torch's
      (torch stores `(out, in, k...)` and computes the same two numbers).
    - Depthwise `(k_1, ..., k_n, in, depth_multiplier)` with
      `depthwise=True`: each output channel sees one input channel, so
      `fan_in = r` and `fan_out = r * depth_multiplier`. Keras's own
      initializers do not know a kernel is depthwise and use
      `(r * in, r * depth_multiplier)`, which underestimates the variance
      by a factor `in`; torch (weight `(in * m, 1, k...)`, groups=in) gets
      `fan_in = r` right but `fan_out = r * in * m`.
    - A rank-1 shape `(n,)` gives `(n, n)`, as in Keras.

    Examples:

    >>> compute_fans((784, 128))
    (784, 128)
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    >>> compute_fans((3, 3, 16, 2), depthwise=True)
    (9, 18)

    Args:
        shape: the kernel shape, of rank 1 or more, positive dimensions.
        depthwise: whether the kernel is a depthwise convolution kernel.

    Returns:
        A tuple of two ints.

    Raises:
        ValueError: for a rank-0 shape, a non-positive dimension, or
            `depthwise=True` with a shape of rank < 3.
    """
    shape = tuple(shape)
    try:
        shape = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise ValueError(
            f"Every dimension must be an int. Received: shape={shape!r}"
        ) from None
    if not shape:
        raise ValueError(
            "Fans are undefined for a scalar (rank-0) shape. Received: shape=()"
        )
    if any(d < 1 for d in shape):
        raise ValueError(
            f"Every dimension must be positive. Received: shape={shape!r}"
        )
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    if depthwise:
        if len(shape) < 3:
            raise ValueError(
                "A depthwise kernel is (k..., in, depth_multiplier), of rank "
                f"3 or more. Received: shape={shape!r}"
            )
        return receptive_field, receptive_field * shape[-1]
    return shape[-2] * receptive_field, shape[-1] * receptive_field
