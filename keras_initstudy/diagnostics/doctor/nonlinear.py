"""The Gaussian moments of activations that the propagation needs.

For a pre-activation of mean square q: E[phi^2] and E[phi'^2] (the
theory's variance map and chi1 with sigma_w2 = 1), and the correlation of
phi's outputs for two correlated inputs (its correlation map). Activation
layers with arguments get a NumPy function of their own.
"""

import math

import keras
import numpy as np

from keras_initstudy import theory
from keras_initstudy.diagnostics import signals
from keras_initstudy.theory import activations as theory_activations

# The theory's maps need q > 0: a signal of mean square 0 (zero weights) is
# evaluated here, where phi(sqrt(q) z) is phi(0) to double precision.
_Q_FLOOR = 1e-300


def activation_map(q, activation):
    """`(E[phi^2], E[phi'^2], approximation)` at pre-activation mean square q.

    The theory's moments (which resolve a saturating activation at any q:
    `theory.quadrature.expect_checked`). `activation` is a name the theory
    knows or a callable; anything else (softmax inside a network, a custom
    function) is taken as the identity.
    """
    if activation == "linear":
        return q, 1.0, ""
    if not math.isfinite(q):
        return q, q, ""
    if isinstance(activation, str) and activation not in theory.ACTIVATIONS:
        return q, 1.0, f"activation {activation} taken as the identity"
    act = theory_activations.resolve(activation)
    if q == 0:  # Zero weights: phi(0) for every unit, whatever phi.
        phi, slope = theory_activations.values(act, np.zeros(1), 1)[:, 0]
        return float(phi**2), float(slope**2), ""
    at = max(q, _Q_FLOOR)
    return (
        theory.variance_map(at, 1.0, 0.0, act),
        theory.chi1(1.0, 0.0, act, q=at),
        "",
    )


def correlation_map(c, q, activation):
    """The correlation of phi's outputs for inputs of correlation c.

    The theory's correlation map with sigma_w2 = 1, sigma_b2 = 0:
    E[phi(u_a) phi(u_b)] / E[phi(u_a)^2] for (u_a, u_b) of mean square q and
    correlation c. Where its 2-D rule cannot resolve the activation (a
    saturating one at large q), c passes unchanged.
    """
    if activation == "linear" or not math.isfinite(q) or math.isnan(c):
        return c
    if isinstance(activation, str) and activation not in theory.ACTIVATIONS:
        return c
    try:
        return theory.correlation_map(
            min(max(c, -1.0), 1.0), max(q, _Q_FLOOR), 1.0, 0.0, activation
        )
    except theory.MeanFieldError:
        return c


def layer_function(layer):
    """The function an activation layer applies: a name or a callable.

    Layers with arguments (ReLU's cap, LeakyReLU's slope, ELU's alpha) give
    a NumPy function of their own, so the theory integrates what the layer
    computes.
    """
    if isinstance(layer, keras.layers.ReLU):
        cap, slope, threshold = (
            layer.max_value,
            layer.negative_slope,
            layer.threshold,
        )
        if not slope and not threshold:
            if cap is None:
                return "relu"
            if cap == 6:
                return "relu6"

        def relu(x):
            y = np.where(x >= threshold, x, slope * (x - threshold))
            return y if cap is None else np.minimum(y, cap)

        return relu
    if isinstance(layer, keras.layers.LeakyReLU):
        slope = layer.negative_slope

        def leaky_relu(x):
            return np.where(x > 0, x, slope * x)

        return leaky_relu
    if isinstance(layer, keras.layers.ELU):
        alpha = layer.alpha

        def elu(x):
            return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))

        return elu
    return signals.activation_name(layer)
