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


def hidden_layers(model):
    """Returns the model's Dense layers except the last (the output layer)."""
    dense = [x for x in model.layers if isinstance(x, keras.layers.Dense)]
    return dense[:-1]


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


def _std(values):
    return float(np.std(values, dtype=np.float64))


# Layers that are an activation function without an `activation` config.
_ACTIVATION_LAYERS = (
    (keras.layers.ReLU, "relu"),
    (keras.layers.LeakyReLU, "leaky_relu"),
    (keras.layers.ELU, "elu"),
    (keras.layers.Softmax, "softmax"),
)


def activation_name(layer):
    """The name of the activation a layer applies ("linear" for none).

    Reads the layer's `activation` config (Dense, convolutions, recurrent
    layers and cells, `Activation`); activation layers such as `ReLU` map to
    their function's name; a serialized custom function gives its name.
    """
    for cls, name in _ACTIVATION_LAYERS:
        if isinstance(layer, cls):
            return name
    function = getattr(layer, "activation", None)
    if function is None:
        return "linear"
    name = getattr(function, "__name__", "")
    if getattr(keras.activations, name, None) is function:
        return name  # Keras's own: no need to serialize the whole config.
    activation = layer.get_config().get("activation", "linear")
    if isinstance(activation, dict):  # A serialized function or object.
        activation = activation.get("config", {}).get("name", "custom")
    return str(activation or "linear")


def _histogram(values, bins):
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {"edges": [], "counts": []}
    low, high = float(values.min()), float(values.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    return {"edges": edges.tolist(), "counts": counts.tolist()}


def _softmax_cross_entropy(labels, logits):
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.cast(labels, tf.int64), logits=logits
        )
    )


def probe_model(model, layers, outputs=None):
    """A model sharing `model`'s weights that outputs every watched layer.

    Its outputs are the outputs of `layers`, in order, then the logits. It
    is built once and follows the weights as they train, so a callback that
    probes every few iterations can keep it.

    Args:
        model: a functional `keras.Model`.
        layers: layers of `model`.
        outputs: the layers' output tensors in `model`'s graph; None reads
            `layer.output`, which is the output of a layer's first call (a
            loaded Sequential's layers were first called elsewhere).

    Returns:
        A `keras.Model` from `model.inputs` to `[*layer outputs, logits]`.
    """
    if outputs is None:
        outputs = [layer.output for layer in layers]
    return keras.Model(model.inputs, list(outputs) + list(model.outputs))


def _as_tensor(value):
    value = tf.convert_to_tensor(value)
    return tf.cast(value, tf.float32) if value.dtype.is_floating else value


def _kernel(layer):
    try:
        return getattr(layer, "kernel", None)
    except (AttributeError, ValueError):  # An unbuilt or kernel-less layer.
        return None


class Probe:
    """One forward and one backward pass that watches layers of a model.

    Builds, once, a model from `model.inputs` to the watched layers'
    outputs and the model's output; each call runs a batch through it under
    a `tf.GradientTape` and returns the statistics of `layer_signals`.
    Callbacks that measure every few iterations keep one probe, so the
    probe model is built once per `fit`. The pass runs eagerly: tracing it
    into a graph costs more than the few passes a `fit` usually records.

    Args:
        model: a functional `keras.Model` with one output.
        layers: the layers to watch (top-level layers of `model` with one
            output tensor); None watches `hidden_layers(model)`.
        loss: `loss(y_true, y_pred) -> scalar`; None is the softmax
            cross-entropy of logits against integer labels.
        bins: histogram bins per layer; None records no histograms.
        training: run the layers in training mode: BatchNormalization then
            normalizes with the batch's statistics and Dropout drops, as in
            a training step. It also updates moving statistics and random
            states; the caller restores them if it must not.
        compiled: trace the forward and backward pass into a graph at the
            first call and run that graph from then on: one trace costs
            about five eager passes and each pass then costs a quarter, so
            a callback that probes the same batch many times compiles, a
            one-off look does not. Graph and eager passes agree to float32
            rounding (the graph may fuse ops).
    """

    def __init__(
        self,
        model,
        layers=None,
        loss=None,
        bins=HISTOGRAM_BINS,
        training=False,
        compiled=False,
        outputs=None,
    ):
        if layers is None:
            layers = hidden_layers(model)
        self.layers = list(layers)
        if not self.layers:
            raise ValueError(
                "There is no layer to watch: the model has no hidden layer. "
                f"Received: model={model.name!r}"
            )
        self._probe = probe_model(model, self.layers, outputs)
        self._names = [activation_name(layer) for layer in self.layers]
        self._kernels = [_kernel(layer) for layer in self.layers]
        self._loss = loss or _softmax_cross_entropy
        self._bins = bins
        self._training = training
        self._pass = (
            tf.function(self._eager_pass, autograph=False)
            if compiled
            else self._eager_pass
        )

    def _eager_pass(self, x, y):
        """`(activations, loss, gradients)`: the gradients of the loss with
        respect to each activation, then to each kernel."""
        kernels = [k for k in self._kernels if k is not None]
        with tf.GradientTape() as tape:
            outputs = self._probe(x, training=self._training)
            activations, prediction = outputs[:-1], outputs[-1]
            loss = self._loss(y, prediction)
        return activations, loss, tape.gradient(loss, [*activations, *kernels])

    def __call__(self, x, y):
        """Statistics of one batch (see `layer_signals`)."""
        x = keras.tree.map_structure(_as_tensor, x)
        activations, loss, grads = self._pass(x, tf.convert_to_tensor(y))
        grad_kernels = iter(grads[len(activations) :])
        return pass_statistics(
            self.layers,
            activations,
            grads[: len(activations)],
            [
                None if kernel is None else next(grad_kernels)
                for kernel in self._kernels
            ],
            loss,
            self._bins,
        )


def watched_kernels(layers):
    """The kernel of each watched layer, None for a layer without one."""
    return [_kernel(layer) for layer in layers]


def pass_statistics(
    layers, activations, grad_activations, grad_kernels, loss, bins=None
):
    """The statistics of one forward and backward pass (`layer_signals`).

    Args:
        layers: the watched layers.
        activations: their outputs on the batch.
        grad_activations: the loss's gradients with respect to them (None:
            no path from the loss, a zero gradient).
        grad_kernels: per layer, the gradient with respect to its kernel
            (None for a layer without one, or without a path).
        loss: the loss.
        bins: histogram bins per layer; None records no histograms.
    """
    names = [activation_name(layer) for layer in layers]
    kernels = watched_kernels(layers)
    stats = {
        "layers": [layer.name for layer in layers],
        "activations": names,
        "mean": [],
        "std": [],
        "histogram": [],
        "saturated_fraction": [],
        "dead_fraction": [],
        "grad_activation_std": [],
        "grad_kernel_std": [],
        "loss": float(loss),
    }
    for a, ga, gk, name, kernel in zip(
        activations, grad_activations, grad_kernels, names, kernels, strict=True
    ):
        values = keras.ops.convert_to_numpy(a)
        stats["mean"].append(float(np.mean(values, dtype=np.float64)))
        stats["std"].append(_std(values))
        if bins is not None:
            stats["histogram"].append(_histogram(values, bins))
        stats["saturated_fraction"].append(saturated_fraction(values, name))
        stats["dead_fraction"].append(dead_fraction(values))
        # No gradient (None) means no path from the loss: zero.
        stats["grad_activation_std"].append(
            0.0 if ga is None else _std(keras.ops.convert_to_numpy(ga))
        )
        stats["grad_kernel_std"].append(
            None
            if kernel is None
            else 0.0
            if gk is None
            else _std(keras.ops.convert_to_numpy(gk))
        )
    return stats


def layer_signals(model, x, y, layers=None, bins=HISTOGRAM_BINS, loss=None):
    """Forward and backward statistics of a model on one batch.

    Runs `x` through `model` once under a `tf.GradientTape` and computes
    the loss against the labels `y` (by default the softmax cross-entropy
    of logits against integer labels). For every watched layer it records
    the statistics of its output (the activation, over all units and
    examples, the convention of the CS231n demo) and of the gradients of
    the mean loss with respect to that output and to the layer's kernel.

    Examples:

    >>> model = models.mlp((500,) * 10, "tanh", "xavier_normal", seed=0)
    >>> stats = layer_signals(model, x_batch, y_batch)  # doctest: +SKIP
    >>> verdict(stats)  # doctest: +SKIP
    'stable'

    Args:
        model: a functional `keras.Model` with one output.
        x: a batch of inputs (NumPy or tensor; a list for several inputs).
        y: the batch's labels.
        layers: the layers to watch; None watches
            `hidden_layers(model)`.
        bins: number of histogram bins per layer.
        loss: `loss(y_true, y_pred) -> scalar`; None for logits and
            integer labels.

    Returns:
        A dict of per-layer lists (one entry per watched layer, in order):
        `layers` (names), `activations` (names), `mean`, `std`,
        `histogram` (`{"edges", "counts"}` spanning the layer's range),
        `saturated_fraction` (None where undefined), `dead_fraction`,
        `grad_activation_std`, `grad_kernel_std` (None for a layer without
        a kernel); and `loss`, the batch loss.
    """
    return Probe(model, layers, loss, bins)(x, y)


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
