"""The Keras layers and activations the doctor treats alike.

The doctor's rules name families, not classes: "a convolution", "a
normalization", "the relu family". Each family is defined here once, so the
walk, the layer graph and the checks agree on what belongs to it.
"""

import keras

# Activations judged against He's std, sqrt(2 / fan_in), rather than
# Glorot's, and whose units the signal checks may find dead.
RELU_FAMILY = (
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "swish",
)
# RMSNormalization is missing from older Keras 3 releases.
NORMALIZATIONS = tuple(
    getattr(keras.layers, name)
    for name in (
        "BatchNormalization",
        "LayerNormalization",
        "GroupNormalization",
        "RMSNormalization",
    )
    if hasattr(keras.layers, name)
)
CELLS = (
    keras.layers.LSTMCell,
    keras.layers.GRUCell,
    keras.layers.SimpleRNNCell,
)
DEPTHWISE = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
SEPARABLE = (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)
TRANSPOSED = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)
CONVOLUTIONS = (
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
    *TRANSPOSED,
)
