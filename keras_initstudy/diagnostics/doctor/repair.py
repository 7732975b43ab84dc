"""`repair`: the doctor treats what it finds.

Every error and warning of `examine` names what it concerns (a weight's
path, or a layer's for the findings of a batch) and a fix: the constructor
argument and the registry initializer to write, as `findings.fix` words it.
`repair` applies those fixes to the model's weights, in place. It touches
only the weights behind errors and warnings: every other weight keeps its
values bit for bit, so a partly trained model (a pretrained backbone under a
new head) keeps what it learned.

A weight is drawn again in one of three ways:

- by the initializer its finding names (He for the relu family, Glorot or
  LeCun as the finding says, orthogonal for a recurrent kernel, ones for a
  normalization scale ...);
- a Dense or convolution kernel before tanh, in a layer with non-zero
  biases: from N(0, sigma_w2 / fan_in), sigma_w2 the critical value of the
  mean-field theory for the sigma_b2 of the layer's biases
  (`theory.critical_sigma_w2`). Glorot and LeCun assume no bias; with one,
  the critical sigma_w2 is the one where signals and gradients neither fade
  nor explode with depth;
- with a batch, the kernels of top-level Dense and convolution layers by
  LSUV (`initializers.lsuv`): orthogonal, then scaled until the layer's
  pre-activations have unit variance on the batch, which measures what the
  two rules above assume about the inputs.
"""

import ast
import dataclasses
import re

import keras
import numpy as np

from keras_initstudy import initializers
from keras_initstudy import theory
from keras_initstudy.diagnostics.doctor import diagnose
from keras_initstudy.diagnostics.doctor import findings
from keras_initstudy.diagnostics.doctor import graph as graph_lib
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
            critical `variance_scaling(...)` for tanh.
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


def _concerned(finding, argument, weights):
    """The weights a finding concerns that its fix's argument sets.

    A weight's path names the weight; a layer's path names the layer's
    weights that the argument initializes (its kernel for
    `kernel_initializer`).
    """
    return [
        w
        for w in weights
        if (w.path == finding.path or _layer_path(w.path) == finding.path)
        and walk.INITIALIZER_ARGUMENT.get(w.role) == argument
    ]


def _targets(found, weights, selection):
    """A `_Target` per weight behind an error or warning, in model order.

    A weight behind several findings is drawn once, by the fix of the
    first (the most severe: `examine` sorts them so).
    """
    index = {w.path: i for i, w in enumerate(weights)}
    targets = {}
    for finding in found:
        if finding.severity == findings.INFO:
            continue
        fix = prescription(finding)
        if fix is None:
            continue
        argument, name, kwargs = fix
        for w in _concerned(finding, argument, weights):
            if not _selected(w, selection):
                continue
            target = targets.setdefault(
                w.path, _Target(w, index[w.path], name, kwargs, [])
            )
            if finding.check not in target.checks:
                target.checks.append(finding.check)
    return sorted(targets.values(), key=lambda t: t.index)


def _std(value):
    return float(np.std(value, dtype=np.float64))


def _initializer(target, graph, seed):
    """`(initializer, description)` of a target drawn without data."""
    w = target.weight
    if (
        w.role in _LAYER_KERNELS
        and graph_lib.next_activation(w.layer, graph) == "tanh"
        and getattr(w.layer, "bias", None) is not None
    ):
        bias = keras.ops.convert_to_numpy(w.layer.bias).astype(np.float64)
        sigma_b2 = float(np.mean(np.square(bias)))
        if sigma_b2 > 0:
            sigma_w2 = theory.critical_sigma_w2(sigma_b2, "tanh")
            return initializers.VarianceScaling(
                scale=sigma_w2,
                mode="fan_in",
                distribution="normal",
                seed=seed,
            ), (
                f"variance_scaling(scale={sigma_w2:.4g}, mode='fan_in'): "
                f"critical for tanh with sigma_b2={sigma_b2:.3g}"
            )
    init = initializers.get(target.initializer, seed=seed, **target.kwargs)
    return init, target.initializer


def repair(model, x=None, y=None, *, seed=0, layers=None):
    """Draws again the weights behind the doctor's errors and warnings.

    Examines the model (with the batch, when given), then re-initializes in
    place each weight that an error or a warning concerns, with the
    initializer its fix names, the critical one for tanh with biases, or
    LSUV with a batch (see the module docstring). Every other weight keeps
    its values bit for bit. Findings whose fix names no initializer (or
    another weight's argument) are left as they are.

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
    targets = _targets(report.findings, weights, selection)
    graph = graph_lib.functional_graph(model, [layer for layer, _, _ in walked])
    by_lsuv = []
    if x is not None:
        kernel_layers = {id(layer) for layer in lsuv_lib.kernel_layers(model)}
        by_lsuv = [
            t
            for t in targets
            if t.weight.role in _LAYER_KERNELS
            and id(t.weight.layer) in kernel_layers
        ]
    drawn = dict.fromkeys((t.weight.path for t in by_lsuv), "lsuv")
    # Biases first: the critical kernel scale for tanh reads them.
    for t in sorted(targets, key=lambda t: (t.weight.role != "bias", t.index)):
        if t.weight.path in drawn:
            continue
        init, drawn[t.weight.path] = _initializer(t, graph, seed + t.index)
        variable = t.weight.variable
        variable.assign(init(tuple(variable.shape), dtype=variable.dtype))
    if by_lsuv:
        lsuv_lib.lsuv(
            model, x, seed=seed, layers=[t.weight.layer for t in by_lsuv]
        )
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
