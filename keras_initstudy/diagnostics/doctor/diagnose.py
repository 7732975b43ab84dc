"""`examine`: the weight checks, then the signal checks, into one report."""

from keras_initstudy.diagnostics.doctor import checks
from keras_initstudy.diagnostics.doctor import findings
from keras_initstudy.diagnostics.doctor import graph as graph_lib
from keras_initstudy.diagnostics.doctor import signal_checks
from keras_initstudy.diagnostics.doctor import walk


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
    walked = list(walk.layers(model))
    graph = graph_lib.functional_graph(model, [layer for layer, _, _ in walked])
    weights, skipped = walk.weights(model, walked)
    examined, found = checks.run(weights, graph)
    stats = reason = None
    if x is not None:
        stats, signal_findings, reason = signal_checks.measure(model, x, y)
        found.extend(signal_findings)
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
    )
