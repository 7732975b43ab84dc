"""The zoo's architectures, each built from the initializers it is given.

Every builder returns an uncompiled `keras.Model` with 10 logits. MNIST
models take 28x28 images (`keras.Input((28, 28))`): convolutional ones add
a channel axis, recurrent and attention ones read the 28 rows as a sequence.
The embedding model takes `tokens.SEQUENCE_LENGTH` token ids.

An initializer is given as a registry name (`keras_initstudy.initializers`)
or as a zero-argument callable that returns an instance (`normal`,
`constant`). Every weight gets a fresh instance, unseeded: Keras 3
initializers repeat their values, so one shared instance would give
same-shaped layers identical weights, and unseeded ones draw their seeds
from the generators `keras.utils.set_random_seed` seeds.

Plain SGD at the zoo's budget shaped one choice: the separable CNN, the
ConvNeXt block and the attention block flatten their last feature map into
the logits instead of pooling it. Pooled, the first two stayed under 0.2
test accuracy after 300 steps and the attention block under 0.5 (mean
pooling hides the rows' order, which self-attention alone does not see).
"""

import functools

import keras

from keras_initstudy import initializers
from keras_initstudy.study import models
from keras_initstudy.study.zoo import tokens

NUM_CLASSES = 10


def init(spec):
    """A fresh initializer from a registry name or a zero-argument callable."""
    return spec() if callable(spec) else initializers.get(spec)


def normal(stddev):
    """N(0, stddev^2), as an initializer spec for `init`."""
    return functools.partial(initializers.get, "random_normal", stddev=stddev)


def constant(value):
    """Every weight `value`, as an initializer spec for `init`."""
    return functools.partial(initializers.get, "constant", value=value)


def scaled(scale):
    """He's variance times `scale` (fan-in, normal), for `init`."""
    return functools.partial(
        initializers.get,
        "variance_scaling",
        scale=2.0 * scale,
        mode="fan_in",
        distribution="normal",
    )


# ConvNeXt's weights: truncated N(0, 0.02^2).
CONVNEXT_INIT = functools.partial(
    initializers.get, "truncated_normal", stddev=0.02
)


def _images():
    return keras.Input((28, 28), name="image")


def _as_image(inputs):
    return keras.layers.Reshape((28, 28, 1), name="as_image")(inputs)


def _logits(x, kernel="xavier_uniform"):
    return keras.layers.Dense(
        NUM_CLASSES, kernel_initializer=init(kernel), name="logits"
    )(x)


def mlp(depth, width, activation, kernel, bias="zeros", output=None):
    """The study's MLP (`models.mlp`): `depth` layers of `width` units."""
    return models.mlp(
        hidden_units=(width,) * depth,
        activation=activation,
        kernel_initializer=init(kernel),
        bias_initializer=init(bias),
        output_kernel_initializer=None if output is None else init(output),
    )


def cnn(kernels=("he_normal", "he_normal"), filters=(16, 32), head="he_normal"):
    """3x3 relu convs, each followed by 2x2 max pooling, flattened."""
    inputs = _images()
    x = _as_image(inputs)
    for i, (kernel, width) in enumerate(zip(kernels, filters, strict=True)):
        x = keras.layers.Conv2D(
            width,
            3,
            activation="relu",
            kernel_initializer=init(kernel),
            name=f"conv_{i + 1}",
        )(x)
        x = keras.layers.MaxPooling2D(name=f"pool_{i + 1}")(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, _logits(x, head))


def batchnorm_cnn(kernel="he_normal", gamma="ones"):
    """Conv (no bias) -> BatchNorm -> relu -> pool, twice, flattened."""
    inputs = _images()
    x = _as_image(inputs)
    for i, width in enumerate((16, 32)):
        x = keras.layers.Conv2D(
            width,
            3,
            use_bias=False,
            kernel_initializer=init(kernel),
            name=f"conv_{i + 1}",
        )(x)
        x = keras.layers.BatchNormalization(
            gamma_initializer=init(gamma), name=f"bn_{i + 1}"
        )(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, _logits(x, "he_normal"))


def separable_cnn(depthwise="xavier_uniform"):
    """A conv stem, then two depthwise-separable convs (MobileNet style).

    The depthwise kernels default to Keras's own default, Glorot uniform.
    """
    inputs = _images()
    x = keras.layers.Conv2D(
        16, 3, activation="relu", kernel_initializer=init("he_normal")
    )(_as_image(inputs))
    x = keras.layers.MaxPooling2D()(x)
    for i, width in enumerate((32, 64)):
        x = keras.layers.SeparableConv2D(
            width,
            3,
            activation="relu",
            depthwise_initializer=init(depthwise),
            pointwise_initializer=init("he_normal"),
            name=f"separable_{i + 1}",
        )(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, _logits(x))


def residual_cnn():
    """A conv stem and two residual blocks of two 3x3 convs on 7x7 maps."""
    inputs = _images()
    x = keras.layers.Conv2D(
        16,
        3,
        padding="same",
        activation="relu",
        kernel_initializer=init("he_normal"),
    )(_as_image(inputs))
    # Blocks on 7x7 maps: as accurate as on 14x14 here, at a quarter of the
    # cost.
    x = keras.layers.MaxPooling2D(4)(x)
    for i in range(2):
        h = keras.layers.Conv2D(
            16,
            3,
            padding="same",
            activation="relu",
            kernel_initializer=init("he_normal"),
            name=f"block_{i + 1}_a",
        )(x)
        h = keras.layers.Conv2D(
            16,
            3,
            padding="same",
            kernel_initializer=init("he_normal"),
            name=f"block_{i + 1}_b",
        )(h)
        x = keras.layers.ReLU()(keras.layers.Add()([x, h]))
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, _logits(x))


def residual_mlp(first="he_normal", last=None, blocks=4, width=128):
    """A dense stem and `blocks` residual branches of two dense layers.

    No normalization: what keeps the sum's scale is the branches' `last`
    kernel, by default He's variance over `blocks`, so that the blocks add
    about the stem's variance in all. (With He's variance the sum doubles
    its variance per block, and SGD at 0.05 diverged.)
    """
    if last is None:
        last = scaled(1 / blocks)
    inputs = _images()
    x = keras.layers.Dense(
        width, activation="relu", kernel_initializer=init("he_normal")
    )(keras.layers.Flatten()(inputs))
    for i in range(blocks):
        h = keras.layers.Dense(
            width,
            activation="relu",
            kernel_initializer=init(first),
            name=f"branch_{i + 1}_a",
        )(x)
        h = keras.layers.Dense(
            width, kernel_initializer=init(last), name=f"branch_{i + 1}_b"
        )(h)
        x = keras.layers.Add()([x, h])
    return keras.Model(inputs, _logits(x))


def layernorm_mlp(depth=3, width=128):
    """Dense -> LayerNorm -> relu, `depth` times."""
    inputs = _images()
    x = keras.layers.Flatten()(inputs)
    for _ in range(depth):
        x = keras.layers.Dense(width, kernel_initializer=init("he_normal"))(x)
        x = keras.layers.ReLU()(keras.layers.LayerNormalization()(x))
    return keras.Model(inputs, _logits(x))


def recurrent(layer_class, kernel="xavier_uniform", recurrent="orthogonal"):
    """One recurrent layer (LSTM, GRU) of 64 units over the 28 rows.

    The defaults are Keras's own: Glorot input kernels, orthogonal
    recurrent kernels.
    """
    inputs = _images()
    x = layer_class(
        64,
        kernel_initializer=init(kernel),
        recurrent_initializer=init(recurrent),
        name=layer_class.__name__.lower(),
    )(inputs)
    return keras.Model(inputs, _logits(x))


def attention(kernel="xavier_uniform"):
    """A post-norm transformer block over the 28 rows.

    `kernel` initializes the attention's query, key, value and output
    projections (Keras's default: Glorot uniform).
    """
    inputs = _images()
    x = keras.layers.Dense(32, kernel_initializer=init("xavier_uniform"))(
        inputs
    )
    attended = keras.layers.MultiHeadAttention(
        2, 16, kernel_initializer=init(kernel), name="attention"
    )(x, x)
    x = keras.layers.LayerNormalization()(keras.layers.Add()([x, attended]))
    h = keras.layers.Dense(
        64, activation="relu", kernel_initializer=init("he_normal")
    )(x)
    h = keras.layers.Dense(32, kernel_initializer=init("xavier_uniform"))(h)
    x = keras.layers.LayerNormalization()(keras.layers.Add()([x, h]))
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, _logits(x))


def embedding(table="random_uniform"):
    """Token embeddings, mean-pooled into one relu layer (fastText style).

    `table` defaults to Keras's own default, uniform in [-0.05, 0.05].
    """
    inputs = keras.Input((tokens.SEQUENCE_LENGTH,), dtype="int32")
    x = keras.layers.Embedding(
        tokens.VOCABULARY,
        32,
        embeddings_initializer=init(table),
        name="embedding",
    )(inputs)
    x = keras.layers.GlobalAveragePooling1D()(x)
    x = keras.layers.Dense(
        64, activation="relu", kernel_initializer=init("he_normal")
    )(x)
    return keras.Model(inputs, _logits(x))


class LayerScale(keras.layers.Layer):
    """Multiplies each channel by a learned factor that starts at `value`.

    ConvNeXt's layer scale (Liu et al. 2022); keras.applications keeps its
    own private.
    """

    def __init__(self, value, **kwargs):
        super().__init__(**kwargs)
        self.value = value

    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(input_shape[-1],),
            initializer=keras.initializers.Constant(self.value),
            name="scale",
        )

    def call(self, x):
        return x * self.scale

    def get_config(self):
        return {**super().get_config(), "value": self.value}


def convnext(width=32, layer_scale=1e-6):
    """A 4x4 patchify stem and one ConvNeXt block, ConvNeXt's init.

    The block: 7x7 depthwise conv, LayerNorm, an inverted bottleneck (4x
    wider, gelu) and layer scale, added to its input (Liu et al. 2022).
    """
    inputs = _images()
    x = keras.layers.Conv2D(
        width, 4, strides=4, kernel_initializer=init(CONVNEXT_INIT)
    )(_as_image(inputs))
    x = keras.layers.LayerNormalization(epsilon=1e-6)(x)
    h = keras.layers.DepthwiseConv2D(
        7, padding="same", depthwise_initializer=init(CONVNEXT_INIT)
    )(x)
    h = keras.layers.LayerNormalization(epsilon=1e-6)(h)
    h = keras.layers.Dense(
        4 * width, activation="gelu", kernel_initializer=init(CONVNEXT_INIT)
    )(h)
    h = keras.layers.Dense(width, kernel_initializer=init(CONVNEXT_INIT))(h)
    h = LayerScale(layer_scale, name="layer_scale")(h)
    x = keras.layers.Flatten()(keras.layers.Add()([x, h]))
    return keras.Model(inputs, _logits(x))
