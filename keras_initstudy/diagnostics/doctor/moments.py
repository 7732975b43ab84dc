"""What one layer does to a signal's second moment and to its gradient.

`effect(operation, q_in, c_in, shapes, weights)` describes one call of a
layer in the mean-field picture of a wide network at initialization:
inputs whose coordinates have mean square `q_in` (one per input tensor)
give outputs of mean square `q_out`, and the squared norm of the gradient
reaching each input is `chi` times that of the gradient at the output. It
also follows `c`, the correlation E[x_a x_b] / E[x^2] of one coordinate
for two examples a and b, through the theory's correlation map: batch
normalization divides by the spread across the batch, q (1 - c), which is
what makes the gradients of deep batch-normalized networks grow by about
pi / (pi - 1) per ReLU layer (Yang et al. 2019).

Weights enter only through NumPy statistics of their actual values: a
kernel's sigma_w2 (its mean square times its fan-in) and a bias's mean
square. Activations enter through the theory's variance map
E[phi(sqrt(q) z)^2] and its chi1 = sigma_w2 E[phi'(sqrt(q) z)^2]
(`nonlinear`). For a random linear map the backward factor on squared
norms equals the forward factor on mean squares, which is why linear rules
set `chi` to their gain.

Exact for wide Dense and convolution layers with independent weights, on
zero-mean inputs; the other rules are approximations, and say which in
`Effect.approximation`:

- normalization layers reset the mean square to gamma^2 + beta^2 (their
  weights' mean squares) and pass gamma^2 / variance of the gradient, as
  in training mode: batch normalization's variance is q (1 - c) (an
  infinite batch), a per-example normalization's is q (the input's mean
  over features taken as 0);
- sums add variances (independent inputs); concatenations mix them by
  channels; products multiply them (a gate and the signal it gates are
  taken as independent);
- pooling keeps the mean square (neighbours are correlated) and the
  gradient: counted per pooled position. An average over n positions
  passes only 1/n of the squared gradient norm, but the same gradient to
  each of them, and the weights before it sum their gradients over those
  positions again; `Effect.pooled` says n, so that a measured norm can be
  counted per pooled position too;
- dropout scales both by 1 / (1 - rate), as in training mode;
- attention averages its values: the identity, between the value and the
  output projections; the gradient through the scores is neglected, and
  so are the projections' effect on c;
- recurrent layers: the state after a few steps (see `recurrent`); c
  passes unchanged;
- a layer whose only weight is a vector (a layer scale, e.g. ConvNeXt's)
  multiplies both by the vector's mean square;
- shape-only layers (reshape, padding, ...) are the identity, and so is
  any layer without a rule, which `approximation` names.
"""

import dataclasses
import math

import keras
import numpy as np

from keras_initstudy.diagnostics import signals
from keras_initstudy.diagnostics.doctor import checks
from keras_initstudy.diagnostics.doctor import families
from keras_initstudy.diagnostics.doctor import nonlinear
from keras_initstudy.diagnostics.doctor import recurrent

_SHAPE_ONLY = tuple(
    getattr(keras.layers, name)
    for name in (
        "InputLayer",
        "Flatten",
        "Reshape",
        "Permute",
        "RepeatVector",
        "ZeroPadding1D",
        "ZeroPadding2D",
        "ZeroPadding3D",
        "Cropping1D",
        "Cropping2D",
        "Cropping3D",
        "UpSampling1D",
        "UpSampling2D",
        "UpSampling3D",
        "Resizing",
        "CenterCrop",
        "Identity",
        "Masking",
        "ActivityRegularization",
    )
    if hasattr(keras.layers, name)
)
_AVERAGE_POOLING = (
    keras.layers.AveragePooling1D,
    keras.layers.AveragePooling2D,
    keras.layers.AveragePooling3D,
)
_MAX_POOLING = (
    keras.layers.MaxPooling1D,
    keras.layers.MaxPooling2D,
    keras.layers.MaxPooling3D,
    keras.layers.GlobalMaxPooling1D,
    keras.layers.GlobalMaxPooling2D,
    keras.layers.GlobalMaxPooling3D,
)
_GLOBAL_AVERAGE = (
    keras.layers.GlobalAveragePooling1D,
    keras.layers.GlobalAveragePooling2D,
    keras.layers.GlobalAveragePooling3D,
)
_DROPOUTS = (
    keras.layers.Dropout,
    keras.layers.SpatialDropout1D,
    keras.layers.SpatialDropout2D,
    keras.layers.SpatialDropout3D,
    keras.layers.GaussianDropout,
)
_ACTIVATION_LAYERS = (
    keras.layers.Activation,
    keras.layers.ReLU,
    keras.layers.LeakyReLU,
    keras.layers.ELU,
    keras.layers.Softmax,
)
_KERNEL_LAYERS = (
    keras.layers.Dense,
    keras.layers.EinsumDense,
    *families.CONVOLUTIONS,
    *families.DEPTHWISE,
    *families.SEPARABLE,
)
_RECURRENT = (keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN)
_MERGES = (
    keras.layers.Add,
    keras.layers.Subtract,
    keras.layers.Average,
    keras.layers.Maximum,
    keras.layers.Minimum,
    keras.layers.Concatenate,
    keras.layers.Multiply,
)
# Keras operations (`x + y`, `x * y` on Keras tensors) of these class names
# merge like the layers.
_SUM_OPS = ("Add", "Subtract")
_PRODUCT_OPS = ("Multiply",)
_MERGE_OPS = _SUM_OPS + _PRODUCT_OPS


@dataclasses.dataclass(frozen=True)
class Effect:
    """What one call of a layer does to the signal and to its gradient.

    Attributes:
        q_out: the mean square of each output coordinate.
        chi: per input, the squared gradient norm there over the one at
            the output.
        main: the input that carries most of the output's signal.
        activation: the activation the layer applies itself ("linear"
            for none).
        pre: the mean square before that activation (None without one).
        chi_pre: `chi` from the pre-activation (None without one).
        sigma_w2: the kernel's fan-in times its mean square, for layers
            with a kernel.
        approximation: how the rule departs from the mean-field picture
            of a wide random layer ("" when it does not).
        c_out: the correlation of the output between two examples; None
            keeps the main input's.
        pooled: the positions an average pooling averages (1 for other
            layers).
    """

    q_out: float
    chi: tuple
    main: int = 0
    activation: str = "linear"
    pre: float | None = None
    chi_pre: tuple | None = None
    sigma_w2: float | None = None
    approximation: str = ""
    c_out: float | None = None
    pooled: int = 1


class Weights:
    """Mean squares of weights, from the values the walk already read.

    Args:
        values: variable id -> NumPy value (`walk.Weight.value`); other
            variables are converted when first asked for.
    """

    def __init__(self, values):
        self._values = values
        self._ms = {}

    def value(self, variable):
        if id(variable) not in self._values:
            self._values[id(variable)] = keras.ops.convert_to_numpy(variable)
        return self._values[id(variable)]

    def ms(self, variable):
        """The mean square of a weight (0.0 for None)."""
        if variable is None:
            return 0.0
        if id(variable) not in self._ms:
            flat = np.ravel(self.value(variable))
            # A BLAS dot in float32; redone in float64 only if it overflows.
            total = float(np.dot(flat, flat)) if flat.size else 0.0
            if math.isinf(total):
                total = float(np.sum(np.square(flat, dtype=np.float64)))
            self._ms[id(variable)] = total / max(flat.size, 1)
        return self._ms[id(variable)]


def _mixed(parts):
    """The correlation of a sum of independent parts `(mean square, c)`."""
    total = sum(q for q, _ in parts)
    return sum(q * c for q, c in parts) / total if total > 0 else 0.0


def _kernel_sigma_w2(layer, weights):
    """sigma_w2 of a kernel layer: its fan-in times its mean square."""
    if isinstance(layer, families.SEPARABLE):
        depthwise = weights.value(layer.depthwise_kernel)
        pointwise = layer.pointwise_kernel
        taps = depthwise.size / (depthwise.shape[-2] * depthwise.shape[-1])
        return (
            taps
            * weights.ms(layer.depthwise_kernel)
            * pointwise.shape[-2]
            * weights.ms(pointwise)
        )
    kernel = weights.value(layer.kernel)
    if isinstance(layer, families.DEPTHWISE):
        fan_in = kernel.size / (kernel.shape[-2] * kernel.shape[-1])
    elif isinstance(layer, families.TRANSPOSED):
        # Each output reads cin inputs at prod(kernel) / prod(strides) taps.
        fan_in = kernel.size / kernel.shape[-2] / math.prod(layer.strides)
    elif isinstance(layer, keras.layers.EinsumDense):
        fans = checks.einsum_fans(layer.equation, kernel.shape)
        fan_in = fans[0] if fans else kernel.size / kernel.shape[-1]
    else:
        fan_in = kernel.size / kernel.shape[-1]
    return fan_in * weights.ms(layer.kernel)


def _kernel(layer, q_in, c_in, weights):
    sigma_w2 = _kernel_sigma_w2(layer, weights)
    bias = weights.ms(getattr(layer, "bias", None))
    pre = sigma_w2 * q_in[0] + bias
    activation = signals.activation_name(layer)
    post, slope, note = nonlinear.activation_map(pre, activation)
    c_pre = _mixed([(sigma_w2 * q_in[0], c_in[0]), (bias, 1.0)])
    return Effect(
        post,
        (sigma_w2 * slope,),
        activation=activation,
        pre=pre,
        chi_pre=(sigma_w2,),
        sigma_w2=sigma_w2,
        approximation=note,
        c_out=nonlinear.correlation_map(c_pre, pre, activation),
    )


def _named_weights(layer, weights):
    """A normalization's `(gamma, beta)` mean squares (1 and 0 if absent)."""
    gamma, beta = 1.0, 0.0
    for variable in layer.weights:
        name = variable.name.rsplit("/", 1)[-1]
        if name in ("gamma", "scale"):
            gamma = weights.ms(variable)
        elif name == "beta":
            beta = weights.ms(variable)
    return gamma, beta


def _normalization(layer, q_in, c_in, weights):
    gamma, beta = _named_weights(layer, weights)
    spread = q_in[0]
    c_out = _mixed([(gamma, c_in[0]), (beta, 1.0)])
    if isinstance(layer, keras.layers.BatchNormalization):
        # The batch's mean is subtracted: what the examples share is gone.
        spread *= 1.0 - min(max(c_in[0], -1.0), 1.0)
        c_out = _mixed([(gamma, 0.0), (beta, 1.0)])
    # The layer divides by sqrt(variance + epsilon): a vanishing input
    # stays small instead of being blown up to unit scale.
    variance = spread + getattr(layer, "epsilon", 0.0)
    return Effect(
        gamma * spread / variance + beta if variance > 0 else beta,
        (gamma / variance if variance > 0 else math.inf,),
        approximation="normalization in training mode, zero-mean input",
        c_out=c_out,
    )


def _fixed_normalization(layer, q_in, c_in):
    """keras.layers.Normalization: fixed mean and variance, zero-mean input."""
    if layer.mean is None:
        return Effect(q_in[0], (1.0,), approximation="not adapted: identity")
    mean = np.ravel(keras.ops.convert_to_numpy(layer.mean))
    variance = np.ravel(keras.ops.convert_to_numpy(layer.variance))
    variance = np.maximum(variance, keras.backend.epsilon())
    q_out = float(np.mean((q_in[0] + mean**2) / variance))
    shared = float(np.mean((q_in[0] * c_in[0] + mean**2) / variance))
    return Effect(
        q_out,
        (float(np.mean(1.0 / variance)),),
        approximation="zero-mean input",
        c_out=shared / q_out if q_out > 0 else 0.0,
    )


def _rescaling(layer, q_in, c_in):
    scale = np.mean(np.square(np.asarray(layer.scale, dtype=np.float64)))
    offset = np.mean(np.square(np.asarray(layer.offset, dtype=np.float64)))
    return Effect(
        float(scale * q_in[0] + offset),
        (float(scale),),
        c_out=_mixed([(float(scale * q_in[0]), c_in[0]), (offset, 1.0)]),
    )


def _activation(layer, q_in, c_in):
    function = nonlinear.layer_function(layer)
    post, slope, note = nonlinear.activation_map(q_in[0], function)
    return Effect(
        post,
        (slope,),
        approximation=note,
        c_out=nonlinear.correlation_map(c_in[0], q_in[0], function),
    )


def _channels(shape):
    return shape[-1] if shape and shape[-1] else 1


def _merge(layer, q_in, c_in, shapes):
    """Add, Subtract, Average, Maximum, Minimum, Concatenate, Multiply."""
    n = len(q_in)
    largest = int(np.argmax(q_in))
    name = type(layer).__name__
    if isinstance(layer, keras.layers.Concatenate):
        sizes = [
            _channels(s) if layer.axis in (-1, len(s) - 1) else 1
            for s in shapes
        ]
        total = sum(sizes)
        share = [q * c for q, c in zip(q_in, sizes, strict=True)]
        return Effect(
            sum(share) / total,
            tuple(c / total for c in sizes),
            main=int(np.argmax(share)),
            c_out=_mixed(list(zip(share, c_in, strict=True))),
        )
    if isinstance(layer, keras.layers.Multiply) or name in _PRODUCT_OPS:
        # The gated signal, not the gate: the input with the most values.
        sizes = [math.prod(d or 1 for d in s) for s in shapes]
        return Effect(
            math.prod(q_in),
            tuple(math.prod(q_in[:i] + q_in[i + 1 :]) for i in range(n)),
            main=int(np.argmax(sizes)),
            approximation="independent factors",
            c_out=math.prod(c_in),
        )
    c_out = _mixed(list(zip(q_in, c_in, strict=True)))
    if isinstance(layer, keras.layers.Average):
        return Effect(
            sum(q_in) / n**2, (1.0 / n**2,) * n, main=largest, c_out=c_out
        )
    if isinstance(layer, (keras.layers.Maximum, keras.layers.Minimum)):
        return Effect(
            max(q_in),
            (1.0 / n,) * n,
            main=largest,
            approximation="the largest input's mean square",
        )
    return Effect(sum(q_in), (1.0,) * n, main=largest, c_out=c_out)


def _pooling(layer, q_in, shapes):
    if isinstance(layer, _MAX_POOLING):
        return Effect(q_in[0], (1.0,), approximation="correlated neighbours")
    if isinstance(layer, _AVERAGE_POOLING):
        window = math.prod(layer.pool_size)
    else:  # Global: every position but the channels.
        spatial = shapes[0][1:-1]
        if layer.data_format == "channels_first":
            spatial = shapes[0][2:]
        window = math.prod(d or 1 for d in spatial)
    return Effect(
        q_in[0],
        (1.0,),
        approximation="correlated neighbours",
        pooled=window,
    )


def _dropout(layer, q_in, c_in):
    # Each example keeps its own units: only kept pairs stay correlated.
    keep = 1.0 - layer.rate
    return Effect(q_in[0] / keep, (1.0 / keep,), c_out=c_in[0] * keep)


def _attention(layer, q_in, weights):
    value_dense, output_dense = layer.value_dense, layer.output_dense
    sigma_v = _kernel_sigma_w2(value_dense, weights)
    sigma_o = _kernel_sigma_w2(output_dense, weights)
    value = 1 if len(q_in) > 1 else 0
    q_value = sigma_v * q_in[value] + weights.ms(value_dense.bias)
    chi = [0.0] * len(q_in)
    chi[value] = sigma_v * sigma_o
    return Effect(
        sigma_o * q_value + weights.ms(output_dense.bias),
        tuple(chi),
        main=value,
        approximation="attention averages the values: identity",
    )


def _recurrent(layer, q_in, weights):
    note = f"recurrent state after {recurrent.RNN_STEPS} steps"
    if isinstance(layer, keras.layers.Bidirectional):
        forward = recurrent.cell_moments(
            layer.forward_layer.cell, q_in[0], weights
        )
        backward = recurrent.cell_moments(
            layer.backward_layer.cell, q_in[0], weights
        )
        if layer.merge_mode == "concat":
            q = (forward[0] + backward[0]) / 2
            chi = (forward[1] + backward[1]) / 2
        else:
            q, chi = forward[0] + backward[0], forward[1] + backward[1]
        return Effect(q, (chi,) + (0.0,) * (len(q_in) - 1), approximation=note)
    q, chi = recurrent.cell_moments(layer.cell, q_in[0], weights)
    return Effect(q, (chi,) + (0.0,) * (len(q_in) - 1), approximation=note)


def _layer_scale(layer, weights):
    """The weight of a layer whose only weight is a vector, or None."""
    own = layer.weights
    if len(own) == 1 and len(own[0].shape) == 1 and own[0].trainable:
        return own[0]
    return None


def effect(layer, q_in, c_in, shapes, weights):
    """What one call of `layer` does to the signal (see the module doc).

    Args:
        layer: the layer or Keras operation called.
        q_in: the mean square of each input's coordinates.
        c_in: each input's correlation between two examples.
        shapes: each input's static shape (batch dimension first).
        weights: a `Weights`.

    Returns:
        An `Effect`.
    """
    q_in, c_in = tuple(q_in), tuple(c_in)
    if isinstance(layer, keras.layers.TimeDistributed):
        layer = layer.layer
    if isinstance(layer, _KERNEL_LAYERS):
        return _kernel(layer, q_in, c_in, weights)
    if isinstance(layer, families.NORMALIZATIONS):
        return _normalization(layer, q_in, c_in, weights)
    if isinstance(layer, _ACTIVATION_LAYERS):
        return _activation(layer, q_in, c_in)
    if isinstance(layer, keras.layers.Normalization):
        return _fixed_normalization(layer, q_in, c_in)
    if isinstance(layer, keras.layers.Rescaling):
        return _rescaling(layer, q_in, c_in)
    if isinstance(layer, (*_MAX_POOLING, *_AVERAGE_POOLING, *_GLOBAL_AVERAGE)):
        return _pooling(layer, q_in, shapes)
    if isinstance(layer, _DROPOUTS):
        return _dropout(layer, q_in, c_in)
    if isinstance(layer, keras.layers.MultiHeadAttention):
        return _attention(layer, q_in, weights)
    if isinstance(layer, (*_RECURRENT, keras.layers.Bidirectional)):
        return _recurrent(layer, q_in, weights)
    if isinstance(layer, keras.layers.Embedding):
        return Effect(weights.ms(layer.embeddings), (0.0,))
    if isinstance(layer, _MERGES) or type(layer).__name__ in _MERGE_OPS:
        return _merge(layer, q_in, c_in, shapes)
    if isinstance(layer, _SHAPE_ONLY):
        return Effect(q_in[0], (1.0,))
    scale = _layer_scale(layer, weights)
    if scale is not None:
        gain = weights.ms(scale)
        return Effect(q_in[0] * gain, (gain,), approximation="a layer scale")
    main = int(np.argmax(q_in))
    chi = [0.0] * len(q_in)
    chi[main] = 1.0
    return Effect(
        q_in[main],
        tuple(chi),
        main=main,
        approximation=f"no rule for {type(layer).__name__}: the identity",
    )
