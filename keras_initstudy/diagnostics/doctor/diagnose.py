"""`examine`: the weight checks, the signal paths and, with data, signals."""

import dataclasses

from keras_initstudy.diagnostics.doctor import checks
from keras_initstudy.diagnostics.doctor import findings
from keras_initstudy.diagnostics.doctor import graph as graph_lib
from keras_initstudy.diagnostics.doctor import moments
from keras_initstudy.diagnostics.doctor import paths
from keras_initstudy.diagnostics.doctor import propagate
from keras_initstudy.diagnostics.doctor import signal_checks
from keras_initstudy.diagnostics.doctor import walk

NOT_MEASURED = "not_measured"


def examine(model, x=None, y=None, batch=None):
    """Diagnoses the initial weights (and, with data, signals) of a model.

    Examples:

    >>> from keras_initstudy.study import models
    >>> model = models.mlp((64,), kernel_initializer="zeros")
    >>> report = examine(model)
    >>> [(f.path, f.check) for f in report.findings if f.severity == "error"]
    [('hidden_1/kernel', 'zero_kernel'), ('hidden_1', 'signal_path')]
    >>> report.summary()
    'examined 4 weights in 2 layers; skipped 0'

    Args:
        model: a built Keras 3 model (Sequential, functional or
            subclassed; nested models and wrappers are walked).
        x: optional batch of inputs: measures the signal paths' gains and
            adds the signals of one forward and one backward pass
            (functional models with one output).
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
    walked = list(walk.layers(model))
    graph = graph_lib.functional_graph(model, [layer for layer, _, _ in walked])
    weights, skipped = walk.weights(model, walked)
    examined, found = checks.run(weights, graph)
    watched = signal_checks.watch(model) if x is not None else None
    verdicts, path_findings, shared = _paths(
        model, graph, walked, weights, x, watched
    )
    verdicts, path_findings = _starting_at_zero(verdicts, path_findings, found)
    found = _scales_by_paths(found, verdicts, examined) + path_findings
    stats = reason = None
    if x is not None:
        stats, signal_findings, reason = signal_checks.measure(
            model, x, y, shared, watched
        )
        found.extend(_signals_by_paths(signal_findings, verdicts))
        if reason:
            found.append(
                _not_measured(model, f"signals not measured: {reason}")
            )
    order = {w.path: i for i, w in enumerate(examined)}
    found = sorted(
        found,
        key=lambda f: (
            findings.SEVERITIES.index(f.severity),
            order.get(f.path, len(order)),
        ),
    )
    return findings.Report(
        tuple(found),
        examined,
        tuple(skipped),
        signals=stats,
        batch=batch if x is not None else None,
        signals_skipped=reason,
        paths=tuple(verdicts),
    )


def _not_measured(model, message):
    return findings.Finding(model.name, NOT_MEASURED, findings.INFO, message)


# A layer the rules misread (an unusual weight shape in a custom layer)
# must not cost the user the weight checks: the paths then say why they
# were not judged.
_RULE_ERRORS = (ValueError, TypeError, AttributeError, IndexError, KeyError)


def _paths(model, graph, walked, weights, x, watched):
    """`(verdicts, findings, shared)` of the signal paths (see `paths`).

    `watched`: with a batch, the model's `signal_checks.watch`. `shared`:
    the watched layers' values from the pass that measured the paths (see
    `signal_checks.measure_paths`), or None.
    """
    why = None
    try:
        propagation = propagate.propagate(
            model,
            graph,
            {id(layer): path for layer, path, _ in walked},
            moments.Weights({id(w.variable): w.value for w in weights}),
        )
    except _RULE_ERRORS as e:
        propagation, why = None, f"{type(e).__name__}: {e}"
    if propagation is None or not propagation.paths:
        if why is None:
            why = (
                "the model has no layer graph (subclassed)"
                if propagation is None
                else "no layer with weights lies between an input and an output"
            )
        return (
            [],
            [_not_measured(model, f"signal paths not judged: {why}")],
            None,
        )
    measured, reason, shared = [None] * len(propagation.paths), None, None
    if x is not None:
        values, reason, shared = signal_checks.measure_paths(
            model, propagation, x, watched
        )
        measured = values or measured
    verdicts = [
        paths.judge(path, m, reason)
        for path, m in zip(propagation.paths, measured, strict=True)
    ]
    extra = []
    if reason:
        extra.append(
            _not_measured(model, f"signal paths not measured: {reason}")
        )
    return verdicts, [v.finding for v in verdicts] + extra, shared


def _scales_by_paths(found, verdicts, examined):
    """Kernel `scale` warnings become info unless a failing path names them.

    A kernel a little off the variance-preserving std matters through what
    it does to a whole path: a layer that no failing path names as a cause
    (a 4x expansion followed by its contraction, a squeeze-excite gate) is
    information, not a warning. Without verdicts nothing is downgraded.
    """
    if not verdicts:
        return found
    causes = [
        cause
        for v in verdicts
        if v.finding.severity != findings.INFO
        for cause in v.finding.causes
    ]
    roles = {e.path: e.role for e in examined}
    kept = []
    for f in found:
        if (
            f.check == "scale"
            and f.severity == findings.WARNING
            and roles.get(f.path) in checks.SCALED_KERNELS
            and not any(f.path.startswith(c + "/") for c in causes)
        ):
            f = dataclasses.replace(
                f,
                severity=findings.INFO,
                message=f"{f.message} No signal path fails through this "
                "layer: information only.",
            )
        kept.append(f)
    return kept


def _starting_at_zero(verdicts, path_findings, found):
    """Failing paths that only start at 0 become information.

    A uniform kernel whose units gradient descent parts on the first step
    (an info `zero_kernel` or `constant_kernel`) loses the signal at init,
    and every layer after it then gets none: the path recovers after one
    step when the other layers keep it inside the band (`paths.recovers`).
    """
    starting = {
        f.path.rsplit("/", 1)[0]
        for f in found
        if f.check in ("zero_kernel", "constant_kernel")
        and f.severity == findings.INFO
    }
    if not starting:
        return verdicts, path_findings
    replaced, kept = {}, []
    for v in verdicts:
        if v.finding.severity != findings.INFO and paths.recovers(v, starting):
            finding = dataclasses.replace(
                v.finding,
                severity=findings.INFO,
                message=f"{v.finding.message}. It starts at 0 through a "
                "uniform kernel whose units part on the first step, and "
                "the other layers keep the gains within the band: "
                "information only.",
                fix="",
            )
            replaced[id(v.finding)] = finding
            v = dataclasses.replace(v, finding=finding)
        kept.append(v)
    return kept, [replaced.get(id(f), f) for f in path_findings]


def _signals_by_paths(signal_findings, verdicts):
    """The depth regime of a batch defers to the measured path verdicts.

    The `signals` check compares the first and last watched layers with a
    factor of 3 (`signals.STABLE_FACTOR`), the study's regime; a residual
    network's growing sum crosses it by design. When the paths were
    measured on the same batch and every one is inside the band, the
    regime is information.
    """
    measured = [v for v in verdicts if v.measured is not None]
    if not measured or any(
        v.finding.severity != findings.INFO for v in verdicts
    ):
        return signal_findings
    return [
        dataclasses.replace(
            f,
            severity=findings.INFO,
            message=f"{f.message} The measured end-to-end gains of every "
            "signal path are within the band: information only.",
        )
        if f.check == "signals" and f.severity == findings.WARNING
        else f
        for f in signal_findings
    ]
