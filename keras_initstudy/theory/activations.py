"""Activations as float64 NumPy functions, and their derivatives.

`resolve(activation)` accepts a Keras activation name, "erf", "exp", or a
Python callable (NumPy in, NumPy out; a returned tensor is converted with
`np.asarray`) and returns an `Activation`. `values(act, x, order)` gives
phi and its first `order` derivatives at x. The derivatives come from the
function itself by central differences, never from a table, so any
activation works, including ones the theory has never seen.
"""

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from keras_initstudy.theory.errors import MeanFieldError

# Keras 3's constants: keras.activations.selu and leaky_relu's default.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_LEAKY_SLOPE = 0.2

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    # The tanh form neither overflows nor loses digits for large |x|.
    return 0.5 + 0.5 * np.tanh(0.5 * x)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _hard_sigmoid(x):
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def _silu(x):
    return x * _sigmoid(x)


def _hard_silu(x):
    return x * _hard_sigmoid(x)


# The functions of keras.activations under their Keras names (the tests
# compare each one with Keras), plus erf and exp.
_NAMED = {
    "elu": _elu,
    "erf": _erf,
    "exp": np.exp,
    "exponential": np.exp,
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
    "hard_sigmoid": _hard_sigmoid,
    "hard_silu": _hard_silu,
    "hard_swish": _hard_silu,
    "hard_tanh": lambda x: np.clip(x, -1.0, 1.0),
    "leaky_relu": lambda x: np.where(x > 0, x, _LEAKY_SLOPE * x),
    "linear": lambda x: x,
    "log_sigmoid": lambda x: -_softplus(-x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "selu": lambda x: _SELU_SCALE * _elu(x, _SELU_ALPHA),
    "sigmoid": _sigmoid,
    "silu": _silu,
    "softplus": _softplus,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "swish": _silu,
    "tanh": np.tanh,
}
NAMES = tuple(sorted(_NAMED))

# Central differences with a step proportional to |x|. Relative steps of
# eps**(1/3) and eps**(1/4) balance the truncation error (h**2) against
# round-off (eps / h and eps / h**2) for the first and second derivative.
# A step that scales with |x| never reaches across 0, so a kink at 0 (ReLU)
# is seen from one side only: at a nonzero x, ReLU's phi' is exactly 0 or 1
# and its phi'' exactly 0.
_STEP_1 = np.finfo(np.float64).eps ** (1.0 / 3.0)
_STEP_2 = np.finfo(np.float64).eps ** (1.0 / 4.0)
# Keeps the step nonzero at x = 0 (no quadrature node sits there).
_TINY = np.finfo(np.float64).tiny


@dataclasses.dataclass(frozen=True)
class Activation:
    """A resolved activation: its name and a float64 NumPy function."""

    name: str
    function: Callable

    def __call__(self, x):
        with np.errstate(all="ignore"):
            y = np.asarray(self.function(x), dtype=np.float64)
        if y.shape != np.shape(x):
            raise MeanFieldError(
                f"activation {self.name} must return an array of its input's "
                f"shape {np.shape(x)}. Received: shape={y.shape}"
            )
        return y


def resolve(activation):
    """An `Activation` for a name in `NAMES` or a callable.

    Args:
        activation: a name in `NAMES`, an `Activation`, or a callable that
            maps a float64 array to an array of the same shape.

    Returns:
        An `Activation`.

    Raises:
        MeanFieldError: for an unknown name or anything else.
    """
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str):
        if activation not in _NAMED:
            raise MeanFieldError(
                f"Unknown activation; known: {', '.join(NAMES)}, or pass a "
                f"callable. Received: activation={activation!r}"
            )
        return Activation(activation, _NAMED[activation])
    if callable(activation):
        name = getattr(activation, "__name__", type(activation).__name__)
        return Activation(name, activation)
    raise MeanFieldError(
        "activation must be a name or a callable. "
        f"Received: activation={activation!r}"
    )


def values(act, x, order=0):
    """phi(x) and its first `order` derivatives, stacked on axis 0.

    One call of the activation evaluates all the points the differences
    need, which matters for slow callables.

    Args:
        act: an `Activation`.
        x: a float64 array (any shape).
        order: 0, 1 or 2.

    Returns:
        An array of shape `(order + 1, *x.shape)`: phi, phi', phi''.
    """
    scale = np.maximum(np.abs(x), _TINY)
    points = [x]
    for step in (_STEP_1, _STEP_2)[:order]:
        points += [x - step * scale, x + step * scale]
    y = act(np.stack(points))
    result = [y[0]]
    if order >= 1:
        # The representable distance between the two points, not 2 h.
        result.append((y[2] - y[1]) / (points[2] - points[1]))
    if order >= 2:
        below, above = x - points[3], points[4] - x
        slopes = (y[4] - y[0]) / above - (y[0] - y[3]) / below
        result.append(2.0 * slopes / (above + below))
    return np.stack(result)
