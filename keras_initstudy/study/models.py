"""Model factory: the article's networks, built with any initializer.

Initializers are given by registry name (see
`keras_initstudy.initializers.names()`), by config or as instances. A name
gives every layer its own instance; random ones are seeded `seed + i` for the
i-th layer, so layers never share values by accident and the same seed
rebuilds the same model.
"""

import keras

from keras_initstudy import initializers

ACTIVATIONS = ("relu", "tanh", "sigmoid")


def _layer_initializer(identifier, seed, index):
    """One initializer instance per weight, so no two layers share values.

    Keras 3 initializers return the same values on every call, so an
    instance given by the caller is copied per weight; a random one gets the
    seed `own seed (or seed) + index`, or a fresh draw when neither is set.
    """
    if isinstance(identifier, str):
        return initializers.get(
            identifier, seed=None if seed is None else seed + index
        )
    init = initializers.get(identifier)
    if not isinstance(init, keras.initializers.Initializer):
        return init  # A plain callable: the caller's responsibility.
    config = init.get_config()
    if "seed" in config:
        base = config["seed"] if isinstance(config["seed"], int) else seed
        config["seed"] = None if base is None else base + index
    return type(init).from_config(config)


def mlp(
    hidden_units=(128,),
    activation="relu",
    kernel_initializer="he_normal",
    bias_initializer="zeros",
    num_classes=10,
    input_shape=(28, 28),
    dropout=0.0,
    seed=None,
    name="mlp",
    output_kernel_initializer=None,
):
    """Builds a fully connected classifier that outputs logits.

    The article's network: inputs flattened, `len(hidden_units)` Dense
    layers with `activation`, and a Dense output layer of `num_classes`
    logits (train with `from_logits=True`). The kernel initializer applies to
    every Dense layer, the output layer included, as in the article.

    Args:
        hidden_units: widths of the hidden layers (may be empty: softmax
            regression).
        activation: the hidden activation, a name Keras knows.
        kernel_initializer: initializer name, config or instance.
        bias_initializer: initializer name, config or instance.
        num_classes: number of output logits.
        input_shape: shape of one example (flattened inside the model).
        dropout: dropout rate after each hidden layer, in [0, 1).
        seed: base seed for initializers given by name, and for dropout.
        name: the model name.
        output_kernel_initializer: the output layer's kernel initializer;
            None uses `kernel_initializer` (zeros only in the output layer
            are harmless: the hidden units already differ).

    Returns:
        A built `keras.Model`; hidden layers are named `hidden_1`, ...,
        the output layer `output`.
    """
    hidden_units = tuple(int(u) for u in hidden_units)
    if any(u < 1 for u in hidden_units):
        raise ValueError(
            f"Hidden layer widths must be positive. Received: "
            f"hidden_units={hidden_units}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(
            f"`dropout` must be in [0, 1). Received: dropout={dropout}"
        )
    inputs = keras.Input(shape=input_shape, name="image")
    x = keras.layers.Flatten(name="flatten")(inputs)
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(
            units,
            activation=activation,
            kernel_initializer=_layer_initializer(
                kernel_initializer, seed, 2 * i
            ),
            bias_initializer=_layer_initializer(
                bias_initializer, seed, 2 * i + 1
            ),
            name=f"hidden_{i + 1}",
        )(x)
        if dropout:
            x = keras.layers.Dropout(
                dropout,
                seed=None if seed is None else seed + 1000 + i,
                name=f"dropout_{i + 1}",
            )(x)
    n = len(hidden_units)
    if output_kernel_initializer is None:
        output_kernel_initializer = kernel_initializer
    outputs = keras.layers.Dense(
        num_classes,
        kernel_initializer=_layer_initializer(
            output_kernel_initializer, seed, 2 * n
        ),
        bias_initializer=_layer_initializer(bias_initializer, seed, 2 * n + 1),
        name="output",
    )(x)
    model = keras.Model(inputs, outputs, name=name)
    initializers.check_shared_initializers(model)
    return model


def toy_net(kernel_initializer="zeros", activation="sigmoid", seed=None):
    """The article's figure: 3 inputs, 2 hidden units, 1 output.

    Inputs x1, x2, x3 (x0 = 1 is the Dense bias), hidden units
    a_j = g(sum_i w_ji x_i) for j = 1, 2 (w_j0 is the bias) and the output
    y = g(w20 a0 + w21 a1 + w22 a2) with a0 = 1. The initializer applies to
    kernels and biases alike, as in the figure where the bias is just the
    weight of x0.

    Args:
        kernel_initializer: initializer name, config or instance.
        activation: g, for both layers.
        seed: base seed for an initializer given by name.

    Returns:
        A built `keras.Model` with Dense layers `hidden` (kernel (3, 2),
        column j-1 holds w_j1..w_j3) and `output` (kernel (2, 1)).
    """
    inputs = keras.Input(shape=(3,), name="x")
    hidden = keras.layers.Dense(
        2,
        activation=activation,
        kernel_initializer=_layer_initializer(kernel_initializer, seed, 0),
        bias_initializer=_layer_initializer(kernel_initializer, seed, 1),
        name="hidden",
    )(inputs)
    outputs = keras.layers.Dense(
        1,
        activation=activation,
        kernel_initializer=_layer_initializer(kernel_initializer, seed, 2),
        bias_initializer=_layer_initializer(kernel_initializer, seed, 3),
        name="output",
    )(hidden)
    return keras.Model(inputs, outputs, name="toy_net")
