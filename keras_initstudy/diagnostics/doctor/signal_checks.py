"""The checks that need data: one forward and backward pass on a batch.

`measure` runs `keras_initstudy.diagnostics.signals` on the hidden layers of
a functional model and turns the statistics into findings: the signal
regime over depth (`signals`), kernels without gradient (`no_gradient`) and
layers whose units are dead on the whole batch (`dead_units`).
"""

import keras
import numpy as np

from keras_initstudy.diagnostics import signals
from keras_initstudy.diagnostics.doctor import batches
from keras_initstudy.diagnostics.doctor import families
from keras_initstudy.diagnostics.doctor import findings
from keras_initstudy.diagnostics.doctor import graph as graph_lib

# A layer whose units output 0 for every example of the batch on at least
# this share is reported: those units get no gradient from the batch.
DEAD_SHARE = 0.5


def _watched_layers(model, graph):
    """Top-level layers whose output is a nonlinearity, output excluded.

    Those are the points where the study reads signals: hidden relu, tanh
    or sigmoid outputs (Dense or convolution activations, Activation layers,
    recurrent layers). Without any, every weighted hidden layer.
    """
    layers = [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
        and not isinstance(layer, keras.Model)
        and id(layer) not in graph.outputs
        and graph.consumers(layer)
        and len(graph.outputs_of.get(id(layer), ())) == 1
    ]
    nonlinear = [
        layer
        for layer in layers
        if isinstance(layer, keras.layers.RNN)
        or signals.activation_name(layer) not in ("linear", "softmax")
    ]
    return nonlinear or [layer for layer in layers if layer.trainable_weights]


def measure(model, x, y):
    """Returns `(stats, findings, reason_skipped)` of one batch.

    `y` None draws random labels for the model's output.
    """
    try:
        outputs = graph_lib.tensors(model.outputs)
    except (AttributeError, ValueError):
        return None, [], "the model has no layer graph (subclassed)"
    if len(outputs) != 1:
        return None, [], f"the model has {len(outputs)} outputs, not one"
    graph = graph_lib.functional_graph(model)
    layers = _watched_layers(model, graph)
    if not layers:
        return None, [], "the model has no hidden layer to watch"
    loss_fn, loss_name, classes = batches.loss(model, graph)
    if y is None:
        y = np.random.default_rng(0).integers(
            0, max(classes, 2), size=len(keras.tree.flatten(x)[0])
        )
    # In training mode, as the first step will see it (BatchNormalization
    # normalizes with the batch's statistics); the moving statistics and
    # random states this updates are put back afterwards.
    state = [v.numpy() for v in model.non_trainable_variables]
    try:
        probe = signals.Probe(model, layers, loss_fn, bins=None, training=True)
        stats = probe(x, y)
    finally:
        for variable, value in zip(
            model.non_trainable_variables, state, strict=True
        ):
            variable.assign(value)
    stats["verdict"] = signals.verdict(stats)
    stats["loss_name"] = loss_name
    return stats, _judge(stats), None


def _judge(stats):
    """The findings of a batch's `stats`, in layer order after the regime."""
    found = []
    names = stats["layers"]
    first, last = names[0], names[-1]
    activations = [a for a in stats["activations"] if a != "linear"]
    suggestion = findings.fix(
        "kernel_initializer",
        findings.recommended_init(activations[0] if activations else "linear"),
    )
    if stats["verdict"] != signals.STABLE and len(names) > 1:
        found.append(
            findings.Finding(
                last,
                "signals",
                findings.WARNING,
                f"{stats['verdict']} signals over depth: activation std "
                f"{stats['std'][0]:.3g} at {first} -> "
                f"{stats['std'][-1]:.3g} at {last}; gradient std "
                f"{stats['grad_activation_std'][-1]:.3g} at {last} -> "
                f"{stats['grad_activation_std'][0]:.3g} at {first}.",
                suggestion,
            )
        )
    for name, activation, dead, grad in zip(
        names,
        stats["activations"],
        stats["dead_fraction"],
        stats["grad_kernel_std"],
        strict=True,
    ):
        if grad == 0.0:
            found.append(
                findings.Finding(
                    name,
                    "no_gradient",
                    findings.ERROR,
                    "the kernel gets exactly zero gradient on this batch: "
                    "it cannot learn.",
                    suggestion,
                )
            )
        elif dead >= DEAD_SHARE and activation in families.RELU_FAMILY:
            found.append(
                findings.Finding(
                    name,
                    "dead_units",
                    findings.WARNING,
                    f"{dead:.0%} of the units output 0 for every example of "
                    "the batch: they get no gradient from it.",
                    suggestion,
                )
            )
    return found
