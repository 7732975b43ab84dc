"""The weight checks: one function per check, run in the order of `CHECKS`.

A check reads one weight and its surroundings (a `Subject`) and returns its
findings. `CHECKS` says which roles each check applies to and in which
order they run; a check marked final ends a weight's checks when it finds
something (a zero kernel has no scale worth judging). `duplicate_weights`
runs last, across all weights.
"""

import collections
import dataclasses
import functools
import math
import re
from collections.abc import Callable

import numpy as np

from keras_initstudy.diagnostics import signals
from keras_initstudy.diagnostics import symmetry
from keras_initstudy.diagnostics.doctor import families
from keras_initstudy.diagnostics.doctor import findings
from keras_initstudy.diagnostics.doctor import graph as graph_lib
from keras_initstudy.diagnostics.doctor import walk
from keras_initstudy.initializers import gain

# A kernel std within this factor of the variance-preserving value passes:
# He and Glorot themselves differ by up to sqrt(2) * sqrt(fan_avg / fan_in),
# so a tighter bound would flag sound choices.
SCALE_TOLERANCE = 2.0
# Pre-activations of a variance-preserving layer on standardized inputs have
# a std of about 1: a bias of that size decides the unit's output alone
# (a dead relu, a saturated tanh) whatever the input.
BIAS_LIMIT = 1.0


@dataclasses.dataclass
class Subject:
    """A weight under examination, and what its checks read around it.

    Attributes:
        weight: the `walk.Weight`.
        siblings: the judged weights of the same layer, by variable name
            (a kernel's bias; a recurrent kernel's input kernel).
        graph: the model's `graph.Graph`.
    """

    weight: walk.Weight
    siblings: dict
    graph: graph_lib.Graph

    @functools.cached_property
    def graph_layer(self):
        """The layer whose neighbours matter.

        The weight's own layer, or the nearest ancestor in a layer graph
        (the RNN around a cell, the wrapper around a layer, the attention
        layer around a projection).
        """
        w = self.weight
        for layer in (w.layer, *reversed(w.ancestors)):
            if self.graph.known(layer):
                return layer
        return w.layer

    @functools.cached_property
    def activation(self):
        """The activation after the weight's layer, its own or the next's."""
        own = signals.activation_name(self.weight.layer)
        if own != "linear" or isinstance(self.weight.layer, families.CELLS):
            return own
        return graph_lib.next_activation(self.graph_layer, self.graph)

    @property
    def is_output(self):
        return id(self.graph_layer) in self.graph.outputs

    @property
    def output_kernel(self):
        """Whether a kernel makes the output; a cell's make its state."""
        return self.is_output and self.weight.role not in (
            "input_kernel",
            "recurrent_kernel",
        )

    @property
    def kernel_fix(self):
        """A kernel's fix: variance-preserving, or orthogonal if recurrent."""
        w = self.weight
        init = (
            "orthogonal"
            if w.role == "recurrent_kernel"
            else findings.recommended_init(self.activation)
        )
        extra = {"depthwise": True} if w.role == "depthwise_kernel" else {}
        return findings.fix(walk.INITIALIZER_ARGUMENT[w.role], init, **extra)


def non_finite(s):
    value = s.weight.value
    if np.all(np.isfinite(value)):
        return []
    return [
        findings.Finding(
            s.weight.path,
            "non_finite",
            findings.ERROR,
            f"{int(np.sum(~np.isfinite(value)))} of {value.size} values "
            "are NaN or infinite: every output and gradient through "
            "them is too.",
            "re-create the weight with a registry initializer, e.g. "
            + findings.fix("kernel_initializer", "he_normal"),
        )
    ]


# Activations whose derivative at 0 is 0: a unit of a zero kernel (and
# zero bias) under them passes no gradient back, to its kernel or before.
_DEAD_AT_ZERO = ("relu", "relu6")


def _passes_gradient(s, zero):
    """Whether the units of a uniform kernel pass gradients at init.

    A zero kernel's pre-activations are its biases: under relu they pass
    gradients only where the bias is positive. A non-zero constant's
    depend on the inputs, as any kernel's do.
    """
    if not zero or s.activation not in _DEAD_AT_ZERO:
        return True
    bias = s.siblings.get("bias")
    return bias is not None and bool(np.all(bias.value > 0))


def _parting_weights(s):
    """The layer after a uniform kernel whose distinct weights part its units.

    Units that start alike get distinct gradients when the weights after
    them differ, as a network's output layer's do: gradient descent then
    tells them apart on the first step, as it does an output layer's zero
    kernel. The layers after the weight's layer are followed through
    weightless layers, residual sums and normalizations to the first layers
    with weights; all of them must hold distinct values (not one value
    repeated). Returns the first one's name, or None when none is found
    or one is uniform, or for a weight inside a layer (an attention's
    projection) whose neighbours in the graph are not its own.
    """
    w, layer = s.weight, s.graph_layer
    inner = getattr(layer, "layer", None) is w.layer or isinstance(
        w.layer, families.CELLS
    )
    if w.layer is not layer and not inner:
        return None

    def passes_on(reader):
        return not reader.trainable_weights or isinstance(
            reader, families.NORMALIZATIONS
        )

    found = []
    for reader in s.graph.downstream([layer], through=passes_on):
        if passes_on(reader):
            continue
        kernels = [v for v in reader.trainable_weights if len(v.shape) >= 2]
        if not kernels:
            return None
        value = np.asarray(kernels[0].numpy())
        if np.all(value == value.flat[0]):
            return None
        found.append(reader.name)
    return found[0] if found else None


def uniform_kernel(s):
    """`zero_kernel` and `constant_kernel`: every weight one value.

    An error, unless the units are told apart on the first step (info):
    in an output layer, or before distinct weights while they pass
    gradients (`_parting_weights`). A depthwise kernel's channels are
    separate units, so one value across them is no symmetry.
    """
    w, kernel = s.weight, s.weight.value
    zero = not np.any(kernel)
    if not zero and (
        w.role == "depthwise_kernel" or not np.all(kernel == kernel.flat[0])
    ):
        return []
    check = "zero_kernel" if zero else "constant_kernel"
    what = (
        f"all {kernel.size} weights are 0"
        if zero
        else f"all weights equal {kernel.flat[0]:.6g}"
    )
    if s.output_kernel:
        return [
            findings.Finding(
                w.path,
                check,
                findings.INFO,
                f"{what} in an output layer: safe on its own, since it "
                "still gets gradients from distinct hidden units.",
                s.kernel_fix,
            )
        ]
    parting = (
        _parting_weights(s)
        if w.role in _PARTED_ROLES and _passes_gradient(s, zero)
        else None
    )
    if parting is not None:
        return [
            findings.Finding(
                w.path,
                check,
                findings.INFO,
                f"{what}: the units start alike, but the distinct weights "
                f"of {parting} after them give each its own gradient, so "
                "they part on the first step, as an output layer's zero "
                "kernel's do.",
                s.kernel_fix,
            )
        ]
    if zero:
        message = (
            f"{what}: every unit computes the same value, relu-like units "
            "pass no gradient at 0, and only distinct weights elsewhere "
            "could tell the units apart."
        )
    else:
        message = (
            f"{what}: the units compute the same value and get the same "
            "gradient."
        )
    return [
        findings.Finding(w.path, check, findings.ERROR, message, s.kernel_fix)
    ]


# Kernels whose units the weights after their layer tell apart; a
# recurrent kernel's units also feed each other through it.
_PARTED_ROLES = (
    "dense_kernel",
    "conv_kernel",
    "input_kernel",
    "recurrent_kernel",
)


def symmetric_units(s):
    w = s.weight
    if w.role == "input_kernel":
        return []  # Judged once per cell, on the recurrent kernel.
    if w.role == "recurrent_kernel":
        units = w.value.shape[0]
        parts = [w.value]
        for sibling in ("kernel", "bias"):
            if sibling in s.siblings:
                parts.append(s.siblings[sibling].value)
        # Unit j of gate g is column g * units + j; reshaping to rows of
        # `units` puts every gate's weights of unit j in column j.
        vectors = np.concatenate([p.reshape(-1, units) for p in parts])
        groups = symmetry.symmetry_groups(vectors)
    else:
        bias = s.siblings.get("bias")
        bias = None if bias is None else bias.value
        groups = symmetry.symmetry_groups(
            w.value,
            bias
            if bias is not None and bias.size == w.value.shape[-1]
            else None,
        )
        units = w.value.shape[-1]
    if len(groups) >= units:
        return []
    return [
        findings.Finding(
            w.path,
            "symmetric_units",
            findings.ERROR,
            f"{units} units but only {len(groups)} distinct incoming "
            "weight vectors: identical units stay identical under "
            "gradient descent.",
            s.kernel_fix,
        )
    ]


def einsum_fans(equation, shape):
    """True fans of an EinsumDense kernel: contracted vs produced dims."""
    match = re.fullmatch(r"\s*(.+?)\s*,\s*(.+?)\s*->\s*(.+?)\s*", equation)
    if match is None or len(match.group(2)) != len(shape):
        return None
    inputs, kernel, outputs = match.groups()
    dims = list(zip(kernel, shape, strict=True))
    fan_in = math.prod(d for c, d in dims if c in inputs) or 1
    fan_out = math.prod(d for c, d in dims if c in outputs) or 1
    return fan_in, fan_out


def _kernel_fans(w):
    """The `(fan_in, fan_out)` pairs a kernel's std may be judged by."""
    shape = w.value.shape
    if w.role in ("einsum_kernel", "attention_projection"):
        # Keras's initializers read an EinsumDense kernel (d, heads,
        # head_dim) as a convolution of window d, which gives a smaller
        # std than the true fans; both conventions are in wide use.
        true = einsum_fans(w.layer.get_config()["equation"], shape)
        return [gain.compute_fans(shape)] + ([true] if true else [])
    if w.role == "input_kernel":
        # Per gate (in, units), or Keras's view of the whole matrix.
        return [(shape[0], w.layer.units), gain.compute_fans(shape)]
    if w.role == "depthwise_kernel":
        return [gain.compute_fans(shape, depthwise=True)]
    if isinstance(w.layer, families.TRANSPOSED):
        fan_out, fan_in = gain.compute_fans(shape)
        return [(fan_in, fan_out)]
    return [gain.compute_fans(shape)]


def kernel_scale(s):
    w, activation = s.weight, s.activation
    targets = [
        findings.variance_preserving_std(i, o, activation)
        for i, o in _kernel_fans(w)
    ]
    std = float(np.std(w.value, dtype=np.float64))
    low, high = min(targets), max(targets)
    if low / SCALE_TOLERANCE <= std <= high * SCALE_TOLERANCE:
        return []
    target = high if std > high else low
    ratio = std / target
    direction = "large" if ratio > 1 else "small"
    return [
        findings.Finding(
            w.path,
            "scale",
            findings.WARNING,
            f"weight std {std:.3g} is {ratio:.3g}x the variance-preserving "
            f"{target:.3g} for {activation}: too {direction}; through L such "
            f"layers signals scale by about {ratio:.3g}^L.",
            s.kernel_fix,
        )
    ]


def recurrent_scale(s):
    value = s.weight.value
    units = value.shape[0]
    gates = value.shape[-1] // units
    # The RMS singular value of each gate's (units, units) block: 1 for
    # an orthogonal block, 1 / sqrt(gates) for Keras's orthogonal
    # (units, gates * units) matrix, sqrt(2 / (1 + gates)) for Glorot.
    per_step = float(np.std(value, dtype=np.float64)) * math.sqrt(units)
    low = 1.0 / (SCALE_TOLERANCE * math.sqrt(gates))
    if low <= per_step <= SCALE_TOLERANCE:
        return []
    direction = "explodes" if per_step > 1 else "fades"
    return [
        findings.Finding(
            s.weight.path,
            "scale",
            findings.WARNING,
            f"the recurrent kernel scales the state by about {per_step:.3g} "
            f"per time step (1 for an orthogonal kernel): over T steps the "
            f"state and its gradient {direction} like {per_step:.3g}^T.",
            s.kernel_fix,
        )
    ]


def embedding_rows(s):
    """`identical_rows` and `duplicate_rows` of an embedding table."""
    table, path = s.weight.value, s.weight.path
    suggestion = findings.fix("embeddings_initializer", "random_uniform")
    rows = np.ascontiguousarray(table.reshape(len(table), -1))
    if np.all(rows == rows[:1]):
        value = "0" if not np.any(rows) else "one vector"
        return [
            findings.Finding(
                path,
                "identical_rows",
                findings.WARNING,
                f"all {len(rows)} token vectors are {value}: the model starts "
                "blind to its input, and only the gradient through distinct "
                "weights downstream can tell tokens apart.",
                suggestion,
            )
        ]
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1])))
    distinct = len(np.unique(keys))
    if distinct == len(rows):
        return []
    return [
        findings.Finding(
            path,
            "duplicate_rows",
            findings.WARNING,
            f"{len(rows)} token vectors but only {distinct} distinct: "
            "tokens sharing a vector start indistinguishable.",
            suggestion,
        )
    ]


def norm_scale(s):
    """`zero_scale` and `scale` of a normalization layer's gamma."""
    gamma, path = s.weight.value, s.weight.path
    suggestion = findings.fix("gamma_initializer", "ones")
    if not np.any(gamma):
        if graph_lib.ends_residual_branch(s.weight.layer, s.graph):
            return [
                findings.Finding(
                    path,
                    "zero_scale",
                    findings.INFO,
                    "zero scale on a residual branch: the block starts as "
                    "the identity (the zero-init residual trick), and the "
                    "scale still gets a gradient.",
                )
            ]
        return [
            findings.Finding(
                path,
                "zero_scale",
                findings.ERROR,
                "all scales are 0: the layer outputs its offset whatever "
                "its input, so nothing before it affects the loss and no "
                "gradient reaches the layers below.",
                suggestion,
            )
        ]
    rms = float(np.sqrt(np.mean(np.square(gamma, dtype=np.float64))))
    if 1 / SCALE_TOLERANCE <= rms <= SCALE_TOLERANCE:
        return []
    direction = "large" if rms > 1 else "small"
    return [
        findings.Finding(
            path,
            "scale",
            findings.WARNING,
            f"scales of RMS {rms:.3g} (1 restores unit variance): too "
            f"{direction}; every later layer sees its signal scaled by "
            f"{rms:.3g}.",
            suggestion,
        )
    ]


def bias_scale(s):
    w, activation = s.weight, s.activation
    if activation == "linear" or s.is_output:
        return []
    rms = float(np.sqrt(np.mean(np.square(w.value, dtype=np.float64))))
    if rms <= BIAS_LIMIT:
        return []
    return [
        findings.Finding(
            w.path,
            "bias_scale",
            findings.WARNING,
            f"biases of RMS {rms:.3g} on {type(w.layer).__name__} units with "
            f"{activation}: pre-activations are of order 1, so the bias "
            "alone decides the output (dead relu, saturated tanh/sigmoid).",
            findings.fix("bias_initializer", "zeros"),
        )
    ]


def _exempt(s):
    del s  # The exemption is the whole verdict.
    return []


@dataclasses.dataclass(frozen=True)
class Check:
    """One entry of `CHECKS`.

    Attributes:
        names: what `Examined.checks` records once the check runs.
        roles: the weight roles it applies to (None: every role).
        run: `Subject -> [Finding]`.
        applies: `Subject -> bool`, narrowing `roles`.
        final: a finding ends the weight's checks.
    """

    names: tuple
    roles: tuple | None
    run: Callable
    applies: Callable = lambda s: True
    final: bool = False


SCALED_KERNELS = tuple(r for r in walk.KERNEL_ROLES if r != "recurrent_kernel")


def _mixes_hidden_units(s):
    # Output units get distinct gradients from the loss, and a depthwise
    # kernel's channels never mix.
    return not s.output_kernel and s.weight.role != "depthwise_kernel"


def _normalized_next(s):
    return graph_lib.normalized(s.graph_layer, s.graph)


CHECKS = (
    Check(("non_finite",), None, non_finite, final=True),
    Check(
        ("zero_kernel", "constant_kernel"),
        walk.KERNEL_ROLES,
        uniform_kernel,
        final=True,
    ),
    Check(
        ("symmetric_units",),
        walk.KERNEL_ROLES,
        symmetric_units,
        applies=_mixes_hidden_units,
    ),
    Check(("scale",), ("recurrent_kernel",), recurrent_scale),
    # A normalization next undoes any scale; the exemption is recorded so
    # the report says why no scale was judged.
    Check(
        ("scale (exempt: normalized next)",),
        SCALED_KERNELS,
        _exempt,
        applies=_normalized_next,
    ),
    Check(
        ("scale",),
        SCALED_KERNELS,
        kernel_scale,
        applies=lambda s: not _normalized_next(s),
    ),
    Check(
        ("identical_rows", "duplicate_rows"),
        ("embedding_table",),
        embedding_rows,
    ),
    Check(("zero_scale", "scale"), ("norm_scale",), norm_scale),
    Check(("bias_scale",), ("bias",), bias_scale),
)


def _check_one(subject, ran):
    """Runs `CHECKS` on one weight; returns its findings."""
    found = []
    for check in CHECKS:
        if check.roles is not None and subject.weight.role not in check.roles:
            continue
        if not check.applies(subject):
            continue
        ran.extend(check.names)
        new = check.run(subject)
        found.extend(new)
        if new and check.final:
            break
    return found


def duplicate_weights(weights, ran):
    """`duplicate_weights`: kernels or tables with identical values.

    The symptom of one unseeded initializer instance shared by same-shaped
    layers: Keras 3 initializers return the same values on every call.

    Args:
        weights: the `walk.Weight`s, in model order.
        ran: the checks run so far, by `id` of the weight; the weights
            compared get "duplicate_weights".

    Returns:
        A finding per weight identical to an earlier one.
    """
    found, first_path, value_of = [], {}, {}
    for w in weights:
        if w.role not in walk.KERNEL_ROLES and w.role != "embedding_table":
            continue
        value = w.value
        if value.ndim < 2 or np.all(value == value.flat[0]):
            continue  # Constants are reported alone, and repeat by design.
        ran[id(w)].append("duplicate_weights")
        # A cheap fingerprint, compared in full only when it matches.
        flat = value.reshape(-1)
        key = (value.shape, flat[:16].tobytes(), float(flat.sum()))
        if key in first_path and np.array_equal(
            value, value_of[first_path[key]]
        ):
            found.append(
                findings.Finding(
                    w.path,
                    "duplicate_weights",
                    findings.WARNING,
                    f"identical to {first_path[key]}: one unseeded "
                    "initializer instance was probably shared by both "
                    "layers.",
                    "give each layer its own instance, e.g. "
                    + findings.fix(
                        walk.INITIALIZER_ARGUMENT[w.role], "he_normal"
                    )
                    + " with a different seed per layer.",
                )
            )
        else:
            first_path.setdefault(key, w.path)
            value_of[w.path] = value
    return found


def run(weights, graph):
    """Runs every check on the judged weights of a model.

    Args:
        weights: the `walk.Weight`s, in model order.
        graph: the model's `graph.Graph`.

    Returns:
        `(examined, findings)`: an `Examined` per weight, in order, and
        the findings, each weight's in `CHECKS` order, duplicates last.
    """
    by_layer = collections.defaultdict(dict)
    for w in weights:
        by_layer[id(w.layer)][w.variable.name] = w
    ran = {id(w): [] for w in weights}
    found = []
    for w in weights:
        subject = Subject(w, by_layer[id(w.layer)], graph)
        found.extend(_check_one(subject, ran[id(w)]))
    found.extend(duplicate_weights(weights, ran))
    examined = tuple(
        findings.Examined(
            w.path,
            type(w.layer).__name__,
            w.role,
            tuple(w.value.shape),
            tuple(ran[id(w)]),
        )
        for w in weights
    )
    return examined, found
