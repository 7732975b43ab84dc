"""The layer graph: who feeds whom, and which layers make the outputs.

Built from the nodes of the functional models of a model (Sequential
included, nested ones too): the calls that lead from the model's inputs to
its outputs, found by walking back from the outputs. A layer's `.input` and
`.output` name its first call, which need not be a call in this model (a
loaded Sequential rebuilds its layers once per layer), so the graph never
reads them.

Checks ask the graph what comes after a layer (an activation, a
normalization, a residual sum) and whether a layer computes an output; the
signal checks ask it which layers to watch, and the propagation walks its
nodes in order.
"""

import dataclasses

import keras

from keras_initstudy.diagnostics import signals
from keras_initstudy.diagnostics.doctor import families


@dataclasses.dataclass(frozen=True)
class Node:
    """One call of a layer (or operation) in a functional model.

    Attributes:
        operation: the layer or operation called.
        inputs: the tensors it was called on, in argument order.
        outputs: the tensors it returned.
    """

    operation: object
    inputs: tuple
    outputs: tuple


@dataclasses.dataclass
class Graph:
    """Edges of the functional models of a model, keyed by object ids.

    Attributes:
        producer: tensor -> the layer that computes it.
        readers: tensor -> the layers called on it.
        outputs_of: layer -> its output tensors, for layers called once.
        outputs: the weighted layers that compute the model's outputs.
        node_of: tensor -> the `Node` that computes it.
        nodes_of: functional model -> its `Node`s, each after the nodes
            that compute its inputs.
    """

    producer: dict = dataclasses.field(default_factory=dict)
    readers: dict = dataclasses.field(default_factory=dict)
    outputs_of: dict = dataclasses.field(default_factory=dict)
    outputs: set = dataclasses.field(default_factory=set)
    node_of: dict = dataclasses.field(default_factory=dict)
    nodes_of: dict = dataclasses.field(default_factory=dict)

    def consumers(self, layer):
        return [
            reader
            for t in self.outputs_of.get(id(layer), ())
            for reader in self.readers.get(id(t), ())
        ]

    def known(self, layer):
        return id(layer) in self.outputs_of

    def downstream(self, layers, through=lambda layer: True):
        """The layers that read `layers`' outputs, and those after them.

        Each layer once, nearest first along each branch. `through(layer)`
        says whether to go on past a layer; the layer itself is yielded
        either way.
        """
        seen, stack = (
            set(),
            [r for layer in layers for r in self.consumers(layer)],
        )
        while stack:
            reader = stack.pop()
            if id(reader) in seen:
                continue
            seen.add(id(reader))
            yield reader
            if through(reader):
                stack.extend(self.consumers(reader))


def tensors(value):
    """The tensors of a nested structure, Nones left out."""
    return [t for t in keras.tree.flatten(value) if t is not None]


def functional_graph(model, nested=()):
    """The graph of `model` and of the functional models among `nested`.

    Args:
        model: the model whose outputs are marked.
        nested: layers found inside `model`; the `keras.Model`s among them
            add their edges, so the checks see inside nested models.
    """
    graph = Graph()
    for layer in (model, *nested):
        if isinstance(layer, keras.Model):
            _add_functional(layer, graph)
    _mark_outputs(model, graph)
    return graph


def model_nodes(model):
    """The nodes from `model`'s inputs to its outputs, inputs first.

    Walks back from the outputs through each tensor's Keras history (the
    call that made it), so only the calls of this model are found.

    Returns:
        A list of `Node`s, or None for a model without a layer graph (a
        subclassed model).
    """
    try:
        outputs = tensors(model.outputs)
    except (AttributeError, ValueError):
        return None
    order, done = [], set()
    pending = [(t, False) for t in reversed(outputs)]
    while pending:  # Depth first, a node after its inputs' nodes.
        tensor, expanded = pending.pop()
        call = _call(tensor)
        if call is None or id(call) in done:
            continue
        if expanded:
            done.add(id(call))
            order.append(
                Node(
                    call.operation,
                    tuple(call.input_tensors),
                    tuple(call.output_tensors),
                )
            )
            continue
        pending.append((tensor, True))
        pending.extend(
            (t, False)
            for t in reversed(call.input_tensors)
            if id(_call(t)) not in done
        )
    return order


def _call(tensor):
    """The Keras node (call event) that computed a tensor, or None."""
    history = getattr(tensor, "_keras_history", None)
    if history is None or history.operation is None:
        return None
    return history.operation._inbound_nodes[history.node_index]


def _add_functional(model, graph):
    """Records the edges of one functional model (Sequential included).

    Layers called more than once keep no `outputs_of`, so the checks that
    need a neighbour are not run on them, which only makes the doctor more
    lenient.
    """
    nodes = model_nodes(model)
    if nodes is None:
        return
    graph.nodes_of[id(model)] = nodes
    calls = {}
    for node in nodes:
        calls[id(node.operation)] = calls.get(id(node.operation), 0) + 1
    for node in nodes:
        layer = node.operation
        if calls[id(layer)] == 1:
            graph.outputs_of[id(layer)] = list(node.outputs)
        for t in node.outputs:
            graph.producer[id(t)] = layer
            graph.node_of[id(t)] = node
        for t in node.inputs:
            graph.readers.setdefault(id(t), []).append(layer)


def _mark_outputs(model, graph):
    """Marks the weighted layers that compute the model's outputs.

    Walks back from each output through weightless layers (Activation,
    Reshape, ...) to the layer that holds the output weights, and into a
    nested model that computes an output.
    """
    try:
        outputs = tensors(model.outputs)
    except (AttributeError, ValueError):
        return
    pending = [graph.node_of.get(id(t)) for t in outputs]
    while pending:
        node = pending.pop()
        if node is None or id(node.operation) in graph.outputs:
            continue
        layer = node.operation
        graph.outputs.add(id(layer))
        if isinstance(layer, keras.Model):
            _mark_outputs(layer, graph)
        elif not getattr(layer, "weights", ()):
            pending.extend(graph.node_of.get(id(t)) for t in node.inputs)


def next_activation(layer, graph):
    """The activation applied to a layer's output, its own or the next's."""
    own = signals.activation_name(layer)
    following = graph.consumers(layer)
    if own == "linear" and len(following) == 1:
        nxt = following[0]
        if not getattr(nxt, "weights", ()):  # An Activation, ReLU, ...
            return signals.activation_name(nxt)
    return own


def normalized(layer, graph):
    """Whether the layer's output only goes into normalization layers."""
    following = graph.consumers(layer)
    return bool(following) and all(
        isinstance(f, families.NORMALIZATIONS) for f in following
    )


def ends_residual_branch(layer, graph):
    """Whether the layer's output only goes into sums (`Add`).

    That is the last layer of a residual branch, `Add([shortcut, layer])`:
    zeroing it makes the block the identity. A layer whose output also
    feeds other layers (a post-norm transformer's LayerNormalization feeds
    both the next sum and the next block) is the main path, not a branch.
    """
    following = graph.consumers(layer)
    return bool(following) and all(
        isinstance(f, keras.layers.Add) for f in following
    )
