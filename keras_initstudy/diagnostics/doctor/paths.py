"""Verdicts on the end-to-end gains of the signal paths.

A layer whose weights are a little off is harmless alone and fatal when
thirty such layers compound: the verdict is passed on the gains from the
entries to each output (`propagate.Path`), measured on a batch when there
is one, predicted from the weights otherwise:

- error: the signal or its gradient is lost beyond float32's range (a gain
  below `LOST` or above 1 / `LOST`), or the propagation is NaN or infinite;
- warning: a gain outside `BAND`; the message names the layers that cause
  it, ranked by their share of the log-gain, and the fix;
- info: both gains inside the band.
"""

import dataclasses
import math
import re

import numpy as np

from keras_initstudy import initializers
from keras_initstudy.diagnostics.doctor import checks
from keras_initstudy.diagnostics.doctor import findings
from keras_initstudy.diagnostics.doctor import walk

CHECK = "signal_path"
# End-to-end gains in this band pass: a factor of 10 either way is what a
# sound initialization of a deep network shows at init (He with biases,
# a residual network's growing sum), and an order of magnitude is what the
# first optimizer steps can still adapt to.
BAND = (0.1, 10.0)
# Below this (or above its inverse) a gain leaves float32's range for good:
# float32 resolves 1e-38, and a batch's activations, gradients and loss need
# a few decades of headroom above that.
LOST = 1e-30
# A cause group (one initializer under one activation) named as the cause
# must carry at least this share of the log-gain.
DOMINANT_SHARE = 0.5
TOP_CAUSES = 3


@dataclasses.dataclass(frozen=True)
class Measured:
    """Gains measured on a batch (`signal_checks.measure_paths`)."""

    forward: float
    backward: float


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The verdict on one path, JSON-ready through `as_dict`.

    Attributes:
        path: the `propagate.Path` (predicted gains, main path).
        measured: the `Measured` gains, or None.
        not_measured: why a batch was given but the path not measured.
        finding: the `findings.Finding` the report lists.
    """

    path: object
    measured: Measured | None
    not_measured: str | None
    finding: findings.Finding

    def as_dict(self):
        p = self.path
        return {
            "output": p.output,
            "entry": p.entry,
            "severity": self.finding.severity,
            "message": self.finding.message,
            "fix": self.finding.fix,
            "causes": list(self.finding.causes),
            "predicted": {
                "forward": _json(p.forward),
                "backward": _json(p.backward),
            },
            "measured": None
            if self.measured is None
            else {
                "forward": _json(self.measured.forward),
                "backward": _json(self.measured.backward),
            },
            "not_measured": self.not_measured,
            "pooled_positions": p.pooled,
            "layers": [
                {
                    "name": step.name,
                    "q_in": _json(q_in),
                    "q_out": _json(q_out),
                    "chi": _json(chi),
                }
                for step, q_in, q_out, chi in p.steps
            ],
            "units": [
                {
                    "name": u.name,
                    "layers": list(u.layers),
                    "forward": _json(u.forward),
                    "backward": _json(u.backward),
                }
                for u in p.units
            ],
            "approximations": list(p.approximations),
        }


def _json(value):
    return value if math.isfinite(value) else None


def judge(path, measured=None, not_measured=None):
    """The `Verdict` on a path: by the measured gains when there are some.

    Args:
        path: a `propagate.Path`.
        measured: a `Measured`, or None.
        not_measured: why a given batch did not measure the path.
    """
    forward = path.forward if measured is None else measured.forward
    backward = path.backward if measured is None else measured.backward
    severity = _severity(forward, backward)
    gains = _gains_text(path, measured)
    weighted = [u for u in path.units if u.role or _normalization(u)]
    span = weighted or path.units
    where = "over no layer"
    if len(span) == 1:
        where = f"over 1 layer ({span[0].name})"
    elif span:
        where = f"over {len(span)} layers ({span[0].name}…{span[-1].name})"
    text = f"{gains} {where}: {_regime(forward, backward)}"
    causes, fix_code = (), ""
    if severity != findings.INFO:
        direction, gain = _worst(forward, backward)
        causes, cause_text, init = _causes(path, direction, gain)
        if cause_text:
            text += f"; cause: {cause_text}"
        if init is not None:
            argument, name, extra = init
            # A kernel's initializer is named alone, as users say it.
            label = name if "kernel" in argument else f"{argument}={name!r}"
            text += f"; fix: {label}"
            fix_code = findings.fix(argument, name, **extra)
        elif causes:
            text += "; no initializer change fixes it"
            if _normalized_growth(path, causes, forward, backward):
                severity = findings.INFO
                text += (
                    ": the gradient grows through normalization layers, "
                    "which divide by their inputs' std; the signal they "
                    "pass on keeps its scale, and the weights before them "
                    "get gradients in proportion to their own size "
                    "(normalization makes them scale-free): information"
                )
    if not_measured:
        text += f" (not measured: {not_measured})"
    finding = findings.Finding(
        path.output, CHECK, severity, text, fix_code, causes=causes
    )
    return Verdict(path, measured, not_measured, finding)


def _lost(unit):
    return any(
        not LOST <= getattr(unit, d) <= 1 / LOST
        for d in ("forward", "backward")
    )


def recovers(verdict, starting):
    """Whether a failing path fails only through layers that start at 0.

    `starting` names layers whose uniform kernels gradient descent parts on
    the first step (`checks.uniform_kernel`'s information): the signal
    through them is 0 at init and not after. A unit starts at 0 when it is
    such a layer or holds one (a recurrent layer, its cell). The path
    recovers when the first layer that loses its signal is one of them, and
    the layers that
    lose nothing keep the gains inside `BAND`: the layers after a zero
    start lose the signal only because they get none.
    """
    units = verdict.path.units
    lost = [u for u in units if _lost(u)]
    if not lost or not any(
        s == lost[0].name or s.startswith(lost[0].name + "/") for s in starting
    ):
        return False
    kept = [u for u in units if not _lost(u)]
    return all(
        BAND[0] <= math.prod(getattr(u, d) for u in kept) <= BAND[1]
        for d in ("forward", "backward")
    )


def repairs(verdict):
    """What fixes each cause of a failing verdict: `(layer, fix)` pairs.

    The message names the fix of the main cause; a repair applies the fix
    of every cause, since a path of thirty layers that each shrink the
    signal is healed only when all thirty are. `fix` is `(argument,
    registry name, kwargs)` as `findings.fix` takes them; causes whose
    weights already have the recommended variance, and layers no initializer
    change fixes, are left out. Empty for a verdict inside the band.
    """
    if verdict.finding.severity == findings.INFO:
        return []
    gains = verdict.measured or verdict.path
    direction, gain = _worst(gains.forward, gains.backward)
    causes = set(verdict.finding.causes)
    found = []
    for unit in verdict.path.units:
        if unit.name in causes:
            fix = _fix(unit, direction, gain)
            if fix is not None:
                found.append((unit.name, fix))
    return found


def _normalized_growth(path, causes, forward, backward):
    """Whether only the gradient grows, and normalization layers cause it."""
    if not BAND[0] <= forward <= BAND[1] or not backward > BAND[1]:
        return False
    if not math.isfinite(backward) or backward > 1 / LOST:
        return False
    units = {u.name: u for u in path.units}
    main = units[causes[0]]
    return _normalization(main)


def _severity(forward, backward):
    gains = (forward, backward)
    if any(not math.isfinite(g) or g < LOST or g > 1 / LOST for g in gains):
        return findings.ERROR
    if any(not BAND[0] <= g <= BAND[1] for g in gains):
        return findings.WARNING
    return findings.INFO


def _number(value):
    return f"{value:.2g}"


def _gains_text(path, measured):
    pooled = " per pooled position" if path.pooled > 1 else ""
    if measured is None:
        return (
            f"forward gain {_number(path.forward)}, backward gain "
            f"{_number(path.backward)}{pooled}"
        )
    return (
        f"forward gain {_number(measured.forward)} measured "
        f"({_number(path.forward)} predicted), backward gain{pooled} "
        f"{_number(measured.backward)} measured "
        f"({_number(path.backward)} predicted)"
    )


def _direction(gain):
    if not math.isfinite(gain) or gain > BAND[1]:
        return "exploding"
    if gain < BAND[0]:
        return "vanishing"
    return None


def _regime(forward, backward):
    if any(math.isnan(g) for g in (forward, backward)):
        return "NaN in the propagation"
    parts = [
        f"{direction} {name}"
        for name, gain in (("forward", forward), ("backward", backward))
        if (direction := _direction(gain))
    ]
    if not parts:
        return f"within [{BAND[0]:g}, {BAND[1]:g}]"
    if len(parts) == 2 and parts[0].split()[0] == parts[1].split()[0]:
        parts = [parts[0].split()[0]]
    lost = any(g < LOST or g > 1 / LOST for g in (forward, backward))
    text = ", ".join(parts)
    return f"{text}, lost beyond float32's range" if lost else text


def _worst(forward, backward):
    """`("forward" | "backward", gain)`: the gain furthest out of the band."""

    def distance(gain):
        if not gain > 0 or math.isinf(gain):
            return math.inf
        return max(math.log(BAND[0] / gain), math.log(gain / BAND[1]), 0.0)

    if distance(backward) > distance(forward):
        return "backward", backward
    return "forward", forward


def _normalization(unit):
    return type(unit.layer).__name__.endswith("Normalization")


def _causes(path, direction, gain):
    """`(cause names, cause text, `_fix` of the main cause)` of a gain.

    Causes are the main-path units whose factor pushes the gain the way it
    fails, ranked by their share of its logarithm; a unit that loses the
    signal outright (a factor beyond `LOST`, or NaN) comes first.
    """
    factors = [getattr(u, direction) for u in path.units]
    lost = [i for i, f in enumerate(factors) if not LOST <= f <= 1 / LOST]
    logs = np.log(np.clip(np.asarray(factors, dtype=np.float64), 1e-300, 1e300))
    total = math.log(min(max(gain, 1e-300), 1e300)) if gain == gain else 0.0
    share = logs / total if total else np.zeros_like(logs)
    ranked = lost + sorted(
        (i for i in range(len(factors)) if share[i] > 0 and i not in lost),
        # Path order among equal shares (to the percent): a uniform net
        # names its first layers, not the last digits' winners.
        key=lambda i: (-round(share[i], 2), i),
    )
    if not ranked:
        return (), "", None
    units = [path.units[i] for i in ranked]
    top = ", ".join(
        f"{path.units[i].name} x{_number(factors[i])}"
        + (" (lost)" if i in lost else f" ({share[i]:.0%})")
        for i in ranked[:TOP_CAUSES]
    )
    groups = {}
    for u, i in zip(units, ranked, strict=True):
        key = _group(u) or u.name
        groups.setdefault(key, []).append((u, share[i]))
    if lost:  # The first layer that loses the signal is the one to fix.
        return (
            tuple(u.name for u in units),
            top,
            _fix(units[0], direction, gain),
        )
    key = max(groups, key=lambda k: sum(s for _, s in groups[k]))
    members = groups[key]
    text = top
    if len(members) > 1:
        if sum(s for _, s in members) >= DOMINANT_SHARE:
            each = math.exp(
                np.mean([math.log(getattr(u, direction)) for u, _ in members])
            )
            text = f"{key}, each layer x{_number(each)} (largest shares: {top})"
    return (
        tuple(u.name for u in units),
        text,
        _fix(members[0][0], direction, gain),
    )


def _group(unit):
    """What units alike as causes share, in words; None for a lone unit.

    One initializer under one activation; one kind of normalization.
    """
    if unit.role:
        return f"{_initializer(unit)} under {unit.activation}"
    if _normalization(unit):
        return f"{type(unit.layer).__name__} layers"
    return None


def _initializer(unit):
    """The registry (or Keras) name of a unit's kernel initializer."""
    layer = unit.layer
    if hasattr(layer, "layer"):  # TimeDistributed and other wrappers.
        layer = layer.layer
    init = getattr(layer, walk.INITIALIZER_ARGUMENT[unit.role], None)
    if init is None:
        return "an unknown initializer"
    for name, cls in initializers.REGISTRY.items():
        if type(init) is cls:
            return name
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(init).__name__).lower()


# Initializers of the same variance-preserving family as the registry's
# recommendation: recommending it again fixes nothing.
_FAMILIES = {
    "he_normal": ("he_normal", "he_uniform"),
    "xavier_normal": (
        "xavier_normal",
        "xavier_uniform",
        "glorot_normal",
        "glorot_uniform",
        "lecun_normal",
        "lecun_uniform",
    ),
}


def _fix(unit, direction, gain):
    """`(argument, registry name, kwargs)` that fixes a unit, or None.

    None too when the unit's kernel already has the recommended variance
    (sigmoid layers lose the gradient under Glorot's init all the same),
    and for a normalization whose scale is already near 1, unless it ends
    a residual branch of a path whose gradient explodes.
    """
    if unit.role:
        init = findings.recommended_init(unit.activation)
        if _initializer(unit) in _FAMILIES[init]:
            return None
        extra = {"depthwise": True} if unit.role == "depthwise_kernel" else {}
        return (walk.INITIALIZER_ARGUMENT[unit.role], init, extra)
    if _normalization(unit):
        if unit.ends_branch and direction == "backward" and gain > 1:
            # A zero scale starts the residual block as the identity
            # (Goyal et al. 2017): the gradient runs down the shortcuts.
            return ("gamma_initializer", "zeros", {})
        gamma = getattr(unit.layer, "gamma", None)
        if gamma is not None:
            rms = float(np.sqrt(np.mean(np.square(gamma.numpy()))))
            if not 1 / checks.SCALE_TOLERANCE <= rms <= checks.SCALE_TOLERANCE:
                return ("gamma_initializer", "ones", {})
    return None
