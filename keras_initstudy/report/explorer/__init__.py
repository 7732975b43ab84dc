"""The explorer page: the study's records as one self-contained HTML file.

`write_explorer(path, results, groups)` writes `explorer.html`, a static
page that opens from disk with no server and no network: plotly.js is
inlined, and every chart is a Plotly figure built here from the records and
embedded as JSON, one per choice of the page's selectors. Figures are
written as plain Plotly JSON (dicts) rather than `plotly.graph_objects`:
validating hundreds of figure objects would dominate the page's build
time, so the tests validate one figure of each kind instead. A few lines of
page script swap the pre-built figures and numbers in when a selector
changes (`Plotly.react`); nothing is trained or recomputed in the browser.

Three panels:

- the sweep (init x activation on MNIST): minibatch loss per iteration
  (mean over seeds with a min-max band), test accuracy of every init, and
  distinct hidden units per recorded iteration;
- depth signals at initialization (init x activation x network): per-layer
  activation histograms and the std of activations and of their gradients
  by layer, both over seeds;
- the article's toy net: both hidden units' weights and gradients, step by
  step, per init (and seed).

Headline numbers (mean, sd, n, min, max) are read from `results`, the
report's results.json (claim "sweep": `<metric>/<init>/<activation>`; claim
"C4": `forward_ratio/...`, `backward_ratio/...`, `saturated_share/...`),
never recomputed; a number missing there shows as a dash. Each shown number
is an element with a stable id whose `data-value` holds the exact value, so
a test can compare the page with results.json.
"""

import collections
import html
import json
import math

import numpy as np
import plotly.graph_objects as go
import plotly.offline

from keras_initstudy.study import plots
from keras_initstudy.study import records
from keras_initstudy.diagnostics import signals

SWEEP = "sweep"
DEPTH = "depth"
TOY = "toy"
DEPTH_CLAIM = "C4"
SWEEP_METRICS = (
    ("test_accuracy", "Test accuracy"),
    ("final_loss", "Final minibatch loss"),
    ("distinct_units", "Distinct hidden units after training"),
)
DEPTH_METRICS = (
    ("forward_ratio", "Forward ratio (std last / first layer)"),
    ("backward_ratio", "Backward ratio (gradient std first / last)"),
    (
        "saturated_share",
        "Saturated share, last layer (tanh, sigmoid only)",
    ),
)
STAT_PARTS = ("mean", "sd", "n", "min", "max")
# What a model that always answers the uniform distribution scores.
LN10 = math.log(10.0)
# Beyond this the loss axis is clipped, so a diverging run does not flatten
# every other curve into the floor.
LOSS_CLIP = 3.0 * LN10
HISTOGRAM_COLUMNS = 5
TEMPLATE = "plotly_white"
DASH = "\u2014"
SELECTED_COLOR = "#1f77b4"
OTHER_COLOR = "#b8b8b8"
LAYER_COLORS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b")
UNIT_COLORS = ("#1f77b4", "#ff7f0e")
TOY_WEIGHT_LABELS = ("w\u2080 (bias)", "w\u2081", "w\u2082", "w\u2083")
TOY_FORWARD = ("z1", "z2", "a1", "a2", "y", "loss")
CONFIG_KEY_SEPARATOR = "|"


def _fmt(value, digits=4):
    """How a number is shown (rounding happens only here)."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"  # Also -0.0, which reads as a different number.
    return f"{value:.{digits}g}"


def _shown(value, text=None):
    return {"value": value, "text": _fmt(value) if text is None else text}


def measurement_index(results):
    """`{(claim id, measurement name): measurement}` of a results dict."""
    return {
        (claim["id"], m["name"]): m
        for claim in results.get("claims", [])
        for m in claim.get("measurements", [])
    }


def stat_numbers(prefix, measurement):
    """The shown parts of one measurement, keyed by element id.

    Args:
        prefix: the element id prefix, e.g. "sweep-test_accuracy".
        measurement: a results.json measurement, or None when absent.

    Returns:
        `{f"{prefix}-{part}": {"value", "text"}}` for `STAT_PARTS`; values
        are None (shown as a dash) when the measurement is absent.
    """
    measurement = measurement or {}
    return {
        f"{prefix}-{part}": _shown(measurement.get(part)) for part in STAT_PARTS
    }


def _curve_stats(curves):
    """Mean, min and max per index of ragged curves (None: no value)."""
    length = max((len(c) for c in curves), default=0)
    table = np.full((len(curves), length), np.nan)
    for i, curve in enumerate(curves):
        table[i, : len(curve)] = [np.nan if v is None else v for v in curve]
    table[~np.isfinite(table)] = np.nan
    has_value = np.any(~np.isnan(table), axis=0)

    def column(fn):
        values = np.full(length, np.nan)
        values[has_value] = fn(table[:, has_value], axis=0)
        return [
            float(v) if ok else None
            for v, ok in zip(values, has_value, strict=True)
        ]

    return {
        "mean": column(np.nanmean),
        "min": column(np.nanmin),
        "max": column(np.nanmax),
    }


def _finite(values):
    return [v for v in values if v is not None and math.isfinite(v)]


def _transparent(color, alpha=0.2):
    """A "#rrggbb" color as rgba with `alpha`."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def _band(x, stats, name, color=None, axes=None):
    """A min-max band under a curve: two traces, the upper one filled."""
    common = {
        "type": "scatter",
        "x": x,
        "mode": "lines",
        "line": {"width": 0},
        "hoverinfo": "skip",
        "legendgroup": name,
        **(axes or {}),
    }
    return [
        {**common, "y": stats["min"], "showlegend": False},
        {
            **common,
            "y": stats["max"],
            "fill": "tonexty",
            "fillcolor": color or _transparent(SELECTED_COLOR),
            "name": name,
        },
    ]


def _hline(y, text, top=True):
    """A dotted full-width line at `y` with a label: (shape, annotation)."""
    shape = {
        "type": "line",
        "xref": "paper",
        "x0": 0.0,
        "x1": 1.0,
        "yref": "y",
        "y0": y,
        "y1": y,
        "line": {"dash": "dot", "color": "#555", "width": 1.5},
    }
    annotation = {
        "text": text,
        "xref": "paper",
        "x": 1.0 if top else 0.0,
        "xanchor": "right" if top else "left",
        "yref": "y",
        "y": y,
        "yanchor": "bottom" if top else "top",
        "showarrow": False,
        "font": {"size": 11, "color": "#444"},
    }
    return shape, annotation


def _grid(rows, cols, titles, hspace, vspace):
    """Subplot axes for a rows x cols grid with titles above each cell.

    Returns:
        `(layout, cells)`: layout entries (`xaxis`, `yaxis2`, ...,
        `annotations` with the titles) and, per cell in row-major order,
        the trace keys `{"xaxis": "x2", "yaxis": "y2"}`.
    """
    width = (1.0 - hspace * (cols - 1)) / cols
    height = (1.0 - vspace * (rows - 1)) / rows
    layout = {"annotations": []}
    cells = []
    for n in range(rows * cols):
        row, col = divmod(n, cols)
        x0 = col * (width + hspace)
        y1 = 1.0 - row * (height + vspace)
        suffix = "" if n == 0 else str(n + 1)
        layout[f"xaxis{suffix}"] = {
            "domain": [x0, x0 + width],
            "anchor": f"y{suffix}",
            **({"matches": "x"} if n else {}),
        }
        layout[f"yaxis{suffix}"] = {
            "domain": [y1 - height, y1],
            "anchor": f"x{suffix}",
        }
        cells.append({"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})
        if n < len(titles):
            layout["annotations"].append(
                {
                    "text": titles[n],
                    "xref": "paper",
                    "yref": "paper",
                    "x": x0 + width / 2,
                    "y": y1,
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 11},
                }
            )
    return layout, cells


def _figure(traces, title, height=380, **layout):
    """A Plotly figure (JSON data) with the page's common layout."""
    return {
        "data": traces,
        "layout": {
            "title": {"text": title, "x": 0.01, "xanchor": "left"},
            "height": height,
            "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
            "legend": {"orientation": "h", "y": -0.2, "x": 0.0},
            "font": {"size": 12},
            **layout,
        },
    }


def _init_label(config):
    """An init name as a reader sees it (constant shows its value)."""
    init = config["init"] if isinstance(config, dict) else config.init
    value = (
        config.get("init_value")
        if isinstance(config, dict)
        else getattr(config, "init_value", None)
    )
    if init == "constant" and value is not None:
        return f"constant ({value:g})"
    return init


# The sweep panel.


def _sweep_groups(pairs):
    """`{(init, activation): [record, ...]}` in task order, and labels."""
    grouped = collections.defaultdict(list)
    labels = {}
    for task, record in pairs:
        key = (task.config.init, task.config.activation)
        grouped[key].append(record)
        labels[task.config.init] = _init_label(task.config)
    return dict(grouped), labels


def _loss_figure(key, grouped, labels):
    init, activation = key
    traces = []
    shown = []
    others = [k for k in grouped if k[1] == activation and k != key]
    for i, other in enumerate(others):
        stats = _curve_stats([r["train_loss"] for r in grouped[other]])
        shown += _finite(stats["mean"])
        traces.append(
            {
                "type": "scatter",
                "x": list(range(1, len(stats["mean"]) + 1)),
                "y": stats["mean"],
                "mode": "lines",
                "line": {"color": OTHER_COLOR, "width": 1},
                "name": "other inits (mean)",
                "legendgroup": "others",
                "showlegend": i == 0,
                "hovertemplate": f"{labels[other[0]]}: %{{y:.4g}}"
                "<extra></extra>",
            }
        )
    runs = grouped[key]
    stats = _curve_stats([r["train_loss"] for r in runs])
    x = list(range(1, len(stats["mean"]) + 1))
    shown += _finite(stats["max"])
    traces += _band(x, stats, f"min\u2013max over {len(runs)} seeds")
    traces.append(
        {
            "type": "scatter",
            "x": x,
            "y": stats["mean"],
            "mode": "lines",
            "line": {"color": SELECTED_COLOR, "width": 2.5},
            "name": f"{labels[init]}: minibatch loss, mean",
            "hovertemplate": "iteration %{x}: %{y:.4g}<extra></extra>",
        }
    )
    eval_x = runs[0].get("eval_iterations", [])
    if eval_x:
        evals = _curve_stats([r.get("eval_loss", []) for r in runs])
        traces.append(
            {
                "type": "scatter",
                "x": eval_x,
                "y": evals["mean"][: len(eval_x)],
                "mode": "markers",
                "marker": {"color": "#d62728", "size": 7, "symbol": "diamond"},
                "name": "eval loss, mean",
                "hovertemplate": "eval at %{x}: %{y:.4g}<extra></extra>",
            }
        )
    shape, note = _hline(LN10, "ln 10: a uniform guess over 10 classes")
    top = max([LN10, *shown])
    title = f"Training loss, {labels[init]} \u00d7 {activation}"
    if top > LOSS_CLIP:
        title += f" (axis clipped at {LOSS_CLIP:.3g})"
    return _figure(
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
        m = index.get((SWEEP, f"test_accuracy/{name}/{activation}"))
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
                SELECTED_COLOR if name == init else OTHER_COLOR
                for name, _ in bars
            ]
        },
        "text": [_fmt(m["mean"]) for _, m in bars],
        # Inside at the base: above the bar the error bar would cover the
        # label.
        "textposition": "inside",
        "insidetextanchor": "start",
        "hovertemplate": "%{x}: %{y:.4f} (n = %{customdata})<extra></extra>",
    }
    return _figure(
        [trace],
        f"Test accuracy by init, {activation} (mean \u00b1 sd over seeds)",
        xaxis={"title": {"text": "initializer"}},
        yaxis={"title": {"text": "test accuracy"}, "range": [0.0, 1.08]},
        showlegend=False,
    )


def _symmetry_figure(key, grouped, labels):
    init, activation = key
    runs = grouped[key]
    config = runs[0]["config"]
    traces, shapes, notes = [], [], []
    widths = list(config.get("hidden_units", []))
    for i, layer in enumerate(runs[0].get("symmetry", {})):
        x = runs[0]["symmetry"][layer]["iteration"]
        stats = _curve_stats(
            [r["symmetry"][layer]["distinct_units"] for r in runs]
        )
        color = LAYER_COLORS[i % len(LAYER_COLORS)]
        # The config in the name: two choices can have the same counts.
        name = f"{labels[init]} \u00d7 {activation}, {layer}"
        traces += _band(
            x,
            stats,
            f"{name}: min\u2013max over {len(runs)} seeds",
            color=_transparent(color),
        )
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": stats["mean"],
                "mode": "lines+markers",
                "line": {"shape": "hv", "width": 2.5, "color": color},
                "name": f"{name}: distinct units, mean",
                "hovertemplate": "iteration %{x}: %{y:.3g} units"
                "<extra></extra>",
            }
        )
        if i < len(widths):
            shape, note = _hline(
                widths[i], f"{layer}: all {widths[i]} units distinct", False
            )
            shapes.append(shape)
            notes.append(note)
    every = config.get("symmetry_every", 1)
    return _figure(
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


def _sweep_panel(pairs, index):
    grouped, labels = _sweep_groups(pairs)
    choices = {}
    for key, runs in grouped.items():
        init, activation = key
        numbers = {}
        for metric, _ in SWEEP_METRICS:
            name = f"{metric}/{init}/{activation}"
            numbers.update(
                stat_numbers(f"sweep-{metric}", index.get((SWEEP, name)))
            )
        numbers["sweep-curve-n"] = _shown(len(runs))
        numbers["sweep-source"] = _shown(
            None, f'claim "{SWEEP}", <metric>/{init}/{activation}'
        )
        choices[CONFIG_KEY_SEPARATOR.join(key)] = {
            "figures": {
                "sweep-loss": _loss_figure(key, grouped, labels),
                "sweep-accuracy": _accuracy_figure(key, grouped, labels, index),
                "sweep-symmetry": _symmetry_figure(key, grouped, labels),
            },
            "numbers": numbers,
        }
    options = {
        "sweep-init": [(i, labels[i]) for i in _unique(k[0] for k in grouped)],
        "sweep-activation": [(a, a) for a in _unique(k[1] for k in grouped)],
    }
    return choices, options


def _unique(values):
    return list(dict.fromkeys(values))


# The depth panel.


def _network_label(config):
    label = f"{config['depth']} layers \u00d7 {config['width']}"
    if config.get("inputs", "mnist") != "mnist":
        label += f", {config['inputs']} inputs"
    return label


def _depth_groups(pairs):
    grouped = collections.defaultdict(list)
    for _, record in pairs:
        network = _network_label(record["config"])
        for run in record["runs"]:
            grouped[(run["init"], run["activation"], network)].append(run)
    return dict(grouped)


def _rebinned_shares(histogram, edges):
    """A histogram's share of values per bin of `edges`.

    Values are taken as spread evenly within each original bin, so the
    counts move to the new bins in proportion to the overlap: the
    cumulative count is piecewise linear between the original edges.
    """
    counts = np.asarray(histogram["counts"], dtype=np.float64)
    if counts.size == 0 or counts.sum() == 0:
        return None
    cumulative = np.concatenate([[0.0], np.cumsum(counts)])
    moved = np.diff(np.interp(edges, histogram["edges"], cumulative))
    return moved / counts.sum()


def _histogram_figure(key, runs):
    init, activation, network = key
    depth = len(runs[0]["std"])
    limits = plots.ACTIVATION_RANGES.get(activation)
    if limits is None:
        edges = [
            e for run in runs for h in run["histogram"] for e in h["edges"]
        ]
        limits = (min(edges), max(edges)) if edges else (-1.0, 1.0)
    if limits[0] == limits[1]:
        limits = (limits[0] - 0.5, limits[1] + 0.5)
    edges = np.linspace(*limits, signals.HISTOGRAM_BINS + 1)
    centers = ((edges[:-1] + edges[1:]) / 2).tolist()
    columns = min(depth, HISTOGRAM_COLUMNS)
    rows = math.ceil(depth / columns)
    std = _curve_stats([run["std"] for run in runs])["mean"]
    layout, cells = _grid(
        rows,
        columns,
        [f"layer {i + 1}: std {_fmt(std[i], 3)}" for i in range(depth)],
        hspace=0.03,
        vspace=0.18 if rows > 1 else 0.1,
    )
    traces = []
    for layer, cell in enumerate(cells[:depth]):
        shares = [
            s
            for s in (
                _rebinned_shares(run["histogram"][layer], edges) for run in runs
            )
            if s is not None
        ]
        mean = np.mean(shares, axis=0).tolist() if shares else []
        traces.append(
            {
                "type": "bar",
                "x": centers[: len(mean)],
                "y": mean,
                "width": float(edges[1] - edges[0]),
                "marker": {"color": SELECTED_COLOR, "line": {"width": 0}},
                "showlegend": False,
                "hovertemplate": "%{x:.3g}: %{y:.1%} of values<extra></extra>",
                **cell,
            }
        )
    for name, axis in layout.items():
        if name.startswith("xaxis"):
            axis.update(range=list(limits), nticks=4)
        elif name.startswith("yaxis"):
            axis.update(tickformat=".0%")
    return _figure(
        traces,
        f"Activations at initialization, {init} \u00d7 {activation}, "
        f"{network}: share of values per bin, mean over {len(runs)} seeds",
        height=230 * rows + 90,
        bargap=0.0,
        **layout,
    )


def _std_figure(key, runs):
    init, activation, network = key
    depth = len(runs[0]["std"])
    x = list(range(1, depth + 1))
    traces = []
    every = []
    for field, name, dash in (
        ("std", "activation std", "solid"),
        ("grad_activation_std", "gradient std (\u2202loss/\u2202a)", "dash"),
    ):
        stats = _curve_stats([run[field] for run in runs])
        every += [*stats["min"], *stats["max"], *stats["mean"]]
        low = [
            None if m is None or lo is None else m - lo
            for m, lo in zip(stats["mean"], stats["min"], strict=True)
        ]
        high = [
            None if m is None or hi is None else hi - m
            for m, hi in zip(stats["mean"], stats["max"], strict=True)
        ]
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": stats["mean"],
                "mode": "lines+markers",
                "line": {"dash": dash, "width": 2.5},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": high,
                    "arrayminus": low,
                },
                "name": f"{name}, mean (bars: min\u2013max)",
                "hovertemplate": "layer %{x}: %{y:.3g}<extra></extra>",
            }
        )
    values = [v for v in every if v is not None]
    # A log axis shows vanishing and exploding signals as straight lines;
    # it cannot show zeros, so a run with one keeps a linear axis.
    log = bool(values) and all(v > 0 and math.isfinite(v) for v in values)
    yaxis = {
        "title": {"text": "standard deviation" + (" (log)" * log)},
        "type": "log" if log else "linear",
        "exponentformat": "power",
    }
    if log and max(values) / min(values) >= 100:
        yaxis["dtick"] = 1  # One label per decade, not the 2s and 5s.
    return _figure(
        traces,
        f"Std by layer at initialization, {init} \u00d7 {activation}, "
        f"{network} ({len(runs)} seeds)",
        xaxis={"title": {"text": "hidden layer"}, "dtick": 1},
        yaxis=yaxis,
    )


def _depth_panel(pairs, index):
    grouped = _depth_groups(pairs)
    choices = {}
    for key, runs in grouped.items():
        init, activation, _ = key
        numbers = {}
        for metric, _ in DEPTH_METRICS:
            name = f"{metric}/{init}/{activation}"
            numbers.update(
                stat_numbers(f"depth-{metric}", index.get((DEPTH_CLAIM, name)))
            )
        verdicts = collections.Counter(run["verdict"] for run in runs)
        verdict, count = verdicts.most_common(1)[0]
        numbers["depth-verdict"] = _shown(
            verdict, f"{verdict} ({count} of {len(runs)} seeds)"
        )
        numbers["depth-curve-n"] = _shown(len(runs))
        numbers["depth-source"] = _shown(
            None, f'claim "{DEPTH_CLAIM}", <metric>/{init}/{activation}'
        )
        choices[CONFIG_KEY_SEPARATOR.join(key)] = {
            "figures": {
                "depth-histograms": _histogram_figure(key, runs),
                "depth-std": _std_figure(key, runs),
            },
            "numbers": numbers,
        }
    options = {
        "depth-init": [(i, i) for i in _unique(k[0] for k in grouped)],
        "depth-activation": [(a, a) for a in _unique(k[1] for k in grouped)],
        "depth-network": [(n, n) for n in _unique(k[2] for k in grouped)],
    }
    return choices, options


# The toy panel.


def _toy_groups(pairs):
    grouped = {}
    labels = {}
    for task, record in pairs:
        for init, case in record["runs"].items():
            grouped[(init, str(task.config.seed))] = case
            labels[init] = _init_label(
                {"init": init, "init_value": task.config.init_value}
            )
    return grouped, labels


def _weights_before(case, step):
    """Hidden rows before gradient step `step` (1-based)."""
    if step == 1:
        return case["weights_init"]["hidden"]
    return case["steps"][step - 2]["weights_after"]["hidden"]


def _toy_figure(label, step, before, gradient):
    layout, cells = _grid(
        1,
        2,
        (
            f"hidden weights w(1) before step {step}",
            f"gradient \u0394w(1) = \u2202L/\u2202w(1) at step {step}",
        ),
        hspace=0.12,
        vspace=0.0,
    )
    traces = []
    for cell, rows in zip(cells, (before, gradient), strict=True):
        for unit, (row, color) in enumerate(
            zip(rows, UNIT_COLORS, strict=True), 1
        ):
            traces.append(
                {
                    "type": "bar",
                    "x": list(TOY_WEIGHT_LABELS),
                    "y": row,
                    "name": f"hidden unit {unit}",
                    "legendgroup": f"unit{unit}",
                    "showlegend": rows is before,
                    "marker": {"color": color},
                    "text": [_fmt(v, 3) for v in row],
                    "textposition": "outside",
                    "cliponaxis": False,
                    "hovertemplate": f"unit {unit}, %{{x}}: %{{y:.6g}}"
                    "<extra></extra>",
                    **cell,
                }
            )
    layout["xaxis2"].pop("matches")
    return _figure(
        traces,
        f"Toy net, {label}: the two hidden units side by side",
        height=400,
        barmode="group",
        margin={"l": 60, "r": 20, "t": 90, "b": 50},
        **layout,
    )


def _toy_panel(pairs, index):
    del index
    grouped, labels = _toy_groups(pairs)
    choices = {}
    max_steps = max((len(c["steps"]) for c in grouped.values()), default=1)
    for (init, seed), case in grouped.items():
        steps = len(case["steps"])
        for step in range(1, steps + 1):
            entry = case["steps"][step - 1]
            before = _weights_before(case, step)
            gradient = entry["gradients"]["hidden"]
            numbers = {}
            for unit in (0, 1):
                for k in range(4):
                    suffix = f"u{unit + 1}-{k}"
                    numbers[f"toy-w-{suffix}"] = _shown(before[unit][k])
                    numbers[f"toy-dw-{suffix}"] = _shown(gradient[unit][k])
            for name in TOY_FORWARD:
                numbers[f"toy-forward-{name}"] = _shown(entry["forward"][name])
            same = before[0] == before[1] and gradient[0] == gradient[1]
            numbers["toy-identical"] = _shown(
                same,
                "identical: both units hold the same weights and get the "
                "same gradient"
                if same
                else "different: the units already differ",
            )
            numbers["toy-step-label"] = _shown(step, f"step {step} of {steps}")
            key = CONFIG_KEY_SEPARATOR.join((init, seed, str(step)))
            choices[key] = {
                "figures": {
                    "toy-units": _toy_figure(
                        labels[init], step, before, gradient
                    )
                },
                "numbers": numbers,
            }
    options = {
        "toy-init": [(i, labels[i]) for i in _unique(k[0] for k in grouped)],
        "toy-seed": [(s, f"seed {s}") for s in _unique(k[1] for k in grouped)],
    }
    return choices, options, max_steps


# The page.

_PANELS = (
    (SWEEP, ("sweep-init", "sweep-activation")),
    (DEPTH, ("depth-init", "depth-activation", "depth-network")),
    (TOY, ("toy-init", "toy-seed", "toy-step")),
)
_SELECTOR_LABELS = {
    "sweep-init": "Initializer",
    "sweep-activation": "Activation",
    "depth-init": "Initializer",
    "depth-activation": "Activation",
    "depth-network": "Network",
    "toy-init": "Initializer",
    "toy-seed": "Seed",
}
_DEFAULTS = {"sweep-init": "zeros", "toy-init": "zeros"}


def _template():
    """The Plotly template every figure of the page is drawn with."""
    fig = go.Figure(layout={"template": TEMPLATE})
    return json.loads(fig.to_json())["layout"]["template"]


def page_data(results, groups):
    """Everything the page shows, as JSON-ready data.

    Args:
        results: the report's results dict (see the report's
            results.json): headline numbers are read from it.
        groups: `{section: [(task, record), ...]}`; the sections "sweep",
            "depth" and "toy" are drawn, a missing one is left out.

    Returns:
        A dict: `template` (the Plotly layout template every figure uses),
        `panels`, one per drawn section, each with `name`, `selectors`
        (element ids, in key order), `options` (`{selector id: [(value,
        label), ...]}`), `steps` (toy only) and `choices`: `{key: {"figures":
        {div id: figure}, "numbers": {element id: {"value", "text"}}}}`,
        where the key joins the selectors' values with "|".
    """
    index = measurement_index(results)
    builders = {SWEEP: _sweep_panel, DEPTH: _depth_panel, TOY: _toy_panel}
    panels = []
    for name, selectors in _PANELS:
        pairs = groups.get(name) or []
        if not pairs:
            continue
        built = builders[name](pairs, index)
        choices, options = built[0], built[1]
        panel = {
            "name": name,
            "selectors": list(selectors),
            "options": options,
            "choices": choices,
        }
        if name == TOY:
            panel["steps"] = built[2]
        panels.append(panel)
    return records.jsonable({"template": _template(), "panels": panels})


_STYLE = """
:root { --ink: #1d2433; --muted: #5b6475; --line: #dde2ea; --accent: #1f77b4; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI",
  Roboto, sans-serif; color: var(--ink); background: #f4f6f9; }
header { background: #17233a; color: #fff; padding: 22px 32px 18px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; max-width: 980px; color: #d6def0; }
main { max-width: 1280px; margin: 0 auto; padding: 18px 24px 40px; }
section.panel { background: #fff; border: 1px solid var(--line);
  border-radius: 10px; padding: 18px 22px; margin: 0 0 22px; }
section.panel h2 { margin: 0 0 6px; font-size: 20px; }
p.explain { margin: 0 0 12px; color: var(--muted); max-width: 1050px; }
.controls { display: flex; flex-wrap: wrap; gap: 10px 22px;
  align-items: center; padding: 10px 12px; background: #f0f4fa;
  border-radius: 8px; margin-bottom: 12px; }
.controls label { font-weight: 600; font-size: 14px; }
.controls select, .controls input { margin-left: 6px; font-size: 14px; }
.controls select { padding: 3px 6px; }
.controls button { font-size: 14px; padding: 2px 10px; }
.stats { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 10px; }
.stat { border: 1px solid var(--line); border-radius: 8px;
  padding: 8px 12px; min-width: 220px; }
.stat-label { font-size: 13px; color: var(--muted); }
.stat-value { font-size: 20px; font-weight: 600; }
.stat-meta { font-size: 12px; color: var(--muted); }
.source { font-size: 12px; color: var(--muted); margin: 0 0 8px; }
.source code { background: #f0f4fa; padding: 1px 4px; border-radius: 4px; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; }
.grid .wide { grid-column: 1 / -1; }
.chart { min-height: 360px; }
.missing { color: #b00020; font-weight: 600; }
table.toy { border-collapse: collapse; font-size: 13px;
  font-variant-numeric: tabular-nums; margin: 6px 0 4px; }
table.toy th, table.toy td { border: 1px solid var(--line);
  padding: 3px 8px; text-align: right; }
table.toy th { background: #f0f4fa; }
.verdict { font-weight: 600; }
#toy-identical { font-weight: 600; }
#toy-identical[data-value="true"] { color: #b00020; }
#toy-identical[data-value="false"] { color: #1a7f37; }
@media (max-width: 1000px) { .grid { grid-template-columns: 1fr; } }
"""

_SCRIPT = """
(function () {
  "use strict";
  const DATA = JSON.parse(
    document.getElementById("explorer-data").textContent);
  const CONFIG = {displaylogo: false, responsive: true};
  function render(panel) {
    const key = panel.selectors
      .map((id) => document.getElementById(id).value).join("|");
    const choice = panel.choices[key];
    document.getElementById(panel.name + "-missing").hidden = !!choice;
    if (!choice) return;
    for (const [id, fig] of Object.entries(choice.figures)) {
      const layout = Object.assign({template: DATA.template}, fig.layout);
      Plotly.react(id, fig.data, layout, CONFIG);
    }
    for (const [id, shown] of Object.entries(choice.numbers)) {
      const el = document.getElementById(id);
      el.textContent = shown.text;
      el.dataset.value = shown.value === null ? "" : String(shown.value);
    }
  }
  for (const panel of DATA.panels) {
    for (const id of panel.selectors) {
      document.getElementById(id)
        .addEventListener("input", () => render(panel));
    }
    render(panel);
  }
  for (const button of document.querySelectorAll("button[data-step]")) {
    button.addEventListener("click", () => {
      const slider = document.getElementById(button.dataset.target);
      slider.value = Number(slider.value) + Number(button.dataset.step);
      slider.dispatchEvent(new Event("input"));
    });
  }
})();
"""

_INTRO = (
    "Why network weights must not start at zero, and what to start them "
    "at, drawn from the study's own records: real MNIST runs over several "
    "seeds and the article's 3-2-1 toy net. Every number in a box is read "
    "from results.json; every curve and histogram from the run records. "
    "Nothing is trained in this page."
)
_EXPLAIN = {
    SWEEP: (
        "Each initializer trains the same 784-hidden-10 MLP with the same "
        "minibatches. Zeros or a constant give every hidden unit the same "
        "weights and the same gradient, so the layer acts as a single "
        "unit: the loss stays near ln 10 and the distinct-unit count stays "
        "at 1. A random init starts with every unit distinct."
    ),
    DEPTH: (
        "One MNIST batch through a deep MLP before any training. Weights "
        "too small shrink the signal layer by layer (vanishing: the "
        "histograms collapse into a spike at 0); too large saturate tanh "
        "and sigmoid or blow ReLU signals up; Xavier (tanh, sigmoid) and "
        "He (ReLU) keep the std about constant. Histogram x-axes are "
        "shared across layers so a collapse stays visible."
    ),
    TOY: (
        "The article's net: 3 inputs, 2 hidden units, 1 output, squared "
        "error on one example, plain gradient steps. Under zeros or a "
        "constant both hidden units hold the same weights and get the same "
        "gradient, step after step (with zeros the first step moves only "
        "the output weights: the hidden gradient is scaled by them); under "
        "a random init they differ from the start."
    ),
}
_TITLES = {
    SWEEP: "1. Initializer \u00d7 activation on MNIST",
    DEPTH: "2. Signals through depth at initialization",
    TOY: "3. The toy net, step by step",
}


def _select(selector, options, default=None):
    values = [value for value, _ in options]
    chosen = default if default in values else values[0]
    items = "".join(
        f'<option value="{html.escape(value)}"'
        f"{' selected' if value == chosen else ''}>"
        f"{html.escape(label)}</option>"
        for value, label in options
    )
    return (
        f"<label>{_SELECTOR_LABELS[selector]}"
        f'<select id="{selector}">{items}</select></label>'
    )


def _stat_box(prefix, label):
    def part(name):
        return f'<span class="num" id="{prefix}-{name}"></span>'

    return (
        f'<div class="stat"><div class="stat-label">{html.escape(label)}'
        f'</div><div class="stat-value">{part("mean")} \u00b1 '
        f'{part("sd")}</div><div class="stat-meta">n = {part("n")} seeds'
        f" \u00b7 range {part('min')}\u2013{part('max')}</div></div>"
    )


def _controls(panel):
    items = [
        _select(s, panel["options"][s], _DEFAULTS.get(s))
        for s in panel["selectors"]
        if s in panel["options"]
    ]
    if panel["name"] == TOY:
        items.append(
            '<label>Step<input type="range" id="toy-step" min="1" '
            f'max="{panel["steps"]}" step="1" value="1"></label>'
            '<button type="button" data-target="toy-step" data-step="-1">'
            "\u2039 prev</button>"
            '<button type="button" data-target="toy-step" data-step="1">'
            "next \u203a</button>"
            '<span class="num" id="toy-step-label"></span>'
        )
    return f'<div class="controls">{"".join(items)}</div>'


def _sweep_body():
    boxes = "".join(
        _stat_box(f"sweep-{metric}", label) for metric, label in SWEEP_METRICS
    )
    return (
        f'<div class="stats">{boxes}</div>'
        '<p class="source">Numbers: results.json, <code class="num" '
        'id="sweep-source"></code>. Curves: mean over <span class="num" '
        'id="sweep-curve-n"></span> seed records.</p>'
        '<div class="grid">'
        '<div class="chart" id="sweep-loss"></div>'
        '<div class="chart" id="sweep-accuracy"></div>'
        '<div class="chart wide" id="sweep-symmetry"></div></div>'
    )


def _depth_body():
    boxes = "".join(
        _stat_box(f"depth-{metric}", label) for metric, label in DEPTH_METRICS
    )
    return (
        f'<div class="stats">{boxes}'
        '<div class="stat"><div class="stat-label">Verdict (records)</div>'
        '<div class="stat-value verdict num" id="depth-verdict"></div></div>'
        "</div>"
        '<p class="source">Numbers: results.json, <code class="num" '
        'id="depth-source"></code>. Histograms and std: mean over '
        '<span class="num" id="depth-curve-n"></span> seed records.</p>'
        '<div class="grid">'
        '<div class="chart wide" id="depth-histograms"></div>'
        '<div class="chart wide" id="depth-std"></div></div>'
    )


def _toy_body():
    def row(prefix, unit):
        cells = "".join(
            f'<td class="num" id="toy-{prefix}-u{unit}-{k}"></td>'
            for k in range(4)
        )
        return cells

    header = "".join(f"<th>{label}</th>" for label in TOY_WEIGHT_LABELS)
    body = "".join(
        f"<tr><th>unit {unit}</th>{row('w', unit)}{row('dw', unit)}</tr>"
        for unit in (1, 2)
    )
    forward = "".join(
        f'<th>{name}</th><td class="num" id="toy-forward-{name}"></td>'
        for name in TOY_FORWARD
    )
    return (
        '<p><span class="num" id="toy-identical"></span></p>'
        '<div class="chart" id="toy-units"></div>'
        '<table class="toy"><tr><th></th>'
        f'<th colspan="4">weights before the step</th>'
        f'<th colspan="4">gradient at the step</th></tr>'
        f"<tr><th></th>{header}{header}</tr>{body}</table>"
        f'<table class="toy"><tr><th colspan="12">forward pass at this step'
        f"</th></tr><tr>{forward}</tr></table>"
    )


_BODIES = {SWEEP: _sweep_body, DEPTH: _depth_body, TOY: _toy_body}


def render_html(data):
    """The page for `page_data(...)`'s output, plotly.js inlined."""
    sections = []
    for panel in data["panels"]:
        name = panel["name"]
        sections.append(
            f'<section class="panel" id="panel-{name}">'
            f"<h2>{_TITLES[name]}</h2>"
            f'<p class="explain">{html.escape(_EXPLAIN[name])}</p>'
            f"{_controls(panel)}"
            f'<p class="missing" id="{name}-missing" hidden>No record for '
            "this combination.</p>"
            f"{_BODIES[name]()}</section>"
        )
    # "</" inside a script element would end it early.
    payload = json.dumps(data, allow_nan=False, separators=(",", ":"))
    payload = payload.replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, '
        'initial-scale=1">'
        "<title>keras_initstudy explorer: initializing neural networks"
        f"</title><style>{_STYLE}</style>"
        f"<script>{plotly.offline.get_plotlyjs()}</script></head><body>"
        "<header><h1>Initializing neural networks: the explorer</h1>"
        f"<p>{html.escape(_INTRO)}</p></header>"
        f"<main>{''.join(sections)}</main>"
        '<script type="application/json" id="explorer-data">'
        f"{payload}</script><script>{_SCRIPT}</script></body></html>\n"
    )


def write_explorer(path, results, groups):
    """Writes the explorer page (one self-contained HTML file), atomically.

    Args:
        path: where explorer.html goes (its folder must exist).
        results: the report's results dict; the page's headline numbers.
        groups: `{section: [(task, record), ...]}`; see `page_data`.

    Returns:
        `path`.
    """
    return records.write_text_atomic(
        path, render_html(page_data(results, groups))
    )
