"""Batches for the doctor's signal pass, and the loss that reads them.

The doctor measures signals on a batch the user gives, on dataset images
that fit the model (`image_batch`), or on a batch it makes from the model's
input spec (`synthetic_batch`). Labels are classes of the model's first
output, for the cross-entropy `loss` the gradient pass uses.
"""

import math

import keras
import numpy as np

from keras_initstudy.diagnostics import signals
from keras_initstudy.diagnostics.doctor import graph as graph_lib

# Examples in a batch the doctor makes itself (`synthetic_batch`,
# `image_batch`): enough for shares and stds per layer, cheap for big nets.
SYNTHETIC_BATCH_SIZE = 32
_SYNTHETIC_LENGTH = 16  # For input dimensions the model leaves open.


def loss(model, graph):
    """A loss for the gradient pass: cross-entropy against random labels.

    Returns `(loss_fn, name, num_classes)`; probabilities (softmax or sigmoid
    outputs) are detected from the output layer's activation.
    """
    output = graph_lib.tensors(model.outputs)[0]
    classes = output.shape[-1] or 1
    producer = graph.producer.get(id(output))
    activation = (
        "linear" if producer is None else signals.activation_name(producer)
    )
    if classes == 1:
        fn = keras.losses.BinaryCrossentropy(
            from_logits=activation != "sigmoid"
        )
        name = "binary cross-entropy"
    else:
        fn = keras.losses.SparseCategoricalCrossentropy(
            from_logits=activation != "softmax"
        )
        name = "sparse categorical cross-entropy"
    logits = "logits" if fn.get_config()["from_logits"] else "probabilities"
    return fn, f"{name} (from {logits})", classes


def synthetic_batch(model, size=SYNTHETIC_BATCH_SIZE, seed=0):
    """A batch of the model's input spec, with labels for its output.

    Inputs that feed an Embedding get random token ids below its
    `input_dim`; other inputs standard-normal values (what normalized data
    looks like). Labels are random classes of the first output.

    Args:
        model: a functional Keras model.
        size: examples in the batch.
        seed: seeds the draws.

    Returns:
        `(x, y, description)`: `x` an array (a list for several inputs),
        integer labels `y`, and a one-line description for the report.
    """
    graph = graph_lib.functional_graph(model)
    rng = np.random.default_rng(seed)
    xs, parts = [], []
    for tensor in graph_lib.tensors(model.inputs):
        shape = (size,) + tuple(
            d or _SYNTHETIC_LENGTH for d in tensor.shape[1:]
        )
        tables = [
            f
            for f in graph.readers.get(id(tensor), ())
            if isinstance(f, keras.layers.Embedding)
        ]
        if tables:
            vocabulary = min(t.input_dim for t in tables)
            xs.append(rng.integers(0, vocabulary, shape).astype(tensor.dtype))
            parts.append(f"token ids below {vocabulary} of shape {shape}")
        else:
            xs.append(rng.standard_normal(shape).astype(tensor.dtype))
            parts.append(f"standard-normal values of shape {shape}")
    _, _, classes = loss(model, graph)
    y = rng.integers(0, max(classes, 2), size=size)
    description = f"synthetic: {'; '.join(parts)}; random labels"
    return (xs[0] if len(xs) == 1 else xs), y, description


def image_batch(model, images, labels, name, size=SYNTHETIC_BATCH_SIZE):
    """The first `size` dataset images in the model's input shape.

    Images fit a model whose one input has as many values per example
    (28 x 28 = 784 for MNIST: `(28, 28)`, `(784,)` or `(28, 28, 1)`); the
    labels are used when the model has as many outputs as the dataset has
    classes. Otherwise the batch is `synthetic_batch(model, size)`, and the
    description says why.

    Args:
        model: a functional Keras model.
        images: `(N, ...)` float images.
        labels: `(N,)` integer labels.
        name: the dataset's name, for the description.
        size: examples in the batch.

    Returns:
        `(x, y, description)` as `synthetic_batch`.
    """
    inputs = graph_lib.tensors(model.inputs)
    shape = tuple(inputs[0].shape[1:]) if len(inputs) == 1 else ()
    images = np.asarray(images[:size])
    per_example = math.prod(images.shape[1:])
    if (
        len(inputs) != 1
        or None in shape
        or math.prod(shape) != per_example
        or not np.issubdtype(np.dtype(inputs[0].dtype), np.floating)
    ):
        x, y, description = synthetic_batch(model, size)
        return (
            x,
            y,
            (
                f"{description} (the model's input {shape or len(inputs)} does "
                f"not take {name} images of shape {images.shape[1:]})"
            ),
        )
    x = images.reshape((len(images), *shape)).astype(np.float32)
    _, _, classes = loss(model, graph_lib.functional_graph(model))
    labels = np.asarray(labels[:size])
    if classes == int(labels.max()) + 1 or classes == 10:
        return x, labels, f"{len(x)} {name} test images and labels"
    y = np.random.default_rng(0).integers(0, max(classes, 2), len(x))
    return (
        x,
        y,
        (
            f"{len(x)} {name} test images, random labels for the model's "
            f"{classes} outputs"
        ),
    )
