"""An initialization "doctor" for any Keras 3 model.

`examine(model)` walks every weight of a model (nested models, wrappers
such as Bidirectional and TimeDistributed, recurrent cells, attention
projections) and judges each trainable weight by its role:

- kernels of Dense, EinsumDense, convolutions (depthwise and separable ones
  with their own fans) and recurrent cells' input kernels:
  - `zero_kernel`: all weights 0. An error in a hidden layer (every unit
    computes the same value, and relu passes no gradient at 0), information
    in an output layer (it still gets distinct gradients from distinct
    hidden units).
  - `constant_kernel`: all weights one non-zero value: the units are
    identical and stay identical under gradient descent.
  - `symmetric_units`: some units have identical incoming weights (and
    biases), so the layer computes fewer distinct features than it has
    units. For recurrent cells a unit's incoming weights span every gate of
    the input kernel, the recurrent kernel and the bias.
  - `scale`: the weights' standard deviation is more than `SCALE_TOLERANCE`
    times off the variance-preserving value for the layer's activation (He
    for the relu family, Glorot otherwise). Across L such layers the signal
    is scaled by roughly that factor to the power L. Kernels whose output
    goes straight into a normalization layer are exempt: the normalization
    undoes any scale.
- recurrent kernels: the same, with `scale` measured as the gain per time
  step (the root-mean-square singular value of each gate's block): far
  from 1 (orthogonal), the state explodes or fades over time.
- Embedding tables: `identical_rows` (all tokens start as one vector) and
  `duplicate_rows`.
- normalization scale (gamma): `zero_scale` (the layer outputs its offset
  whatever its input, and no gradient passes through it) and `scale`;
  a zero scale on a residual branch is the deliberate "zero-init residual"
  trick and only information.
- biases: `bias_scale`, biases large enough to decide a unit's output alone.
- every weight: `non_finite` (NaN or infinity).
- across weights: `duplicate_weights`, two weights with identical values,
  the symptom of one unseeded initializer instance shared by same-shaped
  layers (Keras 3 initializers return the same values on every call).

With a batch `(x, y)` it also runs one forward and one backward pass
(`keras_initstudy.diagnostics.signals`) and reports the signal regime over depth
(`signals` findings: vanishing, exploding, saturated), layers whose units
are dead on the whole batch and kernels that get no gradient at all.

Every weight of the model is either examined (with the checks that ran) or
skipped with a reason: a weight the doctor cannot judge is never counted
as healthy. Each finding has a severity: "error" (training cannot fix it),
"warning" (training is likely to suffer) or "info", and a fix naming the
registry initializer and the code to write.
"""

import collections
import dataclasses
import inspect
import math
import re

import keras
import numpy as np

from keras_initstudy import initializers
from keras_initstudy.diagnostics import signals
from keras_initstudy.diagnostics import symmetry
from keras_initstudy.initializers import gain

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)

# A kernel std within this factor of the variance-preserving value passes:
# He and Glorot themselves differ by up to sqrt(2) * sqrt(fan_avg / fan_in),
# so a tighter bound would flag sound choices.
SCALE_TOLERANCE = 2.0
# Pre-activations of a variance-preserving layer on standardized inputs have
# a std of about 1: a bias of that size decides the unit's output alone
# (a dead relu, a saturated tanh) whatever the input.
BIAS_LIMIT = 1.0
# A layer whose units output 0 for every example of the batch on at least
# this share is reported: those units get no gradient from the batch.
DEAD_SHARE = 0.5
# Examples in a batch the doctor makes itself (`synthetic_batch`,
# `image_batch`): enough for shares and stds per layer, cheap for big nets.
SYNTHETIC_BATCH_SIZE = 32
_SYNTHETIC_LENGTH = 16  # For input dimensions the model leaves open.

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
_NORMALIZATIONS = tuple(
    getattr(keras.layers, name)
    for name in (
        "BatchNormalization",
        "LayerNormalization",
        "GroupNormalization",
        "RMSNormalization",
    )
    if hasattr(keras.layers, name)
)
_CELLS = (
    keras.layers.LSTMCell,
    keras.layers.GRUCell,
    keras.layers.SimpleRNNCell,
)
_DEPTHWISE = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
_SEPARABLE = (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)
_TRANSPOSED = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)
_CONVOLUTIONS = (
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
    *_TRANSPOSED,
)


class InitializationError(RuntimeError):
    """A model's initialization has errors that training cannot fix.

    Attributes:
        report: the `Report` with the findings.
    """

    def __init__(self, report):
        errors = [f for f in report.findings if f.severity == ERROR]
        lines = [f"{f.path} [{f.check}]: {f.message}" for f in errors]
        super().__init__(
            f"{len(errors)} initialization error(s); fix them before "
            "training:\n" + "\n".join(lines)
        )
        self.report = report


@dataclasses.dataclass(frozen=True)
class Finding:
    """One diagnosis about one weight (or one layer, for signals).

    Attributes:
        path: the weight's path in the model, e.g.
            `encoder/lstm/lstm_cell/recurrent_kernel` (a layer path for
            findings from the signals).
        check: the name of the check (see the module docstring).
        severity: one of `SEVERITIES`.
        message: what is wrong and why it matters.
        fix: the code to write, naming a registry initializer.
    """

    path: str
    check: str
    severity: str
    message: str
    fix: str = ""

    def as_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Examined:
    """A weight the doctor judged, and the checks it ran on it."""

    path: str
    layer_class: str
    role: str
    shape: tuple
    checks: tuple

    def as_dict(self):
        return {**dataclasses.asdict(self), "shape": list(self.shape)}


@dataclasses.dataclass(frozen=True)
class Skipped:
    """A weight the doctor did not judge, and why."""

    path: str
    layer_class: str
    reason: str

    def as_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Report:
    """What `examine` found, examined and skipped.

    Attributes:
        findings: `Finding`s, errors first.
        examined: an `Examined` per judged weight, in model order.
        skipped: a `Skipped` per weight not judged, with the reason.
        signals: the `signals.layer_signals` statistics of the batch (plus
            `verdict` and `loss_name`), or None without a batch.
        batch: where the batch came from (e.g. "synthetic: ..."), or None.
        signals_skipped: why no signals were measured despite a batch.
    """

    findings: tuple
    examined: tuple
    skipped: tuple
    signals: dict | None = None
    batch: str | None = None
    signals_skipped: str | None = None

    def counts(self):
        """Findings per severity, every severity present."""
        return {
            s: sum(f.severity == s for f in self.findings) for s in SEVERITIES
        }

    def has(self, severity):
        """Whether a finding of `severity` or worse exists."""
        worst = SEVERITIES.index(severity)
        return any(SEVERITIES.index(f.severity) <= worst for f in self.findings)

    def summary(self):
        """ "examined N weights in M layers; skipped K (why)"."""
        layers = {e.path.rsplit("/", 1)[0] for e in self.examined}
        text = (
            f"examined {len(self.examined)} weights in {len(layers)} "
            f"layers; skipped {len(self.skipped)}"
        )
        reasons = collections.Counter(s.reason for s in self.skipped)
        if reasons:
            text += (
                " ("
                + "; ".join(
                    f"{n}: {reason}" for reason, n in reasons.most_common()
                )
                + ")"
            )
        return text

    def as_dict(self):
        return {
            "summary": self.summary(),
            "counts": self.counts(),
            "findings": [f.as_dict() for f in self.findings],
            "examined": [e.as_dict() for e in self.examined],
            "skipped": [s.as_dict() for s in self.skipped],
            "batch": self.batch,
            "signals": self.signals,
            "signals_skipped": self.signals_skipped,
        }


def fix(argument, name, **kwargs):
    """The code that sets a weight's initializer from the registry.

    Examples:

    >>> fix("kernel_initializer", "he_normal")
    'kernel_initializer=keras_initstudy.get("he_normal", seed=0)'
    >>> fix("gamma_initializer", "ones")
    'gamma_initializer=keras_initstudy.get("ones")'

    Args:
        argument: the layer's constructor argument.
        name: a registry name (`keras_initstudy.names()`).
        **kwargs: constructor arguments of the initializer.
    """
    cls = initializers.REGISTRY[name]
    if "seed" in inspect.signature(cls).parameters:
        kwargs["seed"] = 0
    args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    return f'{argument}=keras_initstudy.get("{name}"{args})'


def _variance_preserving_std(fan_in, fan_out, activation):
    if activation in _RELU_FAMILY:
        return math.sqrt(2.0 / fan_in)
    return math.sqrt(2.0 / (fan_in + fan_out))


def recommended_std(kernel_shape, activation, depthwise=False):
    """The variance-preserving weight std for a kernel and activation.

    He, sqrt(2 / fan_in), for the relu family; Glorot, sqrt(2 / (fan_in +
    fan_out)), for tanh, sigmoid, linear and anything else; fans from
    `gain.compute_fans`.
    """
    fan_in, fan_out = gain.compute_fans(kernel_shape, depthwise=depthwise)
    return _variance_preserving_std(fan_in, fan_out, activation)


def _recommended_init(activation):
    return "he_normal" if activation in _RELU_FAMILY else "xavier_normal"


def _einsum_fans(equation, shape):
    """True fans of an EinsumDense kernel: contracted vs produced dims."""
    match = re.fullmatch(r"\s*(.+?)\s*,\s*(.+?)\s*->\s*(.+?)\s*", equation)
    if match is None or len(match.group(2)) != len(shape):
        return None
    inputs, kernel, outputs = match.groups()
    dims = list(zip(kernel, shape, strict=True))
    fan_in = math.prod(d for c, d in dims if c in inputs) or 1
    fan_out = math.prod(d for c, d in dims if c in outputs) or 1
    return fan_in, fan_out


# -- The layer graph: who feeds whom, which layers make the outputs. --------


@dataclasses.dataclass
class _Graph:
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


def _tensors(value):
    return [t for t in keras.tree.flatten(value) if t is not None]


def _add_functional(model, graph):
    """Records the edges of one functional model (Sequential included).

    Layers called more than once have no single `.input`/`.output`; they
    keep no edges, so the checks that need a neighbour are not run on
    them, which only makes the doctor more lenient.
    """
    for layer in model.layers:
        try:
            outputs, inputs = _tensors(layer.output), _tensors(layer.input)
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
        outputs = _tensors(model.outputs)
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
                inputs = _tensors(layer.input)
            except (AttributeError, ValueError):
                continue
            pending.extend(graph.producer.get(id(t)) for t in inputs)


def _next_activation(layer, graph):
    """The activation applied to a layer's output, its own or the next's."""
    own = signals.activation_name(layer)
    following = graph.consumers(layer)
    if own == "linear" and len(following) == 1:
        nxt = following[0]
        if not nxt.weights:  # An Activation, ReLU, ... layer.
            return signals.activation_name(nxt)
    return own


def _normalized(layer, graph):
    following = graph.consumers(layer)
    return bool(following) and all(
        isinstance(f, _NORMALIZATIONS) for f in following
    )


def _ends_residual_branch(layer, graph):
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


# -- Walking the model. -----------------------------------------------------


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


def _walk(model):
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


def _own_weights(layer):
    inherited = {
        id(w)
        for child in _children(layer)
        for w in getattr(child, "weights", [])
    }
    return [w for w in layer.weights if id(w) not in inherited]


@dataclasses.dataclass
class _Weight:
    variable: object
    path: str
    layer: object
    role: str
    ancestors: tuple
    value: np.ndarray


def _role(layer, weight, parent):
    """The role of a weight, or None when the doctor has no rule for it."""
    name = weight.name
    if isinstance(layer, keras.layers.Dense) and name == "kernel":
        return "dense_kernel"
    if isinstance(layer, keras.layers.EinsumDense) and name == "kernel":
        if isinstance(parent, keras.layers.MultiHeadAttention):
            return "attention_projection"
        return "einsum_kernel"
    if isinstance(layer, _DEPTHWISE) and name == "kernel":
        return "depthwise_kernel"
    if isinstance(layer, _SEPARABLE) and name == "depthwise_kernel":
        return "depthwise_kernel"
    if isinstance(layer, _SEPARABLE) and name == "pointwise_kernel":
        return "pointwise_kernel"
    if isinstance(layer, _CONVOLUTIONS) and name == "kernel":
        return "conv_kernel"
    if isinstance(layer, _CELLS) and name in ("kernel", "recurrent_kernel"):
        return "input_kernel" if name == "kernel" else "recurrent_kernel"
    if isinstance(layer, keras.layers.Embedding) and name == "embeddings":
        return "embedding_table"
    if isinstance(layer, _NORMALIZATIONS) and name in ("gamma", "scale"):
        return "norm_scale"
    if isinstance(layer, _NORMALIZATIONS) and name == "beta":
        return "norm_offset"
    if name == "bias" and isinstance(
        layer,
        (
            keras.layers.Dense,
            keras.layers.EinsumDense,
            *_CONVOLUTIONS,
            *_DEPTHWISE,
            *_SEPARABLE,
            *_CELLS,
        ),
    ):
        return "bias"
    return None


_INITIALIZER_ARGUMENT = {
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
_KERNEL_ROLES = (
    "dense_kernel",
    "einsum_kernel",
    "attention_projection",
    "conv_kernel",
    "depthwise_kernel",
    "pointwise_kernel",
    "input_kernel",
    "recurrent_kernel",
)


# -- The checks. ------------------------------------------------------------


class _Examiner:
    """Runs the checks of one model; collects findings and coverage."""

    def __init__(self, model):
        self.model = model
        self.graph = _Graph()
        self.weights = []
        self.skipped = []
        self.findings = []
        self.checks = {}
        self._collect()

    def _collect(self):
        walked = list(_walk(self.model))
        for layer in [self.model, *(layer for layer, _, _ in walked)]:
            if isinstance(layer, keras.Model):
                _add_functional(layer, self.graph)
        _mark_outputs(self.model, self.graph)
        reached = set()
        for layer, path, ancestors in walked:
            for variable in _own_weights(layer):
                if id(variable) in reached:
                    continue  # A shared layer: judged where first seen.
                reached.add(id(variable))
                self._classify(
                    variable, f"{path}/{variable.name}", layer, ancestors
                )
        for variable in self.model.weights:
            if id(variable) not in reached:
                self.skipped.append(
                    Skipped(
                        variable.path,
                        type(self.model).__name__,
                        "not reachable through the model's layers",
                    )
                )

    def _classify(self, variable, path, layer, ancestors):
        cls = type(layer).__name__
        if not (variable.trainable and layer.trainable):
            self.skipped.append(
                Skipped(path, cls, f"not trainable ({cls} {variable.name})")
            )
            return
        role = _role(layer, variable, ancestors[-1])
        value = keras.ops.convert_to_numpy(variable)
        if not np.all(np.isfinite(value)):
            self._find(
                path,
                "non_finite",
                ERROR,
                f"{int(np.sum(~np.isfinite(value)))} of {value.size} values "
                "are NaN or infinite: every output and gradient through "
                "them is too.",
                "re-create the weight with a registry initializer, e.g. "
                + fix("kernel_initializer", "he_normal"),
            )
            role = role or "unknown"
        if role is None:
            self.skipped.append(
                Skipped(
                    path, cls, f"no rule for {cls} weight {variable.name!r}"
                )
            )
            return
        self.weights.append(
            _Weight(variable, path, layer, role, ancestors, value)
        )
        self.checks[path] = ["non_finite"]

    def _find(self, path, check, severity, message, suggestion=""):
        self.findings.append(
            Finding(path, check, severity, message, suggestion)
        )

    def run(self):
        by_layer = collections.defaultdict(dict)
        for w in self.weights:
            by_layer[id(w.layer)][w.variable.name] = w
        for w in self.weights:
            if not np.all(np.isfinite(w.value)):
                continue
            siblings = by_layer[id(w.layer)]
            if w.role in _KERNEL_ROLES:
                self._kernel(w, siblings)
            elif w.role == "embedding_table":
                self._embedding(w)
            elif w.role == "norm_scale":
                self._norm_scale(w)
            elif w.role == "bias":
                self._bias(w)
        self._duplicates()
        examined = tuple(
            Examined(
                w.path,
                type(w.layer).__name__,
                w.role,
                tuple(w.value.shape),
                tuple(self.checks[w.path]),
            )
            for w in self.weights
        )
        return examined, tuple(self.skipped), self.findings

    def _ran(self, w, *checks):
        self.checks[w.path].extend(checks)

    def _graph_layer(self, w):
        """The layer whose neighbours matter: the weight's own layer, or the
        nearest ancestor in a layer graph (the RNN around a cell, the
        wrapper around a layer, the attention layer around a projection)."""
        for layer in (w.layer, *reversed(w.ancestors)):
            if self.graph.known(layer):
                return layer
        return w.layer

    def _activation(self, w):
        """The activation after a weight's layer, its own or the next's."""
        own = signals.activation_name(w.layer)
        if own != "linear" or isinstance(w.layer, _CELLS):
            return own
        return _next_activation(self._graph_layer(w), self.graph)

    def _is_output(self, w):
        return id(self._graph_layer(w)) in self.graph.outputs

    def _kernel(self, w, siblings):
        kernel = w.value
        argument = _INITIALIZER_ARGUMENT[w.role]
        graph_layer = self._graph_layer(w)
        activation = self._activation(w)
        init = (
            "orthogonal"
            if w.role == "recurrent_kernel"
            else _recommended_init(activation)
        )
        extra = {"depthwise": True} if w.role == "depthwise_kernel" else {}
        suggestion = fix(argument, init, **extra)
        is_output = self._is_output(w) and w.role not in (
            "input_kernel",
            "recurrent_kernel",
        )
        self._ran(w, "zero_kernel", "constant_kernel")
        if not np.any(kernel):
            if is_output:
                self._find(
                    w.path,
                    "zero_kernel",
                    INFO,
                    "all weights are 0 in an output layer: safe on its own, "
                    "since it still gets gradients from distinct hidden "
                    "units.",
                )
            else:
                self._find(
                    w.path,
                    "zero_kernel",
                    ERROR,
                    f"all {kernel.size} weights are 0: every unit computes "
                    "the same value, relu-like units pass no gradient at 0, "
                    "and only distinct weights elsewhere could tell the "
                    "units apart.",
                    suggestion,
                )
            return
        if np.all(kernel == kernel.flat[0]):
            if w.role != "depthwise_kernel":
                self._find(
                    w.path,
                    "constant_kernel",
                    INFO if is_output else ERROR,
                    f"all weights equal {kernel.flat[0]:.6g}: the units "
                    "compute the same value and get the same gradient.",
                    suggestion,
                )
                return
        if not is_output and w.role != "depthwise_kernel":
            self._ran(w, "symmetric_units")
            self._symmetry(w, siblings, suggestion)
        self._ran(w, "scale")
        if w.role == "recurrent_kernel":
            self._recurrent_scale(w, suggestion)
        elif _normalized(graph_layer, self.graph):
            self.checks[w.path][-1] = "scale (exempt: normalized next)"
        else:
            self._kernel_scale(w, activation, suggestion)

    def _symmetry(self, w, siblings, suggestion):
        bias = siblings.get("bias")
        bias = None if bias is None else bias.value
        if w.role in ("input_kernel", "recurrent_kernel"):
            if w.role == "input_kernel":
                return  # Judged once per cell, on the recurrent kernel.
            units = w.value.shape[0]
            parts = [w.value]
            for sibling in ("kernel", "bias"):
                if sibling in siblings:
                    parts.append(siblings[sibling].value)
            # Unit j of gate g is column g * units + j; reshaping to rows of
            # `units` puts every gate's weights of unit j in column j.
            vectors = np.concatenate([p.reshape(-1, units) for p in parts])
            groups = symmetry.symmetry_groups(vectors)
        else:
            groups = symmetry.symmetry_groups(
                w.value,
                bias
                if bias is not None and bias.size == w.value.shape[-1]
                else None,
            )
            units = w.value.shape[-1]
        if len(groups) < units:
            self._find(
                w.path,
                "symmetric_units",
                ERROR,
                f"{units} units but only {len(groups)} distinct incoming "
                "weight vectors: identical units stay identical under "
                "gradient descent.",
                suggestion,
            )

    def _kernel_scale(self, w, activation, suggestion):
        shape = w.value.shape
        if w.role in ("einsum_kernel", "attention_projection"):
            # Keras's initializers read an EinsumDense kernel (d, heads,
            # head_dim) as a convolution of window d, which gives a smaller
            # std than the true fans; both conventions are in wide use.
            true = _einsum_fans(w.layer.get_config()["equation"], shape)
            fans = [gain.compute_fans(shape)] + ([true] if true else [])
        elif w.role == "input_kernel":
            # Per gate (in, units), or Keras's view of the whole matrix.
            units = w.layer.units
            fans = [(shape[0], units), gain.compute_fans(shape)]
        elif w.role == "depthwise_kernel":
            fans = [gain.compute_fans(shape, depthwise=True)]
        elif isinstance(w.layer, _TRANSPOSED):
            fan_out, fan_in = gain.compute_fans(shape)
            fans = [(fan_in, fan_out)]
        else:
            fans = [gain.compute_fans(shape)]
        targets = [_variance_preserving_std(i, o, activation) for i, o in fans]
        std = float(np.std(w.value, dtype=np.float64))
        low, high = min(targets), max(targets)
        if low / SCALE_TOLERANCE <= std <= high * SCALE_TOLERANCE:
            return
        target = high if std > high else low
        ratio = std / target
        direction = "large" if ratio > 1 else "small"
        self._find(
            w.path,
            "scale",
            WARNING,
            f"weight std {std:.3g} is {ratio:.3g}x the variance-preserving "
            f"{target:.3g} for {activation}: too {direction}; through L such "
            f"layers signals scale by about {ratio:.3g}^L.",
            suggestion,
        )

    def _recurrent_scale(self, w, suggestion):
        units = w.value.shape[0]
        gates = w.value.shape[-1] // units
        # The RMS singular value of each gate's (units, units) block: 1 for
        # an orthogonal block, 1 / sqrt(gates) for Keras's orthogonal
        # (units, gates * units) matrix, sqrt(2 / (1 + gates)) for Glorot.
        per_step = float(np.std(w.value, dtype=np.float64)) * math.sqrt(units)
        low = 1.0 / (SCALE_TOLERANCE * math.sqrt(gates))
        if low <= per_step <= SCALE_TOLERANCE:
            return
        direction = "explodes" if per_step > 1 else "fades"
        self._find(
            w.path,
            "scale",
            WARNING,
            f"the recurrent kernel scales the state by about {per_step:.3g} "
            f"per time step (1 for an orthogonal kernel): over T steps the "
            f"state and its gradient {direction} like {per_step:.3g}^T.",
            suggestion,
        )

    def _embedding(self, w):
        table = w.value
        suggestion = fix("embeddings_initializer", "random_uniform")
        self._ran(w, "identical_rows", "duplicate_rows")
        rows = np.ascontiguousarray(table.reshape(len(table), -1))
        if np.all(rows == rows[:1]):
            value = "0" if not np.any(rows) else "one vector"
            self._find(
                w.path,
                "identical_rows",
                WARNING,
                f"all {len(rows)} token vectors are {value}: the model starts "
                "blind to its input, and only the gradient through distinct "
                "weights downstream can tell tokens apart.",
                suggestion,
            )
            return
        keys = rows.view(
            np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))
        )
        distinct = len(np.unique(keys))
        if distinct < len(rows):
            self._find(
                w.path,
                "duplicate_rows",
                WARNING,
                f"{len(rows)} token vectors but only {distinct} distinct: "
                "tokens sharing a vector start indistinguishable.",
                suggestion,
            )

    def _norm_scale(self, w):
        gamma = w.value
        suggestion = fix("gamma_initializer", "ones")
        self._ran(w, "zero_scale", "scale")
        if not np.any(gamma):
            if _ends_residual_branch(w.layer, self.graph):
                self._find(
                    w.path,
                    "zero_scale",
                    INFO,
                    "zero scale on a residual branch: the block starts as "
                    "the identity (the zero-init residual trick), and the "
                    "scale still gets a gradient.",
                )
                return
            self._find(
                w.path,
                "zero_scale",
                ERROR,
                "all scales are 0: the layer outputs its offset whatever "
                "its input, so nothing before it affects the loss and no "
                "gradient reaches the layers below.",
                suggestion,
            )
            return
        rms = float(np.sqrt(np.mean(np.square(gamma, dtype=np.float64))))
        if 1 / SCALE_TOLERANCE <= rms <= SCALE_TOLERANCE:
            return
        direction = "large" if rms > 1 else "small"
        self._find(
            w.path,
            "scale",
            WARNING,
            f"scales of RMS {rms:.3g} (1 restores unit variance): too "
            f"{direction}; every later layer sees its signal scaled by "
            f"{rms:.3g}.",
            suggestion,
        )

    def _bias(self, w):
        layer = w.layer
        activation = self._activation(w)
        self._ran(w, "bias_scale")
        if activation == "linear" or self._is_output(w):
            return
        rms = float(np.sqrt(np.mean(np.square(w.value, dtype=np.float64))))
        if rms <= BIAS_LIMIT:
            return
        self._find(
            w.path,
            "bias_scale",
            WARNING,
            f"biases of RMS {rms:.3g} on {type(layer).__name__} units with "
            f"{activation}: pre-activations are of order 1, so the bias "
            "alone decides the output (dead relu, saturated tanh/sigmoid).",
            fix("bias_initializer", "zeros"),
        )

    def _duplicates(self):
        seen = {}
        self._value_of = {}
        for w in self.weights:
            if w.role not in _KERNEL_ROLES and w.role != "embedding_table":
                continue
            value = w.value
            if value.ndim < 2 or np.all(value == value.flat[0]):
                continue  # Constants are reported alone, and repeat by design.
            self._ran(w, "duplicate_weights")
            # A cheap fingerprint, compared in full only when it matches.
            flat = value.reshape(-1)
            key = (value.shape, flat[:16].tobytes(), float(flat.sum()))
            if key in seen and np.array_equal(value, self._value_of[seen[key]]):
                self._find(
                    w.path,
                    "duplicate_weights",
                    WARNING,
                    f"identical to {seen[key]}: one unseeded initializer "
                    "instance was probably shared by both layers.",
                    "give each layer its own instance, e.g. "
                    + fix(_INITIALIZER_ARGUMENT[w.role], "he_normal")
                    + " with a different seed per layer.",
                )
            else:
                seen.setdefault(key, w.path)
                self._value_of[w.path] = value


# -- Signals from a batch. --------------------------------------------------


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


def _loss(model, graph):
    """A loss for the gradient pass: cross-entropy against random labels.

    Returns `(loss_fn, name, num_classes)`; probabilities (softmax or sigmoid
    outputs) are detected from the output layer's activation.
    """
    output = _tensors(model.outputs)[0]
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
    graph = _functional_graph(model)
    rng = np.random.default_rng(seed)
    xs, parts = [], []
    for tensor in _tensors(model.inputs):
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
    _, _, classes = _loss(model, graph)
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
    inputs = _tensors(model.inputs)
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
    _, _, classes = _loss(model, _functional_graph(model))
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


def _functional_graph(model):
    graph = _Graph()
    _add_functional(model, graph)
    _mark_outputs(model, graph)
    return graph


def _signals(model, x, y):
    """Returns `(stats, findings, reason_skipped)` of one batch.

    `y` None draws random labels for the model's output.
    """
    try:
        outputs = _tensors(model.outputs)
    except (AttributeError, ValueError):
        return None, [], "the model has no layer graph (subclassed)"
    if len(outputs) != 1:
        return None, [], f"the model has {len(outputs)} outputs, not one"
    graph = _functional_graph(model)
    layers = _watched_layers(model, graph)
    if not layers:
        return None, [], "the model has no hidden layer to watch"
    loss_fn, loss_name, classes = _loss(model, graph)
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
    findings = []
    names = stats["layers"]
    first, last = names[0], names[-1]
    activations = [a for a in stats["activations"] if a != "linear"]
    suggestion = fix(
        "kernel_initializer",
        _recommended_init(activations[0] if activations else "linear"),
    )
    if stats["verdict"] != signals.STABLE and len(names) > 1:
        findings.append(
            Finding(
                last,
                "signals",
                WARNING,
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
            findings.append(
                Finding(
                    name,
                    "no_gradient",
                    ERROR,
                    "the kernel gets exactly zero gradient on this batch: "
                    "it cannot learn.",
                    suggestion,
                )
            )
        elif dead >= DEAD_SHARE and activation in _RELU_FAMILY:
            findings.append(
                Finding(
                    name,
                    "dead_units",
                    WARNING,
                    f"{dead:.0%} of the units output 0 for every example of "
                    "the batch: they get no gradient from it.",
                    suggestion,
                )
            )
    return stats, findings, None


def examine(model, x=None, y=None, batch=None):
    """Diagnoses the initial weights (and, with data, signals) of a model.

    Examples:

    >>> from keras_initstudy.study import models
    >>> model = models.mlp((64,), kernel_initializer="zeros")
    >>> report = examine(model)
    >>> [(f.path, f.check) for f in report.findings]
    [('hidden_1/kernel', 'zero_kernel'), ('output/kernel', 'zero_kernel')]
    >>> report.summary()
    'examined 4 weights in 2 layers; skipped 0'

    Args:
        model: a built Keras 3 model (Sequential, functional or
            subclassed; nested models and wrappers are walked).
        x: optional batch of inputs: adds the signals of one forward and
            one backward pass (functional models with one output).
        y: the batch's integer labels; None draws random classes (the
            gradients' scale, not their direction, is what is measured).
        batch: a description of where `x` came from, for the report.

    Returns:
        A `Report`.
    """
    if not model.built:
        raise ValueError(
            "The model has no weights yet: build it (call it on a batch, or "
            f"give it a keras.Input) first. Received: model={model.name!r}"
        )
    examined, skipped, findings = _Examiner(model).run()
    stats = reason = None
    if x is not None:
        stats, signal_findings, reason = _signals(model, x, y)
        findings.extend(signal_findings)
    order = {w.path: i for i, w in enumerate(examined)}
    findings = sorted(
        findings,
        key=lambda f: (
            SEVERITIES.index(f.severity),
            order.get(f.path, len(order)),
        ),
    )
    return Report(
        tuple(findings),
        examined,
        skipped,
        signals=stats,
        batch=batch if x is not None else None,
        signals_skipped=reason,
    )


def format_table(report):
    """The report as a terminal table: severity, weight, check, message/fix."""
    rows = [("SEVERITY", "WEIGHT", "CHECK", "MESSAGE / FIX")]
    for f in report.findings:
        rows.append((f.severity.upper(), f.path, f.check, f.message))
        if f.fix:
            rows.append(("", "", "", f"fix: {f.fix}"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        "  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3]
        for r in rows
    ]
    if not report.findings:
        lines = ["no findings"]
    if report.signals is not None:
        s = report.signals
        lines.append("")
        lines.append(
            f"signals on {report.batch} ({s['loss_name']}): {s['verdict']}"
        )
        header = ("LAYER", "ACTIVATION", "STD", "GRAD STD", "DEAD", "SATURATED")
        table = [header]
        for i, name in enumerate(s["layers"]):
            saturated = s["saturated_fraction"][i]
            table.append(
                (
                    name,
                    s["activations"][i],
                    f"{s['std'][i]:.3g}",
                    f"{s['grad_activation_std'][i]:.3g}",
                    f"{s['dead_fraction'][i]:.0%}",
                    "-" if saturated is None else f"{saturated:.0%}",
                )
            )
        w = [max(len(r[i]) for r in table) for i in range(len(header))]
        lines += [
            "  ".join(c.ljust(w[i]) for i, c in enumerate(r)) for r in table
        ]
    elif report.signals_skipped:
        lines.append(f"signals not measured: {report.signals_skipped}")
    lines.append("")
    lines.append(report.summary())
    return "\n".join(line.rstrip() for line in lines)
