"""Walking a model: its layers, the weights each owns, and their roles.

Every weight of the model ends up either as a `Weight` with a role (which
decides the checks it gets) or as a `Skipped` with the reason, so a weight
the doctor cannot judge is never counted as healthy.
"""

import dataclasses

import keras
import numpy as np

from keras_initstudy.diagnostics.doctor import families
from keras_initstudy.diagnostics.doctor import findings

# The constructor argument that sets a weight of each role: the fixes name it.
INITIALIZER_ARGUMENT = {
    "dense_kernel": "kernel_initializer",
    "einsum_kernel": "kernel_initializer",
    "attention_projection": "kernel_initializer",
    "conv_kernel": "kernel_initializer",
    "depthwise_kernel": "depthwise_initializer",
    "pointwise_kernel": "pointwise_initializer",
    "input_kernel": "kernel_initializer",
    "recurrent_kernel": "recurrent_initializer",
    "embedding_table": "embeddings_initializer",
    "norm_scale": "gamma_initializer",
    "norm_offset": "beta_initializer",
    "bias": "bias_initializer",
}
KERNEL_ROLES = (
    "dense_kernel",
    "einsum_kernel",
    "attention_projection",
    "conv_kernel",
    "depthwise_kernel",
    "pointwise_kernel",
    "input_kernel",
    "recurrent_kernel",
)


@dataclasses.dataclass
class Weight:
    """A trainable weight the doctor judges, with where it sits."""

    variable: object
    path: str
    layer: object
    role: str
    ancestors: tuple
    value: np.ndarray


def _children(layer):
    """Sublayers through public attributes, in definition order.

    Models list theirs in `.layers`; other layers hold them as attributes
    (RNN `.cell`, wrappers `.layer`, Bidirectional `.forward_layer` and
    `.backward_layer`, MultiHeadAttention's projections) or in lists.
    """
    if isinstance(layer, keras.Model):
        return list(layer.layers)
    found = []
    for value in vars(layer).values():
        items = value if isinstance(value, (list, tuple)) else [value]
        found.extend(i for i in items if isinstance(i, keras.layers.Layer))
    return found


def layers(model):
    """Yields `(layer, path, ancestors)` for every layer, each once.

    `ancestors` runs from the model down to the layer's parent.
    """
    seen = set()

    def visit(layer, prefix, ancestors):
        for child in _children(layer):
            if id(child) in seen:
                continue
            seen.add(id(child))
            path = f"{prefix}{child.name}"
            yield child, path, ancestors
            yield from visit(child, path + "/", (*ancestors, child))

    yield from visit(model, "", (model,))


def own_weights(layer):
    """The layer's weights that none of its sublayers holds."""
    inherited = {
        id(w)
        for child in _children(layer)
        for w in getattr(child, "weights", [])
    }
    return [w for w in layer.weights if id(w) not in inherited]


def role(layer, weight, parent):
    """The role of a weight, or None when the doctor has no rule for it."""
    name = weight.name
    if isinstance(layer, keras.layers.Dense) and name == "kernel":
        return "dense_kernel"
    if isinstance(layer, keras.layers.EinsumDense) and name == "kernel":
        if isinstance(parent, keras.layers.MultiHeadAttention):
            return "attention_projection"
        return "einsum_kernel"
    if isinstance(layer, families.DEPTHWISE) and name == "kernel":
        return "depthwise_kernel"
    if isinstance(layer, families.SEPARABLE) and name == "depthwise_kernel":
        return "depthwise_kernel"
    if isinstance(layer, families.SEPARABLE) and name == "pointwise_kernel":
        return "pointwise_kernel"
    if isinstance(layer, families.CONVOLUTIONS) and name == "kernel":
        return "conv_kernel"
    if isinstance(layer, families.CELLS) and name in (
        "kernel",
        "recurrent_kernel",
    ):
        return "input_kernel" if name == "kernel" else "recurrent_kernel"
    if isinstance(layer, keras.layers.Embedding) and name == "embeddings":
        return "embedding_table"
    if isinstance(layer, families.NORMALIZATIONS) and name in (
        "gamma",
        "scale",
    ):
        return "norm_scale"
    if isinstance(layer, families.NORMALIZATIONS) and name == "beta":
        return "norm_offset"
    if name == "bias" and isinstance(
        layer,
        (
            keras.layers.Dense,
            keras.layers.EinsumDense,
            *families.CONVOLUTIONS,
            *families.DEPTHWISE,
            *families.SEPARABLE,
            *families.CELLS,
        ),
    ):
        return "bias"
    return None


def weights(model, walked):
    """Sorts every weight of `model` into judged and skipped.

    Args:
        model: the model.
        walked: `list(layers(model))`.

    Returns:
        `(judged, skipped)`: a `Weight` per trainable weight with a role
        (or with non-finite values, which are an error whatever the role),
        in model order, and a `findings.Skipped` per other weight.
    """
    judged, skipped, reached = [], [], set()
    for layer, path, ancestors in walked:
        for variable in own_weights(layer):
            if id(variable) in reached:
                continue  # A shared layer: judged where first seen.
            reached.add(id(variable))
            weight_path = f"{path}/{variable.name}"
            cls = type(layer).__name__
            if not (variable.trainable and layer.trainable):
                reason = f"not trainable ({cls} {variable.name})"
                skipped.append(findings.Skipped(weight_path, cls, reason))
                continue
            value = keras.ops.convert_to_numpy(variable)
            kind = role(layer, variable, ancestors[-1])
            if kind is None and np.all(np.isfinite(value)):
                reason = f"no rule for {cls} weight {variable.name!r}"
                skipped.append(findings.Skipped(weight_path, cls, reason))
                continue
            judged.append(
                Weight(
                    variable,
                    weight_path,
                    layer,
                    kind or "unknown",
                    ancestors,
                    value,
                )
            )
    for variable in model.weights:
        if id(variable) not in reached:
            skipped.append(
                findings.Skipped(
                    variable.path,
                    type(model).__name__,
                    "not reachable through the model's layers",
                )
            )
    return judged, skipped
