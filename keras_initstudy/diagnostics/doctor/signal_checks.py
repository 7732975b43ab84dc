"""The checks that need data: forward and backward passes on a batch.

`measure` runs `keras_initstudy.diagnostics.signals` on the hidden layers of
a functional model and turns the statistics into findings: the signal
regime over depth (`signals`), kernels without gradient (`no_gradient`) and
layers whose units are dead on the whole batch (`dead_units`).
`measure_paths` measures the end-to-end gains that `propagate` predicts.
"""

import contextlib
import dataclasses

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


# What the batch's statistics are of when the path pass makes them.
SHARED_LOSS = (
    "sum(z * r) at the output's pre-activations, r ~ N(0, 1), from the "
    "path's entries at unit mean square"
)


@dataclasses.dataclass(frozen=True)
class Watched:
    """The layers a batch's signals watch (`watch`).

    Attributes:
        layers: the watched layers.
        outputs: their output tensors in the model's graph.
        graph: the model's top-level `graph.Graph`, or None.
        reason: why no layer is watched, or None.
    """

    layers: tuple = ()
    outputs: tuple = ()
    graph: object = None
    reason: str | None = None


def watch(model):
    """The `Watched` layers of a model: hidden nonlinear outputs."""
    try:
        outputs = graph_lib.tensors(model.outputs)
    except (AttributeError, ValueError):
        return Watched(reason="the model has no layer graph (subclassed)")
    if len(outputs) != 1:
        return Watched(reason=f"the model has {len(outputs)} outputs, not one")
    graph = graph_lib.functional_graph(model)
    layers = _watched_layers(model, graph)
    if not layers:
        return Watched(reason="the model has no hidden layer to watch")
    return Watched(
        tuple(layers),
        tuple(graph.outputs_of[id(layer)][0] for layer in layers),
        graph,
    )


def measure(model, x, y, shared=None, watched=None):
    """Returns `(stats, findings, reason_skipped)` of one batch.

    `shared`: the watched layers' values and gradients from the pass that
    measured the signal paths (`measure_paths`), which then serves both;
    None runs a pass of its own, with the model's loss against `y` (None
    draws random labels for the model's output). `watched`: the model's
    `watch`, when the caller has it.
    """
    watched = watched or watch(model)
    if watched.reason:
        return None, [], watched.reason
    layers, outputs, graph = watched.layers, watched.outputs, watched.graph
    if shared is not None:
        stats = signals.pass_statistics(layers, *shared)
        loss_name = SHARED_LOSS
    else:
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
                outputs=list(outputs),
            )
            stats = probe(x, y)
    stats["verdict"] = signals.verdict(stats)
    stats["loss_name"] = loss_name
    return stats, _judge(stats, _blockers(stats, layers, graph)), None


def _blockers(stats, layers, graph):
    """Per watched layer without kernel gradient, the zero kernel after it."""
    found = {}
    for layer, grad in zip(layers, stats["grad_kernel_std"], strict=True):
        if grad == 0.0 and not _zero_kernel(layer):
            blocker = _zero_kernel_after(layer, graph)
            if blocker is not None:
                found[layer.name] = blocker
    return found


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
    return next(
        (r.name for r in graph.downstream([layer]) if _zero_kernel(r)), None
    )


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


def _pass(model, sub, end_layer, values, where, seed=0):
    """One pass of `measure_paths`: `(z, r, loss, tape, activations)`.

    `where` is `(targets, watched)`: the positions among `sub`'s outputs
    of the path's end targets and of the watched activations. `end_layer`,
    when given, is applied to the targets without its activation: z are
    its pre-activations.
    """
    with _state_kept(model), tf.GradientTape() as tape:
        tape.watch(values)
        outputs = keras.tree.flatten(sub(values, training=True))
        targets = [outputs[i] for i in where[0]]
        activations = [outputs[i] for i in where[1]]
        if end_layer is not None:
            with _linear(end_layer):
                z = end_layer(*targets, training=True)
        else:
            z = targets[0]
        z = tf.cast(z, tf.float32)
        r = tf.random.stateless_normal(tf.shape(z), (seed, 0))
        loss = tf.reduce_sum(z * r)
    return z, r, loss, tape, activations


def _rms(values):
    return float(np.sqrt(np.mean(np.square(values, dtype=np.float64))))


def _sub_model(entries, targets, watched):
    """`(sub-model, (target positions, watched positions))`.

    The sub-model outputs each tensor once (a watched layer's output may
    be a target too); it has the watched layers' outputs when the entries
    reach them all, else none (no watched positions).
    """

    def positions(tensors, unique):
        index = {}
        for t in tensors:
            if id(t) not in index:
                index[id(t)] = len(unique)
                unique.append(t)
        return [index[id(t)] for t in tensors]

    if watched:
        unique = []
        where = positions(targets + watched, unique)
        try:
            return keras.Model(entries, unique), (
                where[: len(targets)],
                where[len(targets) :],
            )
        except ValueError:
            pass  # A watched layer lies off the entries' graph.
    unique = []
    where = positions(targets, unique)
    return keras.Model(entries, unique), (where, [])


def measure_paths(model, propagation, x, watched=None):
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

    With `watched` (a `Watched`) and one path that ends
    at the model's output, the same pass also returns the watched layers'
    values and gradients, so that a batch costs the doctor one forward and
    one backward pass. Their gradients are then those of sum(z * r): at z,
    r instead of the loss's gradient (another direction and scale). What
    the doctor reads from them reads the same from either: the regime
    compares layers by ratios, and a kernel without gradient has none
    whatever the output's gradient is.

    Returns:
        `(measured, reason, shared)`: a `paths.Measured` per path of
        `propagation`, or None and why the paths were not measured; and the
        `shared` values for `measure`, or None.
    """
    if not propagation.paths:
        return None, "the model has no path with weights", None
    entries = _entries(propagation)
    if any(not t.dtype.startswith("float") for t in entries):
        return None, "a path starts at a tensor that is not float", None
    measured, shared = [], None
    try:
        feed = keras.Model(model.inputs, entries)
        xs = list(x) if isinstance(x, (list, tuple)) else [x]
        values = [
            keras.ops.convert_to_numpy(v)
            for v in keras.tree.flatten(feed(xs, training=False))
        ]
    except (ValueError, TypeError) as e:
        return None, f"the entries cannot be computed alone ({e})", None
    values = [tf.constant(v / r if (r := _rms(v)) > 0 else v) for v in values]
    layers, outputs = (
        (watched.layers, list(watched.outputs)) if watched else ((), [])
    )
    model_outputs = {id(t) for t in graph_lib.tensors(model.outputs)}
    for path in propagation.paths:
        end, pre = path.end, path.pre
        targets = list(end.inputs) if pre else [end.outputs[0]]
        # The watched layers' gradients are those of training only when z
        # is the model's output (a path may end before a zero readout).
        shares = len(propagation.paths) == 1 and any(
            id(t) in model_outputs for t in end.outputs
        )
        try:
            sub, where = _sub_model(entries, targets, outputs if shares else [])
        except ValueError as e:
            return None, f"no model from the entries to {end.name} ({e})", None
        try:
            z, r, loss, tape, activations = _pass(
                model, sub, end.layer if pre else None, values, where
            )
            kernels = [
                k for k in signals.watched_kernels(layers) if k is not None
            ]
            grads = tape.gradient(
                loss, [*values, *activations, *(kernels if activations else [])]
            )
        except (ValueError, TypeError, tf.errors.OpError) as e:
            return None, f"the pass to {end.name} failed ({e})", None
        entry_grads = grads[: len(values)]
        squares = sum(
            float(tf.reduce_sum(tf.square(g)))
            for g in entry_grads
            if g is not None
        )
        backward = np.sqrt(squares * path.pooled) / float(tf.norm(r))
        measured.append(paths_lib.Measured(_rms(z.numpy()), float(backward)))
        if activations:
            rest = grads[len(values) :]
            by_kernel = iter(rest[len(activations) :])
            shared = (
                activations,
                rest[: len(activations)],
                [
                    None if k is None else next(by_kernel)
                    for k in signals.watched_kernels(layers)
                ],
                loss,
            )
    return measured, None, shared


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
