"""Per-layer forward and backward signal statistics, and a verdict on them.

Glorot & Bengio (2010) and the CS231n notes diagnose an initialization by
feeding one batch through the network and looking, layer by layer, at the
activations (forward) and at the gradients of the loss (backward):

- with weights too small, the activations shrink towards 0 layer after
  layer and so do the gradients ("vanishing");
- with weights too large, tanh and sigmoid units sit on their flat tails
  ("saturated", and their gradient is ~0), while ReLU signals grow by a
  constant factor per layer ("exploding");
- Xavier (tanh, sigmoid) and He (ReLU) keep both roughly constant
  ("stable").

`layer_signals` computes the statistics of one batch; `verdict` names the
regime from them with the thresholds below. Everything returned is plain
Python (floats, lists), ready for metrics.json.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from keras_initstudy import models

# |tanh(x)| above this counts as saturated: tanh'(x) = 1 - tanh(x)^2 < 0.02.
TANH_SATURATION = 0.99
# A sigmoid output within this of 0 or 1 counts as saturated:
# sigmoid'(x) = s (1 - s) < 0.0099 there.
SIGMOID_SATURATION_MARGIN = 0.01
# A run is "saturated" when at least this share of the last hidden layer's
# activations (over units and examples) is saturated.
SATURATED_FRACTION = 0.8
# A signal is "stable" when its std in the last layer is within this factor
# of its std in the first layer, in both directions; below 1 / factor it is
# "vanishing", above the factor "exploding".
STABLE_FACTOR = 3.0

VANISHING = "vanishing"
EXPLODING = "exploding"
SATURATED = "saturated"
STABLE = "stable"
VERDICTS = (VANISHING, EXPLODING, SATURATED, STABLE)

HISTOGRAM_BINS = 40


def saturated_fraction(values, activation):
    """Share of activation values in the flat tails of tanh or sigmoid.

    Examples:

    >>> saturated_fraction(np.array([0.0, 0.995, -1.0, 0.5]), "tanh")
    0.5
    >>> saturated_fraction(np.array([0.005, 0.5]), "sigmoid")
    0.5
    >>> saturated_fraction(np.array([3.0]), "relu") is None
    True

    Args:
        values: activations of a layer (any shape; every value counts).
        activation: the layer's activation name.

    Returns:
        A float in [0, 1] for "tanh" (|a| > `TANH_SATURATION`) and "sigmoid"
        (a < `SIGMOID_SATURATION_MARGIN` or a > 1 - that margin); None for
        activations without saturating tails (relu, linear, ...).
    """
    values = np.asarray(values)
    if activation == "tanh":
        return float(np.mean(np.abs(values) > TANH_SATURATION))
    if activation == "sigmoid":
        margin = SIGMOID_SATURATION_MARGIN
        return float(np.mean((values < margin) | (values > 1.0 - margin)))
    return None


def dead_fraction(values):
    """Share of units that output exactly 0 for every example of the batch.

    For ReLU layers these are dead units: no example activates them, so
    their incoming weights get no gradient from this batch.

    Examples:

    >>> dead_fraction(np.array([[0.0, 1.0], [0.0, 0.0]]))
    0.5

    Args:
        values: activations of shape `(batch, units)`.
    """
    values = np.asarray(values)
    units = values.reshape(len(values), -1)
    return float(np.mean(np.all(units == 0, axis=0)))


def _activation_name(layer):
    activation = layer.get_config().get("activation", "linear")
    if isinstance(activation, dict):
        activation = activation.get("config", {}).get("name", "custom")
    return str(activation)


def _histogram(values, bins):
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {"edges": [], "counts": []}
    low, high = float(values.min()), float(values.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    return {"edges": edges.tolist(), "counts": counts.tolist()}


def _std(values):
    return float(np.std(values, dtype=np.float64))


def probe_model(model, layers):
    """A model sharing `model`'s weights that outputs every watched layer.

    Its outputs are the outputs of `layers`, in order, then the logits. It
    is built once and follows the weights as they train, so a callback that
    probes every few iterations can keep it.

    Args:
        model: a functional `keras.Model`.
        layers: layers of `model`.

    Returns:
        A `keras.Model` from `model.inputs` to `[*layer outputs, logits]`.
    """
    return keras.Model(
        model.inputs, [layer.output for layer in layers] + list(model.outputs)
    )


def layer_signals(model, x, y, layers=None, bins=HISTOGRAM_BINS):
    """Forward and backward statistics of a logits model on one batch.

    Runs `x` through `model` once under a `tf.GradientTape` and computes
    the softmax cross-entropy against the integer labels `y`. For every
    watched layer it records the statistics of its output (the activation,
    over all units and examples, the convention of the CS231n demo) and of
    the gradients of the mean loss with respect to that output and to the
    layer's kernel.

    Examples:

    >>> model = models.mlp((500,) * 10, "tanh", "xavier_normal", seed=0)
    >>> stats = layer_signals(model, x_batch, y_batch)  # doctest: +SKIP
    >>> verdict(stats)  # doctest: +SKIP
    'stable'

    Args:
        model: a functional `keras.Model` that outputs logits.
        x: a batch of inputs (NumPy or tensor).
        y: the batch's integer labels.
        layers: the layers to watch (each must have a `kernel`); None
            watches `models.hidden_layers(model)`.
        bins: number of histogram bins per layer.

    Returns:
        A dict of per-layer lists (one entry per watched layer, in order):
        `layers` (names), `activations` (names), `mean`, `std`,
        `histogram` (`{"edges", "counts"}` spanning the layer's range),
        `saturated_fraction` (None where undefined), `dead_fraction`,
        `grad_activation_std`, `grad_kernel_std`; and `loss`, the batch
        loss.
    """
    if layers is None:
        layers = models.hidden_layers(model)
    layers = list(layers)
    if not layers:
        raise ValueError(
            "There is no layer to watch: the model has no hidden layer. "
            f"Received: model={model.name!r}"
        )
    probe = probe_model(model, layers)
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    y = tf.convert_to_tensor(y, dtype=tf.int64)
    kernels = [layer.kernel for layer in layers]
    with tf.GradientTape() as tape:
        outputs = probe(x, training=False)
        activations, logits = outputs[:-1], outputs[-1]
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=logits
            )
        )
    grads = tape.gradient(loss, [*activations, *kernels])
    grad_activations, grad_kernels = grads[: len(layers)], grads[len(layers) :]
    stats = {
        "layers": [],
        "activations": [],
        "mean": [],
        "std": [],
        "histogram": [],
        "saturated_fraction": [],
        "dead_fraction": [],
        "grad_activation_std": [],
        "grad_kernel_std": [],
        "loss": float(loss),
    }
    for layer, a, ga, gk in zip(
        layers, activations, grad_activations, grad_kernels, strict=True
    ):
        values = a.numpy()
        name = _activation_name(layer)
        stats["layers"].append(layer.name)
        stats["activations"].append(name)
        stats["mean"].append(float(np.mean(values, dtype=np.float64)))
        stats["std"].append(_std(values))
        stats["histogram"].append(_histogram(values, bins))
        stats["saturated_fraction"].append(saturated_fraction(values, name))
        stats["dead_fraction"].append(dead_fraction(values))
        stats["grad_activation_std"].append(_std(ga.numpy()))
        stats["grad_kernel_std"].append(_std(gk.numpy()))
    return stats


def std_ratio(first, last):
    """`last / first` for two standard deviations; inf or nan if first is 0.

    A signal that is 0 from the first layer on has ratio nan (0 / 0); one
    that starts at 0 and then grows has ratio inf.
    """
    if first == 0:
        return math.nan if last == 0 else math.inf
    return last / first


def _regime(ratio):
    if math.isnan(ratio) or ratio < 1.0 / STABLE_FACTOR:
        return VANISHING
    if ratio > STABLE_FACTOR:
        return EXPLODING
    return STABLE


def verdict(stats):
    """Names the signal regime of a `layer_signals` result.

    The checks, in order:

    1. "saturated" if at least `SATURATED_FRACTION` (80%) of the last
       layer's activations are saturated (see `saturated_fraction`): the
       units then pass almost no gradient, whatever the std says.
    2. The forward ratio `std[-1] / std[0]` (last over first layer):
       "vanishing" below `1 / STABLE_FACTOR` (or when the activations are
       all 0, e.g. zero weights with tanh), "exploding" above
       `STABLE_FACTOR` (3).
    3. The backward ratio `grad_activation_std[0] / grad_activation_std[-1]`
       (the gradient reaching the first layer over the one at the last
       layer), with the same bounds: a forward signal that keeps its std
       can still carry a vanishing gradient, e.g. sigmoid units with small
       weights all sit near 0.5, so their std is constant while each
       layer multiplies the gradient by ~sigmoid'(0) * w.
    4. Otherwise "stable".

    Examples:

    >>> verdict({"std": [0.2, 1e-5], "grad_activation_std": [1.0, 1.0],
    ...          "saturated_fraction": [0.0, 0.0]})
    'vanishing'
    >>> verdict({"std": [0.6, 0.3], "grad_activation_std": [1.0, 1.0],
    ...          "saturated_fraction": [None, None]})
    'stable'

    Args:
        stats: a dict with per-layer lists `std` and `grad_activation_std`
            and, optionally, `saturated_fraction` (entries may be None).

    Returns:
        One of `VERDICTS`: "vanishing", "exploding", "saturated", "stable".
    """
    saturated = stats.get("saturated_fraction") or [None]
    if saturated[-1] is not None and saturated[-1] >= SATURATED_FRACTION:
        return SATURATED
    forward = _regime(std_ratio(stats["std"][0], stats["std"][-1]))
    if forward != STABLE:
        return forward
    grads = stats["grad_activation_std"]
    return _regime(std_ratio(grads[-1], grads[0]))
