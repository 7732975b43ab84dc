"""The depth panel: signals through a deep MLP at initialization.

Per choice of init, activation and network: per-layer activation
histograms and the std of activations and of their gradients by layer,
both over seeds. The stat boxes read claim "C4" of results.json:
`forward_ratio/...`, `backward_ratio/...`, `saturated_share/...`.
"""

import collections
import math

import numpy as np

from keras_initstudy.diagnostics import signals
from keras_initstudy.report.explorer import choices
from keras_initstudy.report.explorer import figures
from keras_initstudy.report.explorer import measure
from keras_initstudy.study import plots

NAME = "depth"
CLAIM = "C4"
SELECTORS = ("depth-init", "depth-activation", "depth-network")
METRICS = (
    ("forward_ratio", "Forward ratio (std last / first layer)"),
    ("backward_ratio", "Backward ratio (gradient std first / last)"),
    (
        "saturated_share",
        "Saturated share, last layer (tanh, sigmoid only)",
    ),
)
HISTOGRAM_COLUMNS = 5


def _network_label(config):
    label = f"{config['depth']} layers \u00d7 {config['width']}"
    if config.get("inputs", "mnist") != "mnist":
        label += f", {config['inputs']} inputs"
    return label


def _groups(pairs):
    """`{(init, activation, network label): [run, ...]}` in task order."""
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


def _histogram_limits(activation, runs):
    """The x range every layer's histogram shares."""
    limits = plots.ACTIVATION_RANGES.get(activation)
    if limits is None:
        edges = [
            e for run in runs for h in run["histogram"] for e in h["edges"]
        ]
        limits = (min(edges), max(edges)) if edges else (-1.0, 1.0)
    if limits[0] == limits[1]:
        limits = (limits[0] - 0.5, limits[1] + 0.5)
    return limits


def _histogram_bars(runs, edges, cells):
    """Per layer, the share of values per bin, mean over seeds."""
    centers = ((edges[:-1] + edges[1:]) / 2).tolist()
    traces = []
    for layer, cell in enumerate(cells):
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
                "marker": {
                    "color": figures.SELECTED_COLOR,
                    "line": {"width": 0},
                },
                "showlegend": False,
                "hovertemplate": "%{x:.3g}: %{y:.1%} of values<extra></extra>",
                **cell,
            }
        )
    return traces


def _histogram_figure(key, runs):
    init, activation, network = key
    depth = len(runs[0]["std"])
    limits = _histogram_limits(activation, runs)
    edges = np.linspace(*limits, signals.HISTOGRAM_BINS + 1)
    columns = min(depth, HISTOGRAM_COLUMNS)
    rows = math.ceil(depth / columns)
    std = measure.curve_stats([run["std"] for run in runs])["mean"]
    layout, cells = figures.grid(
        rows,
        columns,
        [f"layer {i + 1}: std {measure.fmt(std[i], 3)}" for i in range(depth)],
        hspace=0.03,
        vspace=0.18 if rows > 1 else 0.1,
    )
    traces = _histogram_bars(runs, edges, cells[:depth])
    for name, axis in layout.items():
        if name.startswith("xaxis"):
            axis.update(range=list(limits), nticks=4)
        elif name.startswith("yaxis"):
            axis.update(tickformat=".0%")
    return figures.figure(
        traces,
        f"Activations at initialization, {init} \u00d7 {activation}, "
        f"{network}: share of values per bin, mean over {len(runs)} seeds",
        height=230 * rows + 90,
        bargap=0.0,
        **layout,
    )


def _std_trace(x, summary, name, dash):
    """A mean std curve with min-max error bars."""
    low = [
        None if m is None or lo is None else m - lo
        for m, lo in zip(summary["mean"], summary["min"], strict=True)
    ]
    high = [
        None if m is None or hi is None else hi - m
        for m, hi in zip(summary["mean"], summary["max"], strict=True)
    ]
    return {
        "type": "scatter",
        "x": x,
        "y": summary["mean"],
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
        summary = measure.curve_stats([run[field] for run in runs])
        every += [*summary["min"], *summary["max"], *summary["mean"]]
        traces.append(_std_trace(x, summary, name, dash))
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
    return figures.figure(
        traces,
        f"Std by layer at initialization, {init} \u00d7 {activation}, "
        f"{network} ({len(runs)} seeds)",
        xaxis={"title": {"text": "hidden layer"}, "dtick": 1},
        yaxis=yaxis,
    )


def _numbers(key, runs, index):
    init, activation, _ = key
    numbers = {}
    for metric, _ in METRICS:
        name = f"{metric}/{init}/{activation}"
        numbers.update(
            measure.stat_numbers(f"depth-{metric}", index.get((CLAIM, name)))
        )
    verdicts = collections.Counter(run["verdict"] for run in runs)
    verdict, count = verdicts.most_common(1)[0]
    numbers["depth-verdict"] = measure.shown(
        verdict, f"{verdict} ({count} of {len(runs)} seeds)"
    )
    numbers["depth-curve-n"] = measure.shown(len(runs))
    numbers["depth-source"] = measure.shown(
        None, f'claim "{CLAIM}", <metric>/{init}/{activation}'
    )
    return numbers


def panel(pairs, index):
    """The depth panel's options and choices.

    Args:
        pairs: `[(task, record), ...]` of depth runs.
        index: `measure.measurement_index` of results.json.

    Returns:
        `{"options": ..., "choices": ...}`, as `sweep.panel` describes.
    """
    grouped = _groups(pairs)
    built = {}
    for key, runs in grouped.items():
        built[choices.key(key)] = {
            "figures": {
                "depth-histograms": _histogram_figure(key, runs),
                "depth-std": _std_figure(key, runs),
            },
            "numbers": _numbers(key, runs, index),
        }
    return {
        "options": {
            selector: [(v, v) for v in choices.unique(k[i] for k in grouped)]
            for i, selector in enumerate(SELECTORS)
        },
        "choices": built,
    }
