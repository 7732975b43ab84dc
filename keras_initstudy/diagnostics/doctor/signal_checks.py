"""The checks that need data: forward and backward passes on a batch.

`measure` runs `keras_initstudy.diagnostics.signals` on the hidden layers of
a functional model and turns the statistics into findings: the signal
regime over depth (`signals`), kernels without gradient (`no_gradient`) and
layers whose units are dead on the whole batch (`dead_units`).
`measure_paths` measures the end-to-end gains that `propagate` predicts.
"""

import contextlib

import keras
import numpy as np
import tensorflow as tf

from keras_initstudy.diagnostics import signals
from keras_initstudy.diagnostics.doctor import batches
from keras_initstudy.diagnostics.doctor import families
from keras_initstudy.diagnostics.doctor import findings
from keras_initstudy.diagnostics.doctor import graph as graph_lib
from keras_initstudy.diagnostics.doctor import paths as paths_lib

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
    with _state_kept(model):
        probe = signals.Probe(
            model,
            layers,
            loss_fn,
            bins=None,
            training=True,
            outputs=[graph.outputs_of[id(layer)][0] for layer in layers],
        )
        stats = probe(x, y)
    stats["verdict"] = signals.verdict(stats)
    stats["loss_name"] = loss_name
    blockers = {
        layer.name: blocker
        for layer in layers
        if not _zero_kernel(layer)
        and (blocker := _zero_kernel_after(layer, graph)) is not None
    }
    return stats, _judge(stats, blockers), None


def _zero_kernel(layer):
    kernel = getattr(layer, "kernel", None)
    return kernel is not None and not np.any(keras.ops.convert_to_numpy(kernel))


def _zero_kernel_after(layer, graph):
    """The name of a layer downstream of `layer` whose kernel is all zeros.

    Such a kernel passes no gradient back on the first step, whatever the
    layers before it hold; its own gradient (its inputs times the error) is
    not zero, so after one step it passes gradients and they learn. None
    when no such layer follows. (A layer whose own kernel is zero is not
    asked: under relu it passes no gradient either way.)
    """
    seen, stack = set(), graph.consumers(layer)
    while stack:
        reader = stack.pop()
        if id(reader) in seen:
            continue
        seen.add(id(reader))
        if _zero_kernel(reader):
            return reader.name
        stack.extend(graph.consumers(reader))
    return None


@contextlib.contextmanager
def _state_kept(model):
    """Puts back the non-trainable state that a training-mode pass updates.

    Passes run in training mode, as the first step will see them
    (BatchNormalization normalizes with the batch's statistics); the moving
    statistics and random states they update are restored afterwards.
    """
    state = [v.numpy() for v in model.non_trainable_variables]
    try:
        yield
    finally:
        for variable, value in zip(
            model.non_trainable_variables, state, strict=True
        ):
            variable.assign(value)


@contextlib.contextmanager
def _linear(layer):
    """The layer without its own activation, for its pre-activations."""
    if isinstance(layer, keras.layers.TimeDistributed):
        layer = layer.layer
    activation = getattr(layer, "activation", None)
    if activation is None:
        yield
        return
    layer.activation = keras.activations.linear
    try:
        yield
    finally:
        layer.activation = activation


def _entries(propagation):
    """The tensors where the paths' signal starts, each once.

    An entry inside a nested model is taken at the outer tensor linked to
    it: the same values, in the graph a sub-model can be built from.
    """
    producer = {id(t): s for s in propagation.steps for t in s.outputs}
    found = {}
    for step in propagation.steps:
        if step.entry:
            continue
        for t in step.inputs:
            if id(t) not in producer or not producer[id(t)].entry:
                continue
            while producer.get(id(t)) is not None and (
                producer[id(t)].layer is None
            ):
                t = producer[id(t)].inputs[0]
            found[id(t)] = t
    return list(found.values())


def _pass(model, sub, end_layer, values, seed=0):
    """`(z, r, gradients at values)` of one pass (see `measure_paths`).

    `end_layer`, when given, is applied to `sub`'s outputs without its
    activation: z are its pre-activations.
    """
    with _state_kept(model), tf.GradientTape() as tape:
        tape.watch(values)
        z = sub(values, training=True)
        if end_layer is not None:
            with _linear(end_layer):
                z = end_layer(*keras.tree.flatten(z), training=True)
        z = tf.cast(z, tf.float32)
        r = tf.random.stateless_normal(tf.shape(z), (seed, 0))
        loss = tf.reduce_sum(z * r)
    return z, r, tape.gradient(loss, values)


def _rms(values):
    return float(np.sqrt(np.mean(np.square(values, dtype=np.float64))))


def measure_paths(model, propagation, x):
    """Measures each path's end-to-end gains on one batch.

    The batch is run to the path's entries (through the weightless layers
    before them), each entry's values scaled to unit mean square, as the
    prediction assumes; then one forward and one backward pass from the
    entries to the output pre-activations z, in training mode, with the
    loss sum(z * r) for a fixed standard-normal r: its gradient at z is r,
    whatever the output activation and the labels. Forward gain: RMS of
    z; backward gain: the gradient norm at the entries over the norm of r,
    counted per pooled position (times the square root of the path's
    `pooled` positions), as predicted.

    Returns:
        `(measured, reason)`: a `paths.Measured` per path of
        `propagation`, or None and why the paths were not measured.
    """
    if not propagation.paths:
        return None, "the model has no path with weights"
    entries = _entries(propagation)
    if any(not t.dtype.startswith("float") for t in entries):
        return None, "a path starts at a tensor that is not float"
    measured = []
    try:
        feed = keras.Model(model.inputs, entries)
        xs = list(x) if isinstance(x, (list, tuple)) else [x]
        values = [
            keras.ops.convert_to_numpy(v)
            for v in keras.tree.flatten(feed(xs, training=False))
        ]
    except (ValueError, TypeError) as e:
        return None, f"the entries cannot be computed alone ({e})"
    values = [tf.constant(v / r if (r := _rms(v)) > 0 else v) for v in values]
    for path in propagation.paths:
        end, pre = path.end, path.pre
        targets = list(end.inputs) if pre else [end.outputs[0]]
        try:
            sub = keras.Model(entries, targets)
        except ValueError as e:
            return None, f"no model from the entries to {end.name} ({e})"
        try:
            z, r, grads = _pass(model, sub, end.layer if pre else None, values)
        except (ValueError, TypeError, tf.errors.OpError) as e:
            return None, f"the pass to {end.name} failed ({e})"
        squares = sum(
            float(tf.reduce_sum(tf.square(g))) for g in grads if g is not None
        )
        backward = np.sqrt(squares * path.pooled) / float(tf.norm(r))
        measured.append(paths_lib.Measured(_rms(z.numpy()), float(backward)))
    return measured, None


def _judge(stats, blockers=None):
    """The findings of a batch's `stats`, in layer order after the regime.

    `blockers` maps a layer's name to the all-zero kernel after it, if any:
    a kernel without gradient behind one is information (it learns from the
    second step on; the zero kernel has its own finding), not an error.
    """
    blockers = blockers or {}
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
        if grad == 0.0 and name in blockers:
            found.append(
                findings.Finding(
                    name,
                    "no_gradient",
                    findings.INFO,
                    "the kernel gets exactly zero gradient on this batch: "
                    f"the all-zero kernel of {blockers[name]} after it passes "
                    "none back. That kernel's own gradient is not zero, so "
                    "this one learns from the second step on.",
                )
            )
        elif grad == 0.0:
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
