"""What the doctor reports: findings, coverage, the report, and the fixes.

A `Finding` is one diagnosis with a severity and a fix; `Examined` and
`Skipped` account for every weight of the model; `Report` holds them all.
`fix` and `recommended_std` say what a finding's fix recommends, so every
check words its fix the same way.
"""

import collections
import dataclasses
import inspect
import math

from keras_initstudy import initializers
from keras_initstudy.diagnostics.doctor import families
from keras_initstudy.initializers import gain

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)


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
        check: the name of the check (see the package docstring).
        severity: one of `SEVERITIES`.
        message: what is wrong and why it matters.
        fix: the code to write, naming a registry initializer.
        causes: for a signal path, the paths of the layers that make it
            fail, largest share of the log-gain first.
    """

    path: str
    check: str
    severity: str
    message: str
    fix: str = ""
    causes: tuple = ()

    def as_dict(self):
        return {**dataclasses.asdict(self), "causes": list(self.causes)}


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
        paths: a `paths.Verdict` per output of the model: the end-to-end
            gains, predicted and (with a batch) measured.
    """

    findings: tuple
    examined: tuple
    skipped: tuple
    signals: dict | None = None
    batch: str | None = None
    signals_skipped: str | None = None
    paths: tuple = ()

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
            "paths": [p.as_dict() for p in self.paths],
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


def variance_preserving_std(fan_in, fan_out, activation):
    """He's std for the relu family, Glorot's for any other activation."""
    if activation in families.RELU_FAMILY:
        return math.sqrt(2.0 / fan_in)
    return math.sqrt(2.0 / (fan_in + fan_out))


def recommended_std(kernel_shape, activation, depthwise=False):
    """The variance-preserving weight std for a kernel and activation.

    He, sqrt(2 / fan_in), for the relu family; Glorot, sqrt(2 / (fan_in +
    fan_out)), for tanh, sigmoid, linear and anything else; fans from
    `gain.compute_fans`.
    """
    fan_in, fan_out = gain.compute_fans(kernel_shape, depthwise=depthwise)
    return variance_preserving_std(fan_in, fan_out, activation)


def recommended_init(activation):
    """The registry initializer whose std `variance_preserving_std` gives."""
    return (
        "he_normal" if activation in families.RELU_FAMILY else "xavier_normal"
    )
