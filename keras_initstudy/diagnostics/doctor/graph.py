"""The layer graph: who feeds whom, and which layers make the outputs.

Built from the functional models of a model (Sequential included, nested
ones too), keyed by object ids. Checks ask it what comes after a layer (an
activation, a normalization, a residual sum) and whether a layer computes
an output; the signal checks ask it which layers to watch.
"""

import dataclasses

import keras

from keras_initstudy.diagnostics import signals
from keras_initstudy.diagnostics.doctor import families


@dataclasses.dataclass
class Graph:
    """Edges of the functional models of a model, keyed by object ids."""

    producer: dict = dataclasses.field(default_factory=dict)  # tensor->layer
    readers: dict = dataclasses.field(default_factory=dict)  # tensor->layers
    outputs_of: dict = dataclasses.field(default_factory=dict)  # layer->tensors
    outputs: set = dataclasses.field(default_factory=set)  # output layers

    def consumers(self, layer):
        return [
            reader
            for t in self.outputs_of.get(id(layer), ())
            for reader in self.readers.get(id(t), ())
        ]

    def known(self, layer):
        return id(layer) in self.outputs_of


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


def _add_functional(model, graph):
    """Records the edges of one functional model (Sequential included).

    Layers called more than once have no single `.input`/`.output`; they
    keep no edges, so the checks that need a neighbour are not run on
    them, which only makes the doctor more lenient.
    """
    for layer in model.layers:
        try:
            outputs, inputs = tensors(layer.output), tensors(layer.input)
        except (AttributeError, ValueError):
            continue
        graph.outputs_of[id(layer)] = outputs
        for t in outputs:
            graph.producer[id(t)] = layer
        for t in inputs:
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
    pending = [graph.producer.get(id(t)) for t in outputs]
    while pending:
        layer = pending.pop()
        if layer is None or id(layer) in graph.outputs:
            continue
        graph.outputs.add(id(layer))
        if isinstance(layer, keras.Model):
            _mark_outputs(layer, graph)
        elif not layer.weights:
            try:
                inputs = tensors(layer.input)
            except (AttributeError, ValueError):
                continue
            pending.extend(graph.producer.get(id(t)) for t in inputs)


def next_activation(layer, graph):
    """The activation applied to a layer's output, its own or the next's."""
    own = signals.activation_name(layer)
    following = graph.consumers(layer)
    if own == "linear" and len(following) == 1:
        nxt = following[0]
        if not nxt.weights:  # An Activation, ReLU, ... layer.
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
