"""Recurrent layers in the propagation: the state after a few steps.

A documented approximation: from a zero state, each step maps the input's
and the state's mean squares through every gate's block of the kernels
(gates at their mean square, biases taken as random with their mean
square); after `RNN_STEPS` steps the state's mean square is the output's.
The gradient follows the candidate path of one step.
"""

import keras
import numpy as np

from keras_initstudy.diagnostics import signals
from keras_initstudy.diagnostics.doctor import nonlinear

# A recurrent state is followed for at most this many steps from zero: most
# of the way to its fixed point for gates near 1/2, at a few theory calls a
# step.
RNN_STEPS = 10


def _blocks(variable, weights, gates, fan_in):
    """sigma_w2 (or, fan_in None, the mean square) of each gate's block."""
    units = variable.shape[-1] // gates
    value = weights.value(variable).reshape(-1, gates, units)
    squares = np.mean(np.square(value, dtype=np.float64), axis=(0, 2))
    return squares * (fan_in or 1)


def cell_moments(cell, q_x, weights):
    """`(q_h, chi)` of a recurrent cell after `RNN_STEPS` steps."""
    gates = {
        keras.layers.LSTMCell: 4,
        keras.layers.GRUCell: 3,
        keras.layers.SimpleRNNCell: 1,
    }[type(cell)]
    units = cell.units
    w_in = _blocks(cell.kernel, weights, gates, cell.kernel.shape[0])
    w_rec = _blocks(cell.recurrent_kernel, weights, gates, units)
    bias = (
        _blocks(cell.bias, weights, gates, None)
        if getattr(cell, "bias", None) is not None
        else np.zeros(gates)
    )
    act = signals.activation_name(cell)
    gate_act = getattr(cell, "recurrent_activation", None)
    gate_act = getattr(gate_act, "__name__", "sigmoid")

    def square(q, activation):
        return nonlinear.activation_map(q, activation)[0]

    q_h = q_c = 0.0
    chi = 0.0
    for _ in range(RNN_STEPS):
        pre = w_in * q_x + w_rec * q_h + bias
        if gates == 1:
            q_h, slope, _ = nonlinear.activation_map(pre[0], act)
            chi = w_in[0] * slope
        elif gates == 4:  # Keras's order: input, forget, cell, output.
            i, f, o = (square(pre[g], gate_act) for g in (0, 1, 3))
            q_g, slope, _ = nonlinear.activation_map(pre[2], act)
            q_c = f * q_c + i * q_g
            tanh_c, tanh_slope, _ = nonlinear.activation_map(q_c, act)
            q_h = o * tanh_c
            chi = o * tanh_slope * i * w_in[2] * slope
        else:  # Keras's order: update, reset, candidate.
            z, r = (square(pre[g], gate_act) for g in (0, 1))
            pre_h = w_in[2] * q_x + w_rec[2] * r * q_h + bias[2]
            q_g, slope, _ = nonlinear.activation_map(pre_h, act)
            q_h = z * (q_h + q_g)
            chi = z * w_in[2] * slope
    return q_h, chi
