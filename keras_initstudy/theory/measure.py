"""The mean-field quantities measured in a real Dense MLP at initialization.

`mlp_signal` builds a plain Keras MLP with the theory's weight statistics,
feeds it one batch and returns, per layer, the second moment q^l of the
pre-activations and the backward ratio |dL/dh^l|^2 / |dL/dh^{l+1}|^2.
`predict_signal` gives the theory's values for the same batch, in the same
layout, so a report draws the measured points on the theory's lines.
Both return plain dicts of floats and lists, ready for JSON.

Keras and TensorFlow are imported inside `mlp_signal` only: importing this
module stays NumPy-only.
"""

import math
import numbers

import numpy as np

from keras_initstudy.theory import errors
from keras_initstudy.theory import meanfield
from keras_initstudy.theory.activations import resolve

# Theory names that Keras spells differently or lacks.
_KERAS_NAMES = {"exp": "exponential"}


def mlp_signal(x, depth, width, sigma_w2, sigma_b2, activation, seed):
    """Measures q^l and the backward gradient ratios of a random MLP.

    The MLP has `depth` Dense layers of `width` units, kernels drawn from
    RandomNormal(0, sqrt(sigma_w2 / fan_in)) and biases from
    RandomNormal(0, sqrt(sigma_b2)) with seeds derived from `seed`, and
    `activation` between layers: h^1 = Dense(x), h^{l+1} =
    Dense(phi(h^l)). The loss L = sum(h^depth * r), with r a fixed random
    vector (one per seed, the same for every example), makes
    dL/dh^depth = r, so the ratios measure how the network alone scales
    gradients on the way back (theory: chi1 at q^l).

    Examples:

    >>> x = np.random.default_rng(0).standard_normal((8, 16))
    >>> signal = mlp_signal(x, 3, 32, 1.0, 0.0, "tanh", seed=1)
    >>> len(signal["q"]), len(signal["grad_ratio"])
    (3, 2)

    Args:
        x: inputs, an array of shape `(batch, ...)` (flattened per example).
        depth: the number of Dense layers (>= 2, for a ratio).
        width: units per layer.
        sigma_w2: fan_in times the kernel variance.
        sigma_b2: the bias variance.
        activation: a name in `activations.NAMES` or a callable that Keras
            can apply to tensors.
        seed: an int; the same seed gives the same weights and numbers.

    Returns:
        A dict: the arguments (`activation` by name), `batch`, `q_in` (the
        batch's mean square per input coordinate), `q` (depth floats: the
        mean of (h^l)^2 over examples and units) and `grad_ratio` (depth - 1
        floats: sum (dL/dh^l)^2 / sum (dL/dh^{l+1})^2, over examples and
        units).
    """
    signals = mlp_signals(
        {"x": x}, depth, width, sigma_w2, sigma_b2, activation, seed
    )
    return signals["x"]


def mlp_signals(batches, depth, width, sigma_w2, sigma_b2, activation, seed):
    """`mlp_signal` for several batches through one and the same network.

    Every example is its own signal (the loss is a sum over examples), so
    one pass over all batches measures each as `mlp_signal` would, while
    building the network, the costly part, only once.

    Args:
        batches: a dict of name -> inputs, all of one size per example.
        depth, width, sigma_w2, sigma_b2, activation, seed: as for
            `mlp_signal`.

    Returns:
        A dict of name -> what `mlp_signal` returns for that batch.
    """
    import keras
    import tensorflow as tf

    batches = {name: _inputs(x) for name, x in batches.items()}
    sizes = {name: x.shape[1] for name, x in batches.items()}
    if len(set(sizes.values())) != 1:
        raise errors.MeanFieldError(
            "batches must be a non-empty dict of inputs of one size per "
            f"example. Received: sizes={sizes}"
        )
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise errors.MeanFieldError(
            f"seed must be an integer. Received: seed={seed!r}"
        )
    depth = errors.positive_int("depth", depth)
    if depth < 2:
        raise errors.MeanFieldError(
            f"depth must be >= 2 to measure a ratio. Received: depth={depth}"
        )
    width = errors.positive_int("width", width)
    sigma_w2 = errors.weight_variance(sigma_w2)
    sigma_b2 = errors.bias_variance(sigma_b2)
    name = resolve(activation).name
    phi = _keras_activation(keras, activation)
    x = np.concatenate(list(batches.values()))
    rng = np.random.default_rng(seed)
    layer_seeds = rng.integers(0, 2**31 - 1, size=(depth, 2))
    top_gradient = tf.constant(rng.standard_normal(width), tf.float32)
    layers = _dense_layers(
        keras, x.shape[1], depth, width, sigma_w2, sigma_b2, layer_seeds
    )
    squares, grad_squares = _squares_per_example(
        tf, layers, phi, x, top_gradient
    )
    signals, start = {}, 0
    for key, batch in batches.items():
        rows = slice(start, start + len(batch))
        start += len(batch)
        grads = grad_squares[rows].sum(axis=0)
        signals[key] = {
            "activation": name,
            "sigma_w2": sigma_w2,
            "sigma_b2": sigma_b2,
            "depth": depth,
            "width": width,
            "seed": seed,
            "batch": len(batch),
            "q_in": float(np.mean(np.square(batch, dtype=np.float64))),
            "q": squares[rows].mean(axis=0).tolist(),
            "grad_ratio": (grads[:-1] / grads[1:]).tolist(),
        }
    return signals


def _dense_layers(keras, fan_in, depth, width, sigma_w2, sigma_b2, seeds):
    """The MLP's Dense layers with the theory's weight statistics."""
    return [
        keras.layers.Dense(
            width,
            kernel_initializer=keras.initializers.RandomNormal(
                stddev=math.sqrt(sigma_w2 / fan_in), seed=int(kernel_seed)
            ),
            bias_initializer=keras.initializers.RandomNormal(
                stddev=math.sqrt(sigma_b2), seed=int(bias_seed)
            ),
        )
        for fan_in, (kernel_seed, bias_seed) in zip(
            [fan_in] + [width] * (depth - 1), seeds, strict=True
        )
    ]


def _squares_per_example(tf, layers, phi, x, top_gradient):
    """Per example (rows) and layer (columns), in float64 for the sums: the
    mean square pre-activation and the squared norm of its gradient."""
    with tf.GradientTape() as tape:
        pre_activations = [layers[0](tf.constant(x))]
        for layer in layers[1:]:
            pre_activations.append(layer(phi(pre_activations[-1])))
        loss = tf.reduce_sum(pre_activations[-1] * top_gradient)
    gradients = tape.gradient(loss, pre_activations)
    squares = np.stack(
        [
            np.mean(np.square(h.numpy(), dtype=np.float64), 1)
            for h in pre_activations
        ],
        axis=1,
    )
    grad_squares = np.stack(
        [np.sum(np.square(g.numpy(), dtype=np.float64), 1) for g in gradients],
        axis=1,
    )
    return squares, grad_squares


def predict_signal(x, depth, sigma_w2, sigma_b2, activation):
    """The theory's `q` and `grad_ratio` for the batch `mlp_signal` gets.

    Each example a starts from its own q_in (its mean square per
    coordinate) and follows `meanfield.q_iterates`; `q` is the mean over
    examples. Its squared gradient at layer l is |r|^2 times the product
    of chi1(q^k_a) for k = l, ..., depth - 1, so the batch's ratio is
    sum_a prod_{k>=l} chi1 / sum_a prod_{k>l} chi1.

    Examples:

    >>> signal = predict_signal(np.ones((2, 4)), 2, 2.4, 0.0, "relu")
    >>> np.round(signal["grad_ratio"], 12).tolist()  # chi1 = sigma_w2 / 2
    [1.2]

    Args:
        x: the inputs, as for `mlp_signal`.
        depth: the number of Dense layers.
        sigma_w2, sigma_b2, activation: as for `mlp_signal`.

    Returns:
        A dict with `q` (depth floats) and `grad_ratio` (depth - 1 floats).
    """
    q_in = np.mean(np.square(_inputs(x), dtype=np.float64), axis=1)
    q = meanfield.q_iterates(q_in, depth, sigma_w2, sigma_b2, activation)
    chi = meanfield.chi1(sigma_w2, sigma_b2, activation, q=q)
    # weight[:, l]: |dL/dh^{l+1}|^2 / |r|^2 (0-based l), 1 at the top.
    weight = np.cumprod(chi[:, -2::-1], axis=1)[:, ::-1]
    weight = np.concatenate([weight, np.ones((len(q_in), 1))], axis=1)
    return {
        "q": np.mean(q, axis=0).tolist(),
        "grad_ratio": (weight[:, :-1].sum(0) / weight[:, 1:].sum(0)).tolist(),
    }


def _inputs(x):
    x = np.asarray(x, dtype=np.float32)
    if x.ndim < 2 or x.shape[0] == 0 or x[0].size == 0:
        raise errors.MeanFieldError(
            "x must be a batch of inputs, shape (batch, ...). "
            f"Received: x.shape={x.shape}"
        )
    return x.reshape(len(x), -1)


def _keras_activation(keras, activation):
    if activation == "erf":
        return keras.ops.erf
    if isinstance(activation, str):
        return keras.activations.get(_KERAS_NAMES.get(activation, activation))
    return activation
