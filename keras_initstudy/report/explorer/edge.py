"""The edge-of-chaos panel: the trainability phase diagram against theory.

Per choice of activation and training budget: a heatmap of the training
accuracy over sigma_w2 x depth, mean over seeds at that budget (the
summary's `accuracy_by_budget`), under the theory's curves: xi_c, 6 xi_c,
the fitted k xi_c on each side of the critical line, and the critical line
itself. A cell's hover adds the accuracy's spread over seeds at that
budget, xi_c, depth / xi_c and the fitted rule's prediction beside what
training did; those two are defined at the final budget only.

The phase diagram is `edge_of_chaos.summaries`, the one the report's claim
and figure are drawn from. The stat boxes read claim "edge_of_chaos" of
results.json: `k_ordered/<activation>`, `k_chaotic/<activation>`,
`agreement/<activation>`.
"""

import collections
import math

from keras_initstudy.report.claims import edge_of_chaos
from keras_initstudy.report.explorer import choices
from keras_initstudy.report.explorer import figures
from keras_initstudy.report.explorer import measure
from keras_initstudy.study import plots
from keras_initstudy.study.kinds import phase_diagram

NAME = edge_of_chaos.ID
CLAIM = edge_of_chaos.ID
SELECTORS = (f"{NAME}-activation", f"{NAME}-budget")
METRICS = (
    ("k_ordered", "k, ordered side (trains iff depth \u2264 k \u03be)"),
    ("k_chaotic", "k, chaotic side (trains iff depth \u2264 k \u03be)"),
    ("agreement", "Agreement: share of cells the fitted rule gets right"),
)
# The depth scale's name: ReLU has no chaotic phase, so its scale is the
# signal's growth or decay, 1 / |ln chi1| (see `phase_diagram`).
XI_NAMES = {"relu": "\u03be = 1/|ln \u03c7\u2081|"}
XI_NAME = "\u03be<sub>c</sub>"
# What "trains" means, for the panel's text.
TRAINS_MARGIN = phase_diagram.TRAINS_MARGIN
THEORY_COLOR = "#ffffff"
CRITICAL_COLOR = "#d62728"
LEGEND_COLOR = "#4a5568"


def _xi_name(activation, short=False):
    """The depth scale's name on the page; `short` inside a formula."""
    if activation in XI_NAMES:
        return "\u03be" if short else XI_NAMES[activation]
    return XI_NAME


def _records_by_cell(pairs):
    """`{(activation, sigma_w2, depth): [record, ...]}`, one per seed."""
    grouped = collections.defaultdict(list)
    for task, record in pairs:
        config = task.config
        grouped[(config.activation, config.sigma_w2, config.depth)].append(
            record
        )
    return dict(grouped)


def _spread(records, budgets, step):
    """The training accuracy over seeds at budget `step` of `budgets`.

    Read as the summary's mean is: a run that diverged counts with the
    accuracy it ended with at the budgets it did not reach.
    """
    rows = phase_diagram.budget_curves(records, len(budgets))
    return measure.summarize(rows[:, step])


def _outcome(trains):
    return {True: "trains", False: "stalls"}.get(trains, measure.DASH)


def _hover(activation, cell, mean, spread, budget):
    """What hovering a cell shows, one line each."""
    xi_name = _xi_name(activation)
    fmt = measure.fmt
    lines = [
        f"\u03c3<sub>w</sub>\u00b2 = {fmt(cell['sigma_w2'])}, "
        f"depth {cell['depth']}",
        f"training accuracy after {budget} steps: {fmt(mean)} "
        f"\u00b1 {fmt(spread['sd'])} (sd, n = {spread['n']}), "
        f"min\u2013max {fmt(spread['min'])}\u2013{fmt(spread['max'])}",
    ]
    if cell["xi"] is None:
        lines.append(f"{xi_name} infinite: on the critical line")
    else:
        lines.append(
            f"{xi_name} = {fmt(cell['xi'])} ({cell['phase']}), depth / "
            f"{_xi_name(activation, short=True)} = "
            f"{fmt(cell['depth_over_xi'])}"
        )
    predicted, trains = cell.get("predicted"), cell["trains"]
    verdict = (
        f"at the final budget: predicted {_outcome(predicted)}, "
        f"measured {_outcome(trains)}"
    )
    if predicted is not None and predicted != trains:
        verdict += " (disagree)"
    lines.append(verdict)
    return "<br>".join(lines)


def _heatmap(summary, by_cell, budget):
    """The accuracy at `budget` over sigma_w2 x depth, with hover texts."""
    grid = summary["grid"]
    activation = grid["activation"]
    sigmas, depths = sorted(grid["sigma_w2"]), sorted(grid["depths"])
    z = [[None] * len(sigmas) for _ in depths]
    text = [[""] * len(sigmas) for _ in depths]
    step = summary["budgets"].index(budget)
    for cell in summary["cells"]:
        row = depths.index(cell["depth"])
        col = sigmas.index(cell["sigma_w2"])
        records = by_cell[(activation, cell["sigma_w2"], cell["depth"])]
        z[row][col] = cell["accuracy_by_budget"][step]
        text[row][col] = _hover(
            activation,
            cell,
            z[row][col],
            _spread(records, summary["budgets"], step),
            budget,
        )
    return {
        "type": "heatmap",
        # Edges, not centers: Plotly then draws each cell between them on
        # the log depth axis as the report's figure does.
        "x": plots.cell_edges(sigmas),
        "y": plots.cell_edges(depths, log=True),
        "z": z,
        "text": text,
        "zmin": 0.0,
        "zmax": 1.0,
        "colorscale": "Viridis",
        "colorbar": {"title": {"text": "training accuracy"}},
        "name": "training accuracy",
        "hovertemplate": "%{text}<extra></extra>",
    }


def _theory_curve(line, factor, side, name, dash):
    """`factor` xi over the theory's fine sigma_w2 grid, on one `side`."""
    return {
        "type": "scatter",
        "x": line["sigma_w2"],
        "y": [
            None if xi is None or side not in (None, phase) else factor * xi
            for xi, phase in zip(line["xi"], line["phase"], strict=True)
        ],
        "mode": "lines",
        "line": {"color": THEORY_COLOR, "dash": dash, "width": 2},
        "name": name,
        "hoverinfo": "skip",
    }


def _theory_traces(summary, y_range):
    """xi, 6 xi and the fitted k xi per side, then the critical line."""
    activation = summary["grid"]["activation"]
    xi = _xi_name(activation, short=True)
    line, fit = summary["theory"]["line"], summary["fit"]
    traces = [
        _theory_curve(line, 1, None, xi, "dash"),
        _theory_curve(
            line,
            edge_of_chaos.PAPER_K,
            None,
            f"{measure.fmt(edge_of_chaos.PAPER_K)} {xi}"
            # ReLU's depth scale is not the paper's xi_c.
            + ("" if activation in XI_NAMES else " (the paper's rule)"),
            "dot",
        ),
    ]
    for side, dash in (("ordered", "solid"), ("chaotic", "dashdot")):
        k = fit[f"k_{side}"]
        if k is not None:
            traces.append(
                _theory_curve(
                    line,
                    k,
                    side,
                    f"k {xi}, {side} side (fitted k = {measure.fmt(k, 3)})",
                    dash,
                )
            )
    critical = summary["theory"]["critical_sigma_w2"]
    traces.append(
        {
            "type": "scatter",
            "x": [critical, critical],
            "y": list(y_range),
            "mode": "lines",
            "line": {"color": CRITICAL_COLOR, "dash": "dot", "width": 2},
            "name": f"critical line \u03c7\u2081 = 1, "
            f"\u03c3<sub>w</sub>\u00b2 = {measure.fmt(critical)}",
            "hoverinfo": "skip",
        }
    )
    return traces


def _disagreements(summary):
    """Red crosses on the cells where the fitted rule and training differ."""
    cells = [
        c
        for c in summary["cells"]
        if c.get("predicted") is not None and c["predicted"] != c["trains"]
    ]
    if not cells:
        return []
    return [
        {
            "type": "scatter",
            "x": [c["sigma_w2"] for c in cells],
            "y": [c["depth"] for c in cells],
            "mode": "markers",
            "marker": {"symbol": "x", "size": 9, "color": CRITICAL_COLOR},
            "name": "rule and training disagree (final budget)",
            "hoverinfo": "skip",
        }
    ]


def _figure(summary, by_cell, budget, seeds):
    grid = summary["grid"]
    heatmap = _heatmap(summary, by_cell, budget)
    y_range = (heatmap["y"][0], heatmap["y"][-1])
    return figures.figure(
        [heatmap, *_theory_traces(summary, y_range), *_disagreements(summary)],
        f"{grid['activation']}, \u03c3<sub>b</sub>\u00b2 = "
        f"{measure.fmt(grid['sigma_b2'])}, width {grid['width']}: training "
        f"accuracy after {budget} of {grid['iterations']} steps, mean over "
        f"{seeds} seeds",
        height=560,
        hovermode="closest",
        # The theory's lines are white, as on the report's figure, to
        # stand out on every accuracy color; a dark legend shows them.
        legend={
            "orientation": "h",
            "y": -0.14,
            "x": 0.0,
            "bgcolor": LEGEND_COLOR,
            "font": {"color": THEORY_COLOR},
        },
        xaxis={
            "title": {"text": "\u03c3<sub>w</sub>\u00b2"},
            "range": [heatmap["x"][0], heatmap["x"][-1]],
        },
        yaxis={
            "title": {"text": "depth (hidden layers, log)"},
            "type": "log",
            "range": [math.log10(y) for y in y_range],
            "tickvals": sorted(grid["depths"]),
        },
    )


def _numbers(summary, budget, index):
    grid = summary["grid"]
    activation = grid["activation"]
    numbers = {}
    for metric, _ in METRICS:
        numbers.update(
            measure.stat_numbers(
                f"{NAME}-{metric}",
                index.get((CLAIM, f"{metric}/{activation}")),
            )
        )
    numbers[f"{NAME}-critical"] = measure.shown(
        summary["theory"]["critical_sigma_w2"]
    )
    numbers[f"{NAME}-budget-label"] = measure.shown(
        budget, f"{budget} of {grid['iterations']} steps"
    )
    numbers[f"{NAME}-curve-n"] = measure.shown(len(grid["seeds"]))
    numbers[f"{NAME}-source"] = measure.shown(
        None, f'claim "{CLAIM}", <metric>/{activation}'
    )
    return numbers


def panel(pairs, index):
    """The edge-of-chaos panel's options, default budget and choices.

    Args:
        pairs: `[(task, record), ...]` of the "edge_of_chaos" section's
            trainability runs.
        index: `measure.measurement_index` of results.json.

    Returns:
        `{"options": ..., "choices": ..., "defaults": {budget selector:
        the final budget}}`, as `sweep.panel` describes; a budget is a
        number of training steps, as text.
    """
    found = edge_of_chaos.summaries({NAME: pairs})
    by_cell = _records_by_cell(pairs)
    built = {}
    for activation, summaries in found.items():
        summary = summaries["all"]
        seeds = len(summary["grid"]["seeds"])
        for budget in summary["budgets"]:
            built[choices.key((activation, str(budget)))] = {
                "figures": {
                    f"{NAME}-heatmap": _figure(summary, by_cell, budget, seeds)
                },
                "numbers": _numbers(summary, budget, index),
            }
    budgets = sorted({b for s in found.values() for b in s["all"]["budgets"]})
    return {
        "options": {
            SELECTORS[0]: [(a, a) for a in found],
            SELECTORS[1]: [(str(b), f"{b} steps") for b in budgets],
        },
        "defaults": {SELECTORS[1]: str(budgets[-1])},
        "choices": built,
    }
