"""Second moments through a model's layer graph, from the weights alone.

`propagate` follows the mean square of the signal (and its correlation
between examples) forward through every call of the model's graph, nested
models included, with the rules of `moments`; then, for each output, the
squared norm of the gradient back from the output's pre-activations to the
model's entries, adding up where a tensor feeds several layers. No
TensorFlow graph is traced: the numbers come from NumPy statistics of the
weights and the theory's Gaussian moments.

Where the signal starts: the doctor judges the network, not the data
pipeline. Layers without trainable weights before the first one that has
some (reshaping, rescaling, the preprocessing Normalization of
keras.applications models) and Embedding lookups make the path's entries,
taken to carry unit mean square: that is the scale the preprocessing (or
the embedding's consumer) is there to give. Gains are relative to them.

Each output's `Path` holds the end-to-end gains, forward (the RMS of the
output pre-activations over the entries') and backward (the gradient norm
at the entries over the one at the output pre-activations; an all-zero
readout, the deliberate zero-init of a last layer, is passed over and the
path judged up to the signal it reads), and the main
path: from the output back to an entry, always through the input that
carries most of the signal. On a residual block that is the shortcut while
the branch is small, so a small branch is recognised as deliberate: the
sum's variance is judged, and the gradient at the fork gets 1 + the
branch's factor. Main-path layers are grouped into units (a weighted layer
with the weightless layers after it, e.g. a convolution's activation),
each with its share of the log-gains, from which the verdicts name causes.
"""

import dataclasses
import math

import keras

from keras_initstudy.diagnostics import signals
from keras_initstudy.diagnostics.doctor import graph as graph_lib
from keras_initstudy.diagnostics.doctor import moments
from keras_initstudy.diagnostics.doctor import walk


@dataclasses.dataclass
class Step:
    """One call of the graph and its `moments.Effect`.

    Attributes:
        name: the layer's path in the model ("" for the link between a
            nested model's tensors and the outer ones).
        layer: the layer (or operation) called; None for a link.
        inputs, outputs: the tensors.
        effect: the `moments.Effect`, None for an entry.
        entry: an entry of the path (see the module docstring).
    """

    name: str
    layer: object
    inputs: tuple
    outputs: tuple
    effect: moments.Effect | None = None
    entry: bool = False

    @property
    def weighted(self):
        return bool(getattr(self.layer, "trainable_weights", ()))


@dataclasses.dataclass(frozen=True)
class Unit:
    """Main-path layers that act as one: a weighted layer and its followers.

    Attributes:
        name: the weighted layer's path (or the first layer's).
        layers: the paths of the layers in the unit.
        forward, backward: the unit's factors on the RMS and on the gradient
            norm (square roots of the mean-square factors).
        activation: the activation the unit applies ("linear" for none).
        layer: the weighted layer (or the first one).
        role: the kernel's walk role, or "" for layers without a kernel.
        ends_branch: the unit's last layer only feeds residual sums.
    """

    name: str
    layers: tuple
    forward: float
    backward: float
    activation: str
    layer: object
    role: str
    ends_branch: bool = False


@dataclasses.dataclass(frozen=True)
class Path:
    """The predicted gains from the entries to one output.

    Attributes:
        output: the path of the layer computing the output.
        entry: the entry at the start of the main path.
        forward: RMS of the output pre-activations over the entries'.
        backward: gradient norm at the entries over the output's.
        units: the main path's `Unit`s, entry first.
        steps: `(step, q_in, q_out, chi)` per main-path `Step`, entry
            first: the mean squares of its main input and of its output,
            and the squared gradient norm at its main input over the one
            at its output (the branches that leave the input included).
        approximations: the distinct approximations of the rules used on
            the main path.
        end: the `Step` where the path ends: the one computing the
            output, or the one before an all-zero readout.
        pre: whether the path ends at the end's pre-activations (it
            applies an activation itself) rather than its output.
        pooled: the positions that the main path's average poolings
            average together; the backward gain is counted per pooled
            position (see `moments`).
    """

    output: str
    entry: str
    forward: float
    backward: float
    units: tuple
    steps: tuple
    approximations: tuple
    end: Step
    pre: bool
    pooled: int


@dataclasses.dataclass
class Propagation:
    """Every step of the graph, and a `Path` per output."""

    steps: list
    paths: list


def propagate(model, graph, names, weights):
    """Propagates second moments through `model` (see the module doc).

    Args:
        model: a built functional (or Sequential) Keras model.
        graph: its `graph.Graph`, with the nested models' nodes.
        names: layer id -> path in the model (`walk.layers`).
        weights: a `moments.Weights`.

    Returns:
        A `Propagation`, or None when the model has no layer graph.
    """
    if id(model) not in graph.nodes_of:
        return None
    steps = _steps(model, graph, names)
    q = _forward(steps, weights)
    producer = {id(t): s for s in steps for t in s.outputs}
    paths = []
    branch_ends = {
        id(s.layer)
        for s in steps
        if s.layer is not None
        and graph_lib.ends_residual_branch(s.layer, graph)
    }
    for tensor in graph_lib.tensors(model.outputs):
        end = _end(producer.get(id(tensor)), producer)
        pre = end is not None and end.effect.pre is not None
        if end is not None and end.effect.sigma_w2 == 0:
            # An all-zero readout is the deliberate zero-init trick (its
            # kernel still gets a gradient from distinct hidden units):
            # the path is judged up to the signal it reads.
            end = producer.get(id(end.inputs[end.effect.main]))
            pre = False
            if end is not None and end.entry:
                end = None
        if end is not None:
            paths.append(_path(end, pre, steps, q, producer, branch_ends))
    return Propagation(steps, paths)


def _steps(model, graph, names, seen=None):
    """The model's calls in order, nested models' calls inlined.

    A nested functional model called once is replaced by links from the
    outer tensors to its own inputs, its calls, and links back; one called
    more often keeps one step (its inner tensors would serve every call).
    """
    seen = set() if seen is None else seen
    calls = {}
    for node in graph.nodes_of[id(model)]:
        calls[id(node.operation)] = calls.get(id(node.operation), 0) + 1
    steps = []
    for node in graph.nodes_of[id(model)]:
        layer = node.operation
        inner = graph.nodes_of.get(id(layer))
        if (
            isinstance(layer, keras.Model)
            and inner is not None
            and calls[id(layer)] == 1
            and id(layer) not in seen
        ):
            seen.add(id(layer))
            links_in = zip(
                node.inputs, graph_lib.tensors(layer.inputs), strict=False
            )
            steps += [Step("", None, (a,), (b,)) for a, b in links_in]
            # The links, not the nested model's input layers, start it.
            steps += [s for s in _steps(layer, graph, names, seen) if s.inputs]
            links_out = zip(
                graph_lib.tensors(layer.outputs), node.outputs, strict=False
            )
            steps += [Step("", None, (a,), (b,)) for a, b in links_out]
            continue
        name = names.get(
            id(layer), getattr(layer, "name", type(layer).__name__)
        )
        steps.append(Step(name, layer, node.inputs, node.outputs))
    return steps


def _forward(steps, weights):
    """Mean squares of every tensor; marks the entries and sets effects.

    Entries carry unit mean square and independent examples (c = 0).
    """
    q, c, before_weights = {}, {}, set()
    for step in steps:
        ins = [id(t) for t in step.inputs]
        if step.layer is None:  # A link: the same tensor under two names.
            out = id(step.outputs[0])
            q[out], c[out] = q[ins[0]], c[ins[0]]
            if ins[0] in before_weights:
                before_weights.add(out)
                step.entry = True
            step.effect = moments.Effect(q[ins[0]], (1.0,))
            continue
        upstream = all(i in before_weights for i in ins)
        if upstream and (
            not step.weighted or isinstance(step.layer, keras.layers.Embedding)
        ):
            step.entry = True
            for t in step.outputs:
                q[id(t)], c[id(t)] = 1.0, 0.0
                before_weights.add(id(t))
            continue
        step.effect = moments.effect(
            step.layer,
            [q.get(i, 1.0) for i in ins],
            [c.get(i, 0.0) for i in ins],
            [tuple(t.shape) for t in step.inputs],
            weights,
        )
        c_out = step.effect.c_out
        if c_out is None:
            c_out = c.get(ins[step.effect.main], 0.0) if ins else 0.0
        for t in step.outputs:
            q[id(t)], c[id(t)] = step.effect.q_out, c_out
    return q


def _end(step, producer):
    """The step whose (pre-activation) output the path ends at.

    Trailing weightless single-input layers (a softmax Activation, a
    Reshape, the links out of a nested model) are passed over back to the
    layer computing the output pre-activations.
    """
    while (
        step is not None
        and not step.entry
        and not step.weighted
        and len(step.inputs) == 1
        and not isinstance(step.layer, keras.Model)
    ):
        step = producer.get(id(step.inputs[0]))
    if step is None or step.entry:
        return None
    return step


def _backward(end, pre, steps):
    """Squared gradient norms relative to the end's (pre-)activations."""
    g = {}
    index = {id(s): i for i, s in enumerate(steps)}
    chi = end.effect.chi_pre if pre else end.effect.chi
    for t, factor in zip(end.inputs, chi, strict=True):
        g[id(t)] = g.get(id(t), 0.0) + factor
    for step in reversed(steps[: index[id(end)]]):
        if step.entry:
            continue
        out = sum(g.get(id(t), 0.0) for t in step.outputs)
        if out == 0.0:
            continue
        for t, factor in zip(step.inputs, step.effect.chi, strict=True):
            # 0 * inf (no gradient into a layer that would amplify it)
            # is no gradient.
            if factor:
                g[id(t)] = g.get(id(t), 0.0) + factor * out
    return g


def _main_steps(end, producer):
    """The main path from the end back to an entry, entry first."""
    path, step = [], end
    while step is not None and not step.entry:
        path.append(step)
        step = producer.get(id(step.inputs[step.effect.main]))
    if step is not None:
        path.append(step)
    return path[::-1]


def _path(end, pre, steps, q, producer, branch_ends):
    g = _backward(end, pre, steps)
    main = _main_steps(end, producer)
    entries = [s for s in steps if s.entry]
    backward_sq = sum(g.get(id(t), 0.0) for s in entries for t in s.outputs)
    q_end = end.effect.pre if pre else end.effect.q_out
    records = []
    for step in main:
        if step.entry or step.layer is None:  # Links change nothing.
            continue
        q_in = q[id(step.inputs[step.effect.main])]
        last = step is end
        q_out = q_end if last else step.effect.q_out
        out = 1.0 if last else sum(g.get(id(t), 0.0) for t in step.outputs)
        back = _ratio(g.get(id(step.inputs[step.effect.main]), 0.0), out)
        records.append((step, q_in, q_out, back))
    units = _units(records, branch_ends)
    notes = sorted({s.effect.approximation for s, *_ in records} - {""})
    return Path(
        output=end.name,
        entry=main[0].name if main and main[0].entry else "",
        forward=_sqrt(q_end),
        backward=_sqrt(backward_sq),
        units=tuple(units),
        steps=tuple(records),
        approximations=tuple(notes),
        end=end,
        pre=pre,
        pooled=math.prod(s.effect.pooled for s, *_ in records),
    )


def _units(records, branch_ends):
    """Groups main-path steps into `Unit`s (see the module docstring)."""
    groups = []
    for record in records:
        step = record[0]
        starts = (
            step.weighted
            or len(step.inputs) > 1
            or isinstance(step.layer, keras.Model)
        )
        if starts or not groups:
            groups.append([record])
        else:
            groups[-1].append(record)
    units = []
    for group in groups:
        head = group[0][0]
        forward = math.prod(_ratio(q_out, q_in) for _, q_in, q_out, _ in group)
        backward = math.prod(b for *_, b in group)
        activation = head.effect.activation
        for step, *_ in group[1:]:
            if activation == "linear" and step.layer is not None:
                activation = signals.activation_name(step.layer)
        units.append(
            Unit(
                name=head.name,
                layers=tuple(s.name for s, *_ in group if s.name),
                forward=_sqrt(forward),
                backward=_sqrt(backward),
                activation=activation,
                layer=head.layer,
                role=_kernel_role(head.layer),
                ends_branch=id(group[-1][0].layer) in branch_ends,
            )
        )
    return units


def _kernel_role(layer):
    """The walk role of a layer's kernel ("" for a layer without one)."""
    if isinstance(layer, keras.layers.TimeDistributed):
        layer = layer.layer
    for variable in getattr(layer, "trainable_weights", ()):
        role = walk.role(layer, variable, None)
        if role in walk.KERNEL_ROLES:
            return role
    return ""


def _ratio(a, b):
    if b == 0:
        return 0.0 if a == 0 else math.inf
    return a / b


def _sqrt(value):
    return math.sqrt(value) if value >= 0 else math.nan
