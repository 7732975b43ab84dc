"""LSUV: layer-sequential unit-variance initialization (data-dependent).

It needs a model and a batch of inputs, so it is a function that rewrites a
built model's kernels, not a `keras.initializers.Initializer`.
"""

import numbers

import keras
import numpy as np

from keras_initstudy import initializers


def kernel_layers(model):
    """The layers `lsuv` initializes: top-level ones with a kernel and an
    activation (Dense, convolutions)."""
    return [
        layer
        for layer in model.layers
        if getattr(layer, "kernel", None) is not None
        and hasattr(layer, "activation")
    ]


def _preactivation(layer, inputs):
    """The layer's output on `inputs` without its activation."""
    activation = layer.activation
    layer.activation = keras.activations.linear
    try:
        return keras.ops.convert_to_numpy(layer(inputs))
    finally:
        layer.activation = activation


def lsuv(
    model,
    batch,
    tol=0.1,
    max_iter=10,
    seed=0,
    layers=None,
    keep_kernels=(),
    target=None,
):
    """Initializes a model's kernels so each layer outputs unit variance.

    Mishkin & Matas's procedure, layer by layer in the model's order:

    1. every Dense/Conv kernel (any top-level layer with a `kernel` and an
       `activation`, see `kernel_layers`), or those of `layers`, is replaced
       by an `Orthogonal` one (seeded `seed + i` for the i-th kernel layer
       of the model, so a layer gets the same draw whichever others are
       initialized with it), except those of `keep_kernels`, whose kernels
       are already drawn (e.g. `LooksLinear`'s mirrored blocks, which the
       rescaling keeps);
    2. for each of these layers in turn, its output variance on `batch` is
       measured and its kernel divided by the output's standard deviation,
       until the variance is within `tol` of 1 or `max_iter` rescalings
       were made. Earlier layers are already final, so the layer's input is
       computed once.

    The variance is that of the layer's output before its activation (its
    preactivation), over every element of the batch's output: in the
    paper's Caffe networks the nonlinearity is a separate layer after the
    convolution, and a tanh or sigmoid output could never reach variance 1.
    Biases are left as they are; with nonzero biases one rescaling is not
    exact, hence the iterations.

    Examples:

    >>> model = keras.Sequential([keras.Input((784,)),
    ...     keras.layers.Dense(64, activation="relu"),
    ...     keras.layers.Dense(10)])
    >>> log = lsuv(model, np.random.rand(256, 784))
    >>> [entry["variance"] for entry in log]  # all within 0.1 of 1

    Args:
        model: a built functional or Sequential Keras model.
        batch: a batch of model inputs (array or tensor).
        tol: accepted distance of each variance from 1, > 0.
        max_iter: maximum rescalings per layer, a positive int.
        seed: seeds the orthogonal pre-initialization.
        layers: the layers to initialize, among `kernel_layers(model)`; None
            means all of them. The others keep their kernels.
        keep_kernels: layers among `layers` that are only rescaled: their
            current kernels replace the orthogonal draw.
        target: None for unit variance, or a function from a layer to the
            variance its pre-activations are scaled to (e.g. 2 before relu,
            so that the layer's output has unit mean square); `tol` is
            relative to it.

    Returns:
        A list with one dict per initialized layer, in order: `layer` (its
        name), `iterations` (rescalings made), `variance` (the final output
        variance) and `converged` (whether it is within `tol` of 1).

    Raises:
        ValueError: for a bad `tol`/`max_iter`, a model with no kernel
            layers, a layer of `layers` that is not one of them, or a layer
            whose output on the batch is constant.

    Reference:
        Mishkin & Matas, "All you need is a good init", ICLR 2016
        (arXiv 2015).
    """
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or tol <= 0:
        raise ValueError(
            f"`tol` must be a positive number. Received: tol={tol!r}"
        )
    if (
        isinstance(max_iter, bool)
        or not isinstance(max_iter, int)
        or (max_iter < 1)
    ):
        raise ValueError(
            "`max_iter` must be a positive int. "
            f"Received: max_iter={max_iter!r}"
        )
    candidates = kernel_layers(model)
    if not candidates:
        raise ValueError(
            "LSUV needs a model with Dense or convolution layers. "
            f"Received: model={model.name!r}"
        )
    chosen = {id(layer) for layer in (candidates if layers is None else layers)}
    unknown = chosen - {id(layer) for layer in candidates}
    if unknown:
        names = [layer.name for layer in layers if id(layer) in unknown]
        raise ValueError(
            "LSUV initializes top-level layers with a kernel and an "
            f"activation only. Received: layers={names}"
        )
    layers = [layer for layer in candidates if id(layer) in chosen]
    kept = {id(layer) for layer in keep_kernels}
    if kept - chosen:
        names = [
            layer.name for layer in keep_kernels if id(layer) not in chosen
        ]
        raise ValueError(
            "`keep_kernels` must be among the layers LSUV initializes. "
            f"Received: keep_kernels={names}"
        )
    for i, layer in enumerate(candidates):
        if id(layer) in chosen and id(layer) not in kept:
            orthogonal = initializers.Orthogonal(seed=seed + i)
            layer.kernel.assign(orthogonal(tuple(layer.kernel.shape)))
    # A single-input model takes its input bare, not in a list.
    model_inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    log = []
    for layer in layers:
        goal = 1.0 if target is None else float(target(layer))
        inputs = keras.Model(model_inputs, layer.input)(batch)
        variance = float(np.var(_preactivation(layer, inputs))) / goal
        iterations = 0
        while abs(variance - 1.0) > tol and iterations < max_iter:
            if not variance > 0:
                raise ValueError(
                    f"Layer {layer.name!r} outputs a constant on the batch; "
                    f"it cannot be scaled to unit variance. "
                    f"Received: variance={variance}"
                )
            layer.kernel.assign(layer.kernel / np.sqrt(variance))
            variance = float(np.var(_preactivation(layer, inputs))) / goal
            iterations += 1
        log.append(
            {
                "layer": layer.name,
                "iterations": iterations,
                "variance": variance * goal,
                "converged": abs(variance - 1.0) <= tol,
            }
        )
    return log
