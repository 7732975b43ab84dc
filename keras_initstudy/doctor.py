"""An initialization "doctor" for any Keras model.

`examine(model)` inspects every layer that has a kernel (Dense and
convolutions) and reports what the study shows goes wrong at init:

- `zero_kernel`: all weights 0. Fatal in a hidden layer (every unit is the
  same unit; with relu or tanh no gradient ever reaches it), harmless in the
  output layer.
- `constant_kernel`: all weights one non-zero value: the units are identical
  and stay identical under gradient descent.
- `symmetric_units`: some units have identical incoming weights (and
  biases), so the layer computes fewer distinct features than it has units.
- `scale`: the weights' standard deviation is more than `SCALE_TOLERANCE`
  times off the variance-preserving value for the layer's activation
  (He for the relu family, Glorot/Xavier otherwise). Across L such layers
  the signal is scaled by roughly that factor to the power L.
- `duplicate_layers`: two layers hold identical kernels, the symptom of one
  unseeded initializer instance shared by same-shaped layers (Keras 3
  initializers return the same values on every call).

Each finding has a severity: "error" (training cannot fix it), "warning"
(training is likely to suffer) or "info".
"""

import dataclasses
import math

import numpy as np

from keras_initstudy import diagnostics

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)

# A kernel std within this factor of the variance-preserving value passes:
# He and Glorot themselves differ by up to sqrt(2) * sqrt(fan_avg / fan_in),
# so a tighter bound would flag sound choices.
SCALE_TOLERANCE = 2.0
_RELU_FAMILY = (
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "swish",
)


@dataclasses.dataclass(frozen=True)
class Finding:
    """One diagnosis about one layer (or a pair of layers)."""

    layer: str
    check: str
    severity: str
    message: str
    suggestion: str = ""

    def as_dict(self):
        return dataclasses.asdict(self)


def _activation_name(layer):
    activation = layer.get_config().get("activation", "linear")
    if isinstance(activation, dict):  # A serialized function or object.
        activation = activation.get("config", {}).get("name", "custom")
    return str(activation)


def _fans(kernel):
    receptive = math.prod(kernel.shape[:-2]) if kernel.ndim > 2 else 1
    return kernel.shape[-2] * receptive, kernel.shape[-1] * receptive


def recommended_std(kernel_shape, activation):
    """The variance-preserving weight std for a kernel and activation.

    He, sqrt(2 / fan_in), for the relu family; Glorot, sqrt(2 / (fan_in +
    fan_out)), for tanh, sigmoid, linear and anything else.
    """
    fan_in, fan_out = _fans(np.empty(kernel_shape, dtype=np.float32))
    if activation in _RELU_FAMILY:
        return math.sqrt(2.0 / fan_in)
    return math.sqrt(2.0 / (fan_in + fan_out))


def _kernel_layers(model):
    return [
        layer
        for layer in model.layers
        if getattr(layer, "kernel", None) is not None
        and len(layer.kernel.shape) >= 2
    ]


def _examine_layer(layer, is_output):
    kernel = np.asarray(layer.kernel.numpy())
    bias_var = getattr(layer, "bias", None)
    bias = None if bias_var is None else np.asarray(bias_var.numpy())
    name, units = layer.name, kernel.shape[-1]
    role = "output layer" if is_output else "hidden layer"
    if not np.any(kernel):
        if is_output:
            return [
                Finding(
                    name,
                    "zero_kernel",
                    INFO,
                    "all weights are 0 in the output layer: safe on its "
                    "own, since it still gets gradients from distinct hidden "
                    "units.",
                )
            ]
        return [
            Finding(
                name,
                "zero_kernel",
                ERROR,
                f"all {kernel.size} weights are 0: the {units} units are one "
                "unit, and with relu or tanh no gradient ever reaches them.",
                "use he_normal (relu) or xavier_normal (tanh, sigmoid).",
            )
        ]
    if np.all(kernel == kernel.flat[0]):
        return [
            Finding(
                name,
                "constant_kernel",
                ERROR,
                f"all weights equal {kernel.flat[0]:.6g}: the {units} units "
                f"of this {role} compute the same value and get the same "
                "gradient.",
                "use a random initializer (he_normal, xavier_normal, "
                "orthogonal) or a deterministic one that differs per unit "
                "(zero_hadamard).",
            )
        ]
    findings = []
    groups = diagnostics.symmetry_groups(kernel, bias)
    if len(groups) < units and not is_output:
        findings.append(
            Finding(
                name,
                "symmetric_units",
                ERROR,
                f"{units} units but only {len(groups)} distinct incoming "
                "weight vectors: identical units stay identical under "
                "gradient descent.",
                "initialize each unit with different weights.",
            )
        )
    activation = _activation_name(layer)
    target = recommended_std(kernel.shape, activation)
    ratio = float(kernel.std()) / target
    if not 1 / SCALE_TOLERANCE <= ratio <= SCALE_TOLERANCE:
        direction = "large" if ratio > 1 else "small"
        findings.append(
            Finding(
                name,
                "scale",
                WARNING,
                f"weight std {kernel.std():.3g} is {ratio:.3g}x the "
                f"variance-preserving {target:.3g} for {activation}: too "
                f"{direction}; through L such layers signals scale by about "
                f"{ratio:.3g}^L.",
                "he_normal for relu-like activations, xavier_normal otherwise.",
            )
        )
    return findings


def examine(model):
    """Diagnoses the initial weights of a Keras model.

    Examples:

    >>> model = keras_initstudy.models.mlp((64,), kernel_initializer="zeros")
    >>> [f.check for f in examine(model)]
    ['zero_kernel', 'zero_kernel']

    Args:
        model: a built `keras.Model` (or any layer container with `.layers`).

    Returns:
        A list of `Finding`s, errors first; empty when nothing is wrong.
    """
    layers = _kernel_layers(model)
    findings = []
    for i, layer in enumerate(layers):
        findings.extend(_examine_layer(layer, is_output=i == len(layers) - 1))
    seen = {}
    for layer in layers:
        kernel = np.asarray(layer.kernel.numpy())
        if not np.any(kernel) or np.all(kernel == kernel.flat[0]):
            continue  # Reported above; equal constants are no surprise.
        key = (kernel.shape, kernel.tobytes())
        if key in seen:
            findings.append(
                Finding(
                    layer.name,
                    "duplicate_layers",
                    WARNING,
                    f"kernel identical to layer {seen[key]!r}: one unseeded "
                    "initializer instance was probably shared by both layers.",
                    "give each layer its own initializer instance or seed.",
                )
            )
        else:
            seen[key] = layer.name
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))
