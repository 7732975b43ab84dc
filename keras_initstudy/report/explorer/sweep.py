"""The sweep panel: init x activation on MNIST, over seeds.

Per choice of init and activation: minibatch loss per iteration (mean over
seeds with a min-max band, the other inits in grey), test accuracy of
every init, and distinct hidden units per recorded iteration. The stat
boxes read claim "sweep" of results.json: `<metric>/<init>/<activation>`.
"""

import collections
import math

from keras_initstudy.report.explorer import choices
from keras_initstudy.report.explorer import figures
from keras_initstudy.report.explorer import measure

NAME = "sweep"
CLAIM = "sweep"
SELECTORS = ("sweep-init", "sweep-activation")
METRICS = (
    ("test_accuracy", "Test accuracy"),
    ("final_loss", "Final minibatch loss"),
    ("distinct_units", "Distinct hidden units after training"),
)
# What a model that always answers the uniform distribution scores.
LN10 = math.log(10.0)
# Beyond this the loss axis is clipped, so a diverging run does not flatten
# every other curve into the floor.
LOSS_CLIP = 3.0 * LN10
LAYER_COLORS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b")


def _groups(pairs):
    """`{(init, activation): [record, ...]}` in task order, and labels."""
    grouped = collections.defaultdict(list)
    labels = {}
    for task, record in pairs:
        key = (task.config.init, task.config.activation)
        grouped[key].append(record)
        labels[task.config.init] = choices.init_label(task.config)
    return dict(grouped), labels


def _other_inits(key, grouped, labels):
    """Grey mean loss curves of the other inits, and their finite values."""
    traces, values = [], []
    others = [k for k in grouped if k[1] == key[1] and k != key]
    for i, other in enumerate(others):
        summary = measure.curve_stats([r["train_loss"] for r in grouped[other]])
        values += measure.finite(summary["mean"])
        traces.append(
            {
                "type": "scatter",
                "x": list(range(1, len(summary["mean"]) + 1)),
                "y": summary["mean"],
                "mode": "lines",
                "line": {"color": figures.OTHER_COLOR, "width": 1},
                "name": "other inits (mean)",
                "legendgroup": "others",
                "showlegend": i == 0,
                "hovertemplate": f"{labels[other[0]]}: %{{y:.4g}}"
                "<extra></extra>",
            }
        )
    return traces, values


def _eval_markers(runs):
    """The eval-subset loss (mean over seeds), when the runs recorded it."""
    eval_x = runs[0].get("eval_iterations", [])
    if not eval_x:
        return []
    evals = measure.curve_stats([r.get("eval_loss", []) for r in runs])
    return [
        {
            "type": "scatter",
            "x": eval_x,
            "y": evals["mean"][: len(eval_x)],
            "mode": "markers",
            "marker": {"color": "#d62728", "size": 7, "symbol": "diamond"},
            "name": "eval loss, mean",
            "hovertemplate": "eval at %{x}: %{y:.4g}<extra></extra>",
        }
    ]


def _loss_figure(key, grouped, labels):
    init, activation = key
    traces, shown = _other_inits(key, grouped, labels)
    runs = grouped[key]
    summary = measure.curve_stats([r["train_loss"] for r in runs])
    x = list(range(1, len(summary["mean"]) + 1))
    shown += measure.finite(summary["max"])
    traces += figures.band(x, summary, f"min\u2013max over {len(runs)} seeds")
    traces.append(
        {
            "type": "scatter",
            "x": x,
            "y": summary["mean"],
            "mode": "lines",
            "line": {"color": figures.SELECTED_COLOR, "width": 2.5},
            "name": f"{labels[init]}: minibatch loss, mean",
            "hovertemplate": "iteration %{x}: %{y:.4g}<extra></extra>",
        }
    )
    traces += _eval_markers(runs)
    shape, note = figures.hline(LN10, "ln 10: a uniform guess over 10 classes")
    top = max([LN10, *shown])
    title = f"Training loss, {labels[init]} \u00d7 {activation}"
    if top > LOSS_CLIP:
        title += f" (axis clipped at {LOSS_CLIP:.3g})"
    return figures.figure(
        traces,
        title,
        shapes=[shape],
        annotations=[note],
        xaxis={"title": {"text": "iteration (one minibatch each)"}},
        yaxis={
            "title": {"text": "cross-entropy loss"},
            # From 0, so a flat line looks flat (no zoom onto noise).
            "range": [0.0, 1.08 * min(top, LOSS_CLIP)],
        },
    )


def _accuracy_figure(key, grouped, labels, index):
    init, activation = key
    inits = [k[0] for k in grouped if k[1] == activation]
    bars = []
    for name in inits:
        m = index.get((CLAIM, f"test_accuracy/{name}/{activation}"))
        if m is not None:
            bars.append((name, m))
    trace = {
        "type": "bar",
        "x": [labels[name] for name, _ in bars],
        "y": [m["mean"] for _, m in bars],
        "error_y": {"type": "data", "array": [m["sd"] for _, m in bars]},
        "customdata": [m["n"] for _, m in bars],
        "marker": {
            "color": [
                figures.SELECTED_COLOR if name == init else figures.OTHER_COLOR
                for name, _ in bars
            ]
        },
        "text": [measure.fmt(m["mean"]) for _, m in bars],
        # Inside at the base: above the bar the error bar would cover the
        # label.
        "textposition": "inside",
        "insidetextanchor": "start",
        "hovertemplate": "%{x}: %{y:.4f} (n = %{customdata})<extra></extra>",
    }
    return figures.figure(
        [trace],
        f"Test accuracy by init, {activation} (mean \u00b1 sd over seeds)",
        xaxis={"title": {"text": "initializer"}},
        yaxis={"title": {"text": "test accuracy"}, "range": [0.0, 1.08]},
        showlegend=False,
    )


def _layer_traces(name, x, summary, runs, color):
    """One layer's distinct-unit count: min-max band and mean steps."""
    return [
        *figures.band(
            x,
            summary,
            f"{name}: min\u2013max over {len(runs)} seeds",
            color=figures.transparent(color),
        ),
        {
            "type": "scatter",
            "x": x,
            "y": summary["mean"],
            "mode": "lines+markers",
            "line": {"shape": "hv", "width": 2.5, "color": color},
            "name": f"{name}: distinct units, mean",
            "hovertemplate": "iteration %{x}: %{y:.3g} units<extra></extra>",
        },
    ]


def _symmetry_figure(key, grouped, labels):
    init, activation = key
    runs = grouped[key]
    config = runs[0]["config"]
    traces, shapes, notes = [], [], []
    widths = list(config.get("hidden_units", []))
    for i, layer in enumerate(runs[0].get("symmetry", {})):
        summary = measure.curve_stats(
            [r["symmetry"][layer]["distinct_units"] for r in runs]
        )
        # The config in the name: two choices can have the same counts.
        traces += _layer_traces(
            f"{labels[init]} \u00d7 {activation}, {layer}",
            runs[0]["symmetry"][layer]["iteration"],
            summary,
            runs,
            LAYER_COLORS[i % len(LAYER_COLORS)],
        )
        if i < len(widths):
            shape, note = figures.hline(
                widths[i], f"{layer}: all {widths[i]} units distinct", False
            )
            shapes.append(shape)
            notes.append(note)
    every = config.get("symmetry_every", 1)
    return figures.figure(
        traces,
        f"Distinct hidden units, {labels[init]} \u00d7 {activation} "
        f"(recorded every {every} iterations)",
        shapes=shapes,
        annotations=notes,
        xaxis={"title": {"text": "iteration (0 = at initialization)"}},
        yaxis={
            "title": {"text": "distinct units"},
            "range": [0.0, max(widths or [1]) * 1.12],
        },
    )


def _numbers(key, runs, index):
    init, activation = key
    numbers = {}
    for metric, _ in METRICS:
        name = f"{metric}/{init}/{activation}"
        numbers.update(
            measure.stat_numbers(f"sweep-{metric}", index.get((CLAIM, name)))
        )
    numbers["sweep-curve-n"] = measure.shown(len(runs))
    numbers["sweep-source"] = measure.shown(
        None, f'claim "{CLAIM}", <metric>/{init}/{activation}'
    )
    return numbers


def panel(pairs, index):
    """The sweep panel's options and choices.

    Args:
        pairs: `[(task, record), ...]` of classifier runs.
        index: `measure.measurement_index` of results.json.

    Returns:
        `{"options": {selector: [(value, label), ...]}, "choices": {key:
        {"figures": {div id: figure}, "numbers": {element id: shown}}}}`.
    """
    grouped, labels = _groups(pairs)
    built = {}
    for key, runs in grouped.items():
        built[choices.key(key)] = {
            "figures": {
                "sweep-loss": _loss_figure(key, grouped, labels),
                "sweep-accuracy": _accuracy_figure(key, grouped, labels, index),
                "sweep-symmetry": _symmetry_figure(key, grouped, labels),
            },
            "numbers": _numbers(key, runs, index),
        }
    inits = choices.unique(k[0] for k in grouped)
    activations = choices.unique(k[1] for k in grouped)
    return {
        "options": {
            "sweep-init": [(i, labels[i]) for i in inits],
            "sweep-activation": [(a, a) for a in activations],
        },
        "choices": built,
    }
