"""The zoo: every model, what its design intends, and the training budget.

`ZOO` maps a name to a `ZooModel`. Healthy designs come first, then the
study's broken initializations, then broken variants of real designs.
Roughly half are meant to be broken; which of them really stall is
measured (the "zoo" study kind), not assumed.
"""

import dataclasses
from functools import partial

import keras

from keras_initstudy.study.zoo import architectures as arch

HEALTHY = "healthy"
BROKEN = "broken"
MNIST = "mnist"
SYNTHETIC = "synthetic"

# The one budget (the one issue 17 quotes for its comparison of
# initializers): 300 plain SGD steps of 100 examples at learning rate 0.05.
ITERATIONS = 300
BATCH_SIZE = 100
LEARNING_RATE = 0.05
# Recurrent nets only: at 0.05, GRU(64) over the 28 rows ended at 0.26 test
# accuracy after 300 steps (the gates' sigmoid slopes, at most 1/4, shrink
# the gradient through 28 steps); at 0.5, LSTM and GRU reach 0.87-0.89.
RECURRENT_LEARNING_RATE = 0.5


@dataclasses.dataclass(frozen=True)
class ZooModel:
    """One model of the zoo.

    Attributes:
        name: the key in `ZOO`.
        build: `build(seed)` -> an uncompiled `keras.Model` with 10 logits.
            It calls `keras.utils.set_random_seed(seed)` first: the
            initializers are unseeded, as practitioners write them, and
            draw their seeds from the generators that call seeds.
        inputs: `MNIST` (28x28 images) or `SYNTHETIC` (token sequences,
            see `tokens.synthetic_tokens`).
        expected: `HEALTHY` or `BROKEN`: what the design intends.
        family: the kind of architecture ("mlp", "cnn", "recurrent", ...).
        note: what the model is and why it should train or fail.
        learning_rate: its SGD learning rate in the zoo's budget.
    """

    name: str
    build: object
    inputs: str
    expected: str
    family: str
    note: str
    learning_rate: float = LEARNING_RATE


def _model(
    name,
    family,
    expected,
    make,
    note,
    inputs=MNIST,
    learning_rate=LEARNING_RATE,
):
    """A `ZooModel` whose `build(seed)` seeds Keras, then calls `make()`."""

    def build(seed):
        keras.utils.set_random_seed(seed)
        return make()

    return ZooModel(name, build, inputs, expected, family, note, learning_rate)


_RNN = {"learning_rate": RECURRENT_LEARNING_RATE}

# A table, one entry a model: name, family, expected, builder, note (ruff
# would give every argument its own line).
# fmt: off
_MODELS = (
    # Healthy designs.
    _model("mlp_relu_he", "mlp", HEALTHY,
           partial(arch.mlp, 1, 128, "relu", "he_normal"),
           "The article's 784-128-10 relu MLP, He init."),
    _model("mlp_tanh_glorot", "mlp", HEALTHY,
           partial(arch.mlp, 2, 128, "tanh", "xavier_normal"),
           "784-128-128-10 tanh, Glorot init."),
    _model("mlp_selu_lecun", "mlp", HEALTHY,
           partial(arch.mlp, 8, 128, "selu", "lecun_normal"),
           "8 selu layers of 128, LeCun init (self-normalizing)."),
    _model("mlp_zero_output", "mlp", HEALTHY,
           partial(arch.mlp, 1, 128, "relu", "he_normal", output="zeros"),
           "He hidden layer, zero output layer: the hidden units differ, so "
           "the output's columns get distinct gradients."),
    _model("deep_relu_he_30", "mlp", HEALTHY,
           partial(arch.mlp, 30, 128, "relu", "he_normal"),
           "30 relu layers of 128, He init: the signal keeps its scale (He "
           "et al. 2015)."),
    _model("cnn_he", "cnn", HEALTHY, arch.cnn,
           "Two 3x3 relu convs (16, 32 filters) with pooling, He init."),
    _model("separable_cnn", "cnn", HEALTHY, arch.separable_cnn,
           "A conv stem and two depthwise-separable convs, Keras's default "
           "depthwise init."),
    _model("cnn_batchnorm", "normalization", HEALTHY, arch.batchnorm_cnn,
           "Conv -> BatchNorm -> relu, twice."),
    _model("cnn_batchnorm_huge_kernels", "normalization", HEALTHY,
           partial(arch.batchnorm_cnn, kernel="large_random"),
           "N(0, 1) conv kernels straight into BatchNorm, which undoes "
           "their scale."),
    _model("mlp_layernorm", "normalization", HEALTHY, arch.layernorm_mlp,
           "Dense -> LayerNorm -> relu, three times."),
    _model("residual_cnn", "residual", HEALTHY, arch.residual_cnn,
           "Two residual blocks of two 3x3 convs, He init."),
    _model("residual_mlp", "residual", HEALTHY, arch.residual_mlp,
           "Four residual dense blocks, no normalization; each branch ends "
           "with He's variance over 4."),
    _model("convnext_block", "residual", HEALTHY, arch.convnext,
           "A patchify stem and one ConvNeXt block (7x7 depthwise conv, "
           "LayerNorm, inverted bottleneck, layer scale 1e-6)."),
    _model("lstm_rows", "recurrent", HEALTHY,
           partial(arch.recurrent, keras.layers.LSTM),
           "LSTM(64) over the 28 rows, Keras's default init.", **_RNN),
    _model("gru_rows", "recurrent", HEALTHY,
           partial(arch.recurrent, keras.layers.GRU),
           "GRU(64) over the 28 rows, Keras's default init.", **_RNN),
    _model("attention_rows", "attention", HEALTHY, arch.attention,
           "A transformer block over the 28 rows: 2-head self-attention, "
           "residuals, LayerNorm, relu MLP."),
    _model("embedding_tokens", "embedding", HEALTHY, arch.embedding,
           "Embedding(100, 32) mean-pooled into a relu layer, Keras's "
           "default init.", inputs=SYNTHETIC),
    # The study's broken initializations.
    _model("mlp_zeros", "mlp", BROKEN,
           partial(arch.mlp, 1, 128, "relu", "zeros"),
           "The article's 784-128-10 relu MLP, all zeros: relu passes no "
           "gradient at 0."),
    _model("mlp_constant", "mlp", BROKEN,
           partial(arch.mlp, 1, 128, "relu", arch.constant(0.05)),
           "784-128-10 relu, every weight 0.05: the hidden units are "
           "identical and stay so."),
    _model("deep_relu_glorot_30", "mlp", BROKEN,
           partial(arch.mlp, 30, 128, "relu", "xavier_normal"),
           "30 relu layers of 128, Glorot init: the signal halves its "
           "variance per layer (He et al.'s failure)."),
    _model("deep_tanh_large_20", "mlp", BROKEN,
           partial(arch.mlp, 20, 256, "tanh", "large_random"),
           "20 tanh layers of 256 from N(0, 1): saturated, chaotic."),
    _model("deep_tanh_small_10", "mlp", BROKEN,
           partial(arch.mlp, 10, 500, "tanh", "small_random"),
           "10 tanh layers of 500 from 0.01 N(0, 1): the signal vanishes."),
    _model("deep_sigmoid_10", "mlp", BROKEN,
           partial(arch.mlp, 10, 128, "sigmoid", "xavier_normal"),
           "10 sigmoid layers of 128, Glorot init: the gradient shrinks "
           "about 4x per layer (sigmoid's slope is at most 1/4)."),
    _model("mlp_dead_bias", "mlp", BROKEN,
           partial(arch.mlp, 1, 128, "relu", "he_normal",
                   bias=arch.constant(-3)),
           "He kernels, biases -3: every relu unit is dead on every image."),
    _model("conv_zeros", "cnn", BROKEN,
           partial(arch.cnn, ("zeros", "zeros"), head="zeros"),
           "Conv-conv-dense relu, all zeros."),
    # Broken variants of real designs.
    _model("cnn_zero_kernels", "cnn", BROKEN,
           partial(arch.cnn, ("zeros", "zeros")),
           "The CNN with zero conv kernels (He head)."),
    _model("cnn_huge_kernels", "cnn", BROKEN,
           partial(arch.cnn, (arch.normal(1), arch.normal(1)),
                   filters=(64, 32)),
           "N(0, 1) conv kernels, the second on 3x3x64 inputs: 17x He's "
           "scale."),
    _model("cnn_constant_conv", "cnn", BROKEN,
           partial(arch.cnn, (arch.constant(0.1), "he_normal")),
           "The first conv's 16 filters all 0.1: one filter, repeated."),
    _model("separable_zero_depthwise", "cnn", BROKEN,
           partial(arch.separable_cnn, "zeros"),
           "The separable CNN with zero depthwise kernels."),
    _model("cnn_batchnorm_zero_gamma", "normalization", BROKEN,
           partial(arch.batchnorm_cnn, gamma="zeros"),
           "BatchNorm scales 0 before relu: every unit outputs 0 and "
           "passes no gradient."),
    _model("residual_mlp_huge_branches", "residual", BROKEN,
           partial(arch.residual_mlp, arch.normal(1), arch.normal(1)),
           "The residual MLP with N(0, 1) branches: each block multiplies "
           "the signal by ~100."),
    _model("lstm_zero_kernels", "recurrent", BROKEN,
           partial(arch.recurrent, keras.layers.LSTM, "zeros", "zeros"),
           "LSTM with zero input and recurrent kernels.", **_RNN),
    _model("gru_huge_recurrent", "recurrent", BROKEN,
           partial(arch.recurrent, keras.layers.GRU, recurrent=arch.normal(1)),
           "GRU with an N(0, 1) recurrent kernel: a gain of ~8 per step "
           "saturates the gates.", **_RNN),
    _model("attention_zero_qkv", "attention", BROKEN,
           partial(arch.attention, "zeros"),
           "The transformer block with zero query, key, value and output "
           "projections."),
    _model("embedding_zero_table", "embedding", BROKEN,
           partial(arch.embedding, "zeros"),
           "The embedding model with an all-zero table: the relu layer "
           "above it sees 0.", inputs=SYNTHETIC),
)
# fmt: on
ZOO = {model.name: model for model in _MODELS}
