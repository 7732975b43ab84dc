"""`repair`: the doctor treats what it finds.

Every error and warning of `examine` names what it concerns (a weight's
path, or a layer's for the findings of a batch) and a fix: the constructor
argument and the registry initializer to write, as `findings.fix` words it.
`repair` applies those fixes to the model's weights, in place. It touches
only the weights behind errors and warnings: every other weight keeps its
values bit for bit, so a partly trained model (a pretrained backbone under a
new head) keeps what it learned.

Which weights: those an error or a warning concerns; for a failing signal
path, the kernels of every layer it names as a cause (`paths.repairs`), not
only the first: thirty layers that each shrink the signal heal only when
all thirty are drawn again. And the uniform kernels the doctor only informs
about (an output layer's zero kernel) when repair draws a layer before one:
the gradients of the layers it repairs pass through it, and through zeros
they start at nothing.

How each is drawn:

- a chain of two or more relu layers (Dense or convolutions, each feeding
  the next) that the fixes send to He: `initializers.LooksLinear`, mirrored
  orthogonal kernels under which the chain computes an orthogonal linear
  map at init (Balduzzi et al. 2017). He's i.i.d. weights keep the signal's
  size but, thirty layers deep, map every input to nearly the same point;
  a looks-linear chain keeps them apart, at any depth;
- a Dense or convolution kernel before tanh: N(0, sigma_w2 / fan_in) with
  `theory.depth_sigma_w2` for the layer's biases and the number of tanh
  layers repaired: the mean-field fixed point at unit pre-activation
  variance (q* = 1), lowered towards the edge of chaos until the gradient's
  growth over that depth stays within the doctor's band;
- any other weight, by the initializer its finding names (He for the relu
  family, Glorot or LeCun as the finding says, orthogonal for a recurrent
  kernel, ones for a normalization scale ...);
- with a batch, the kernels of top-level Dense and convolution layers by
  LSUV (`initializers.lsuv`): orthogonal (looks-linear in a relu chain),
  then scaled until the layer's pre-activations have unit variance on the
  batch, which measures what the rules above assume about the inputs.
"""

import ast
import dataclasses
import functools
import math
import re

import keras
import numpy as np

from keras_initstudy import initializers
from keras_initstudy import theory
from keras_initstudy.diagnostics.doctor import diagnose
from keras_initstudy.diagnostics.doctor import findings
from keras_initstudy.diagnostics.doctor import graph as graph_lib
from keras_initstudy.diagnostics.doctor import paths
from keras_initstudy.diagnostics.doctor import walk
from keras_initstudy.initializers import lsuv as lsuv_lib

# What `findings.fix` writes: `argument=keras_initstudy.get("name", k=v...)`,
# alone or inside a sentence.
_FIX = re.compile(r'(\w+)=keras_initstudy\.get\("(\w+)"((?:, \w+=[^,()]+)*)\)')
# The kernels of whole layers, through which signals pass as through the
# mean-field theory's Dense layers, and which LSUV can scale by their output.
_LAYER_KERNELS = ("dense_kernel", "conv_kernel")


@dataclasses.dataclass(frozen=True)
class Change:
    """One weight that `repair` drew again.

    Attributes:
        layer: the layer's path in the model, e.g. `hidden_1`.
        weight: the weight's name in the layer, e.g. `kernel`.
        checks: the checks of the findings behind it.
        old_std: the weight's standard deviation before.
        new_std: its standard deviation after.
        initializer: how it was drawn: a registry name, `lsuv`, or the
            `variance_scaling(...)` for tanh, or `looks_linear(...)`.
    """

    layer: str
    weight: str
    checks: tuple
    old_std: float
    new_std: float
    initializer: str

    def as_dict(self):
        return {**dataclasses.asdict(self), "checks": list(self.checks)}


@dataclasses.dataclass
class _Target:
    """A weight to draw again, and the fix its findings name."""

    weight: walk.Weight
    index: int  # In the model's weights: seeds the draw.
    initializer: str
    kwargs: dict
    checks: list


def prescription(finding):
    """What a finding's fix asks for, or None when it names no initializer.

    Examples:

    >>> f = findings.Finding("dense/kernel", "scale", findings.WARNING, "",
    ...     'kernel_initializer=keras_initstudy.get("he_normal", seed=0)')
    >>> prescription(f)
    ('kernel_initializer', 'he_normal', {})

    Returns:
        `(argument, name, kwargs)`: the layer's constructor argument, the
        registry name and its arguments; the seed is left out, since
        `repair` seeds every weight itself.
    """
    match = _FIX.search(finding.fix)
    if match is None:
        return None
    argument, name, arguments = match.groups()
    kwargs = {}
    for item in filter(None, arguments.split(", ")):
        key, value = item.split("=", 1)
        kwargs[key] = ast.literal_eval(value)
    kwargs.pop("seed", None)
    return argument, name, kwargs


def _layer_path(weight_path):
    return weight_path.rsplit("/", 1)[0]


def _selection(walked, layers):
    """The layer paths `layers` names (None: every layer), checked."""
    if layers is None:
        return None
    names = [layers] if isinstance(layers, str) else list(layers)
    known = {path for _, path, _ in walked}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(
            f"The model has no layer at {', '.join(unknown)}; its layers: "
            f"{', '.join(sorted(known))}. Received: layers={names!r}"
        )
    return set(names)


def _selected(weight, selection):
    """Whether the weight's layer, or a layer around it, is selected."""
    if selection is None:
        return True
    parts = _layer_path(weight.path).split("/")
    return any(
        "/".join(parts[:n]) in selection for n in range(1, len(parts) + 1)
    )


def _concerned(path, argument, weights):
    """The weights at `path` that a fix's argument sets.

    A weight's path names the weight; a layer's path names the layer's
    weights that the argument initializes (its kernel for
    `kernel_initializer`).
    """
    return [
        w
        for w in weights
        if (w.path == path or _layer_path(w.path) == path)
        and walk.INITIALIZER_ARGUMENT.get(w.role) == argument
    ]


def _prescriptions(report):
    """`(finding, path, (argument, name, kwargs))` per fix to apply.

    A finding's own fix concerns its path; a failing signal path's
    concerns each of its causes (`paths.repairs`), in the findings' order:
    errors first.
    """
    verdicts = {id(v.finding): v for v in report.paths}
    for finding in report.findings:
        if finding.severity == findings.INFO:
            continue
        verdict = verdicts.get(id(finding))
        if verdict is not None:
            for layer, (argument, name, kwargs) in paths.repairs(verdict):
                yield finding, layer, (argument, name, dict(kwargs))
            continue
        fix = prescription(finding)
        if fix is not None:
            yield finding, finding.path, fix


def _targets(report, weights, selection):
    """A `_Target` per weight behind an error or warning, in model order.

    A weight behind several findings is drawn once, by the fix of the
    first (the most severe: `examine` sorts them so).
    """
    index = {w.path: i for i, w in enumerate(weights)}
    targets = {}
    for finding, path, (argument, name, kwargs) in _prescriptions(report):
        for w in _concerned(path, argument, weights):
            if not _selected(w, selection):
                continue
            target = targets.setdefault(
                w.path, _Target(w, index[w.path], name, kwargs, [])
            )
            if finding.check not in target.checks:
                target.checks.append(finding.check)
    return sorted(targets.values(), key=lambda t: t.index)


# LSUV's pre-activation variance before relu: relu halves the mean square,
# so the layer's output gets unit mean square, as every other layer's
# pre-activations get unit variance (what He's sqrt(2) gain keeps).
_LSUV_RELU_VARIANCE = 2.0
# Layers a relu chain passes through between its Dense or convolution
# layers: they keep the mirrored pairs of `LooksLinear` aligned.
_CHAIN_LINKS = (
    keras.layers.Activation,
    keras.layers.ReLU,
    keras.layers.Dropout,
)


def _next_weighted(layer, graph):
    """The one layer with weights reading `layer`, through `_CHAIN_LINKS`."""
    following = graph.consumers(layer)
    while len(following) == 1 and isinstance(following[0], _CHAIN_LINKS):
        following = graph.consumers(following[0])
    return following[0] if len(following) == 1 else None


def _chains(targets, graph):
    """Runs of He-drawn relu kernels, each layer feeding the next: lists of
    targets, two or more long.

    In a chain, every layer but the last has an even number of units (they
    pair up, `initializers.LooksLinear`), and its only reader is the next.
    """
    eligible = {
        id(t.weight.layer): t
        for t in targets
        if t.weight.role in _LAYER_KERNELS
        and t.initializer == "he_normal"
        and graph_lib.next_activation(t.weight.layer, graph) == "relu"
    }
    following, has_previous = {}, set()
    for key, t in eligible.items():
        nxt = _next_weighted(t.weight.layer, graph)
        if (
            nxt is not None
            and id(nxt) in eligible
            and t.weight.variable.shape[-1] % 2 == 0
            and type(nxt) is type(t.weight.layer)
        ):
            following[key] = eligible[id(nxt)]
            has_previous.add(id(nxt))
    chains = []
    for key, t in eligible.items():
        if key in has_previous or key not in following:
            continue
        chain = [t]
        while id(chain[-1].weight.layer) in following:
            chain.append(following[id(chain[-1].weight.layer)])
        chains.append(chain)
    return chains


def _looks_linear(chains, seed):
    """`{weight path: (initializer, description)}` for the relu chains."""
    drawn = {}
    for chain in chains:
        for i, t in enumerate(chain):
            first, last = i == 0, i == len(chain) - 1
            gain = math.sqrt(2.0) if last else 1.0
            init = initializers.LooksLinear(
                mirror_inputs=not first,
                mirror_outputs=not last,
                gain=gain,
                seed=seed + t.index,
            )
            drawn[t.weight.path] = (
                init,
                f"looks_linear(mirror_inputs={not first}, "
                f"mirror_outputs={not last}, gain={gain:.4g})",
            )
    return drawn


def _gates(report, targets, weights, graph, selection):
    """Targets for the uniform kernels after the weights repair draws.

    An info `zero_kernel` or `constant_kernel` (an output layer's, or one
    whose units part on the first step) is safe on its own; but the
    gradients of the layers before it pass through it, and through a zero
    kernel they start at nothing and grow with it. A repair that draws
    layers before one draws it too, by the fix its finding names, so the
    weights it repairs learn from the first step.
    """
    layers = {id(t.weight.layer) for t in targets}
    downstream = {
        id(r) for r in graph.downstream([t.weight.layer for t in targets])
    }
    index = {w.path: i for i, w in enumerate(weights)}
    extra = []
    for f in report.findings:
        fix = prescription(f)
        if (
            f.severity != findings.INFO
            or f.check not in ("zero_kernel", "constant_kernel")
            or fix is None
        ):
            continue
        argument, name, kwargs = fix
        for w in _concerned(f.path, argument, weights):
            if (
                id(w.layer) in downstream
                and id(w.layer) not in layers
                and _selected(w, selection)
            ):
                extra.append(_Target(w, index[w.path], name, kwargs, [f.check]))
    return extra


def _std(value):
    return float(np.std(value, dtype=np.float64))


@functools.lru_cache(maxsize=64)
def _depth_sigma_w2(depth, sigma_b2):
    """`theory.depth_sigma_w2` for tanh, once per depth and bias variance;
    None for biases of variance >= 1 (no unit fixed point)."""
    try:
        return theory.depth_sigma_w2(depth, sigma_b2, "tanh")
    except theory.MeanFieldError:
        return None


def _tanh_kernel(target, graph):
    w = target.weight
    return (
        w.role in _LAYER_KERNELS
        and graph_lib.next_activation(w.layer, graph) == "tanh"
    )


def _initializer(target, graph, seed, tanh_depth):
    """`(initializer, description)` of a target drawn without data.

    A Dense or convolution kernel before tanh gets sigma_w2 / fan_in from
    `theory.depth_sigma_w2` for its layer's biases and `tanh_depth`, the
    tanh kernels repair draws; every other weight, the initializer its
    finding names.
    """
    if _tanh_kernel(target, graph):
        bias = getattr(target.weight.layer, "bias", None)
        sigma_b2 = 0.0
        if bias is not None:
            bias = keras.ops.convert_to_numpy(bias).astype(np.float64)
            sigma_b2 = float(np.mean(np.square(bias)))
        sigma_w2 = _depth_sigma_w2(tanh_depth, sigma_b2)
        if sigma_w2 is not None:
            return initializers.VarianceScaling(
                scale=sigma_w2,
                mode="fan_in",
                distribution="normal",
                seed=seed,
            ), (
                f"variance_scaling(scale={sigma_w2:.4g}, mode='fan_in'): "
                f"mean-field q* = 1 for tanh with sigma_b2={sigma_b2:.3g} "
                f"over {tanh_depth} layers"
            )
    init = initializers.get(target.initializer, seed=seed, **target.kwargs)
    return init, target.initializer


def repair(model, x=None, y=None, *, seed=0, layers=None):
    """Draws again the weights behind the doctor's errors and warnings.

    Examines the model (with the batch, when given), then re-initializes in
    place each weight that an error or a warning concerns (every cause of
    a failing path, and the uniform kernels after them), with looks-linear
    kernels for relu chains, the mean-field scale for tanh, the initializer
    its fix names, or LSUV with a batch (see the module docstring). Every
    other weight keeps its values bit for bit. Findings whose fix names no
    initializer (or another weight's argument) are left as they are.

    Examples:

    >>> from keras_initstudy.diagnostics import doctor
    >>> from keras_initstudy.study import models
    >>> model = models.mlp((64,), kernel_initializer="zeros")
    >>> model, changes = doctor.repair(model)
    >>> [(c.layer, c.weight, c.initializer) for c in changes]
    [('hidden_1', 'kernel', 'he_normal')]
    >>> doctor.examine(model).has("error")
    False

    Args:
        model: a built Keras 3 model, as `examine` takes it.
        x: optional batch of inputs: adds the findings of the batch, and
            repairs top-level Dense and convolution kernels by LSUV on it.
        y: the batch's integer labels (see `examine`).
        seed: the i-th weight of the model is drawn with seed `seed + i`
            (LSUV's orthogonal draws with `seed` + the layer's index), so
            the same model and seed give the same repair.
        layers: layer paths (as the doctor prints them, e.g. `hidden_1`,
            `encoder/lstm`) to repair, weights of layers inside them
            included; None repairs the whole model. Keeps a pretrained
            part as it is, whatever the doctor says of it.

    Returns:
        `(model, changes)`: the same model, repaired, and a `Change` per
        weight drawn again, in model order.

    Raises:
        ValueError: for a name in `layers` that is no layer of the model, or
            (with a batch) a layer whose output is constant on it.
    """
    walked = list(walk.layers(model))
    selection = _selection(walked, layers)
    report = diagnose.examine(model, x, y)
    weights, _ = walk.weights(model, walked)
    targets = _targets(report, weights, selection)
    graph = graph_lib.functional_graph(model, [layer for layer, _, _ in walked])
    if targets:
        targets = sorted(
            targets + _gates(report, targets, weights, graph, selection),
            key=lambda t: t.index,
        )
    chained = _looks_linear(_chains(targets, graph), seed)
    by_lsuv = []
    if x is not None:
        kernel_layers = {id(layer) for layer in lsuv_lib.kernel_layers(model)}
        by_lsuv = [
            t
            for t in targets
            if t.weight.role in _LAYER_KERNELS
            and id(t.weight.layer) in kernel_layers
        ]
    scaled = {t.weight.path for t in by_lsuv}
    drawn = {}
    tanh_depth = max(1, sum(_tanh_kernel(t, graph) for t in targets))
    # Biases first: the kernel scale for tanh reads them.
    for t in sorted(targets, key=lambda t: (t.weight.role != "bias", t.index)):
        path = t.weight.path
        if path in chained:
            init, drawn[path] = chained[path]
        elif path in scaled:  # LSUV draws it orthogonal itself.
            drawn[path] = "lsuv"
            continue
        else:
            init, drawn[path] = _initializer(
                t, graph, seed + t.index, tanh_depth
            )
        variable = t.weight.variable
        variable.assign(init(tuple(variable.shape), dtype=variable.dtype))
    if by_lsuv:
        lsuv_lib.lsuv(
            model,
            x,
            seed=seed,
            layers=[t.weight.layer for t in by_lsuv],
            keep_kernels=[
                t.weight.layer for t in by_lsuv if t.weight.path in chained
            ],
            target=lambda layer: (
                _LSUV_RELU_VARIANCE
                if graph_lib.next_activation(layer, graph) == "relu"
                else 1.0
            ),
        )
        for path in scaled & chained.keys():
            drawn[path] += " + lsuv"
    changes = [
        Change(
            _layer_path(t.weight.path),
            t.weight.path.rsplit("/", 1)[1],
            tuple(t.checks),
            _std(t.weight.value),
            _std(keras.ops.convert_to_numpy(t.weight.variable)),
            drawn[t.weight.path],
        )
        for t in targets
    ]
    return model, changes
