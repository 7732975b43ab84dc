"""Recurrent layers in the propagation: the state after a few steps.

A documented approximation: from a zero state, each step maps the input's
and the state's mean squares through every gate's block of the kernels,
gates at their mean square (independent of what they gate); after
`RNN_STEPS` steps the state's mean square is the output's. The gradient
is that of the last step: a layer that returns only its last state also
passes gradient back to the earlier steps through its state, which this
leaves out, so its backward factor is a lower bound.
"""

import keras
import numpy as np

from keras_initstudy.diagnostics import signals
from keras_initstudy.diagnostics.doctor import nonlinear
from keras_initstudy.theory import activations as theory_activations

# A recurrent state is followed for at most this many steps from zero: most
# of the way to its fixed point for gates near 1/2, at a few theory calls a
# step.
RNN_STEPS = 10


def _blocks(variable, weights, gates):
    """Each gate's block of a weight, as `(rows, gates, units)`."""
    units = variable.shape[-1] // gates
    return weights.value(variable).reshape(-1, gates, units)


def _sigma_w2(variable, weights, gates, fan_in):
    squares = np.square(_blocks(variable, weights, gates), dtype=np.float64)
    return np.mean(squares, axis=(0, 2)) * fan_in


def _shifted(activation, shift):
    """x -> phi(x + shift): a gate whose bias has mean `shift`."""
    if shift == 0:
        return activation
    phi = theory_activations.resolve(activation)

    def gate(x):
        return phi(x + shift)

    gate.__name__ = f"{phi.name}(x{shift:+.3g})"
    return gate


def cell_moments(cell, q_x, weights):
    """`(q_h, chi)` of a recurrent cell after `RNN_STEPS` steps.

    chi sums the squared gradient that reaches the input through each gate
    of the last step, gates and what they gate taken as independent.

    A gate's bias enters by its mean (LSTM's forget bias of 1 keeps the
    forget gate near sigmoid(1)) and its variance across units.
    """
    gates = {
        keras.layers.LSTMCell: 4,
        keras.layers.GRUCell: 3,
        keras.layers.SimpleRNNCell: 1,
    }[type(cell)]
    w_in = _sigma_w2(cell.kernel, weights, gates, cell.kernel.shape[0])
    w_rec = _sigma_w2(cell.recurrent_kernel, weights, gates, cell.units)
    mean = spread = np.zeros(gates)
    if getattr(cell, "bias", None) is not None:
        bias = _blocks(cell.bias, weights, gates).astype(np.float64)
        mean, spread = bias.mean(axis=(0, 2)), bias.var(axis=(0, 2))
    act = signals.activation_name(cell)
    gate_act = getattr(cell, "recurrent_activation", None)
    gate_act = getattr(gate_act, "__name__", "sigmoid")

    def square(q, g, activation=gate_act, sign=1.0):
        shifted = _shifted(activation, sign * mean[g])
        return nonlinear.activation_map(q, shifted)

    q_h = q_c = chi = 0.0
    for _ in range(RNN_STEPS):
        pre = w_in * q_x + w_rec * q_h + spread
        if gates == 1:
            q_h, slope, _ = square(pre[0], 0, act)
            chi = w_in[0] * slope
        elif gates == 4:  # Keras's order: input, forget, cell, output.
            (i, di), (f, df), (o, do) = (
                square(pre[g], g)[:2] for g in (0, 1, 3)
            )
            q_g, dg, _ = square(pre[2], 2, act)
            q_prev, q_c = q_c, f * q_c + i * q_g
            tanh_c, dtanh, _ = nonlinear.activation_map(q_c, act)
            q_h = o * tanh_c
            # h = o tanh(c), c = f c' + i g: every gate's path to the input.
            chi = (
                o * dtanh * (i * dg * w_in[2] + q_g * di * w_in[0])
                + o * dtanh * q_prev * df * w_in[1]
                + tanh_c * do * w_in[3]
            )
        else:  # Keras's order: update, reset, candidate.
            (z, dz), (r, _) = (square(pre[g], g)[:2] for g in (0, 1))
            # 1 - sigmoid(x + b) = sigmoid(-x - b), and -x is x in law.
            keep = square(pre[0], 0, sign=-1.0)[0]
            pre_h = w_in[2] * q_x + w_rec[2] * r * q_h + spread[2]
            q_g, dg, _ = square(pre_h, 2, act)
            # h = z h' + (1 - z) g: the update gate's and the candidate's.
            chi = (q_h + q_g) * dz * w_in[0] + keep * dg * w_in[2]
            q_h = z * q_h + keep * q_g
    return q_h, chi
