"""The toy panel: the article's 3-2-1 net, step by step.

Per choice of init, seed and step: both hidden units' weights before the
step and their gradient at it, side by side, and the forward pass. All of
it is read from the toy record; results.json has nothing for this panel.
"""

from keras_initstudy.report.explorer import choices
from keras_initstudy.report.explorer import figures
from keras_initstudy.report.explorer import measure

NAME = "toy"
SELECTORS = ("toy-init", "toy-seed", "toy-step")
UNIT_COLORS = ("#1f77b4", "#ff7f0e")
WEIGHT_LABELS = ("w\u2080 (bias)", "w\u2081", "w\u2082", "w\u2083")
FORWARD = ("z1", "z2", "a1", "a2", "y", "loss")


def _groups(pairs):
    """`{(init, seed): case}` in the configs' init order, and the labels."""
    grouped = {}
    labels = {}
    for task, record in pairs:
        # Not the record's key order: the cache writes records with sorted
        # keys, so a cached record would reorder the page's options.
        for init in task.config.inits:
            grouped[(init, str(task.config.seed))] = record["runs"][init]
            labels[init] = choices.init_label(
                {"init": init, "init_value": task.config.init_value}
            )
    return grouped, labels


def _weights_before(case, step):
    """Hidden rows before gradient step `step` (1-based)."""
    if step == 1:
        return case["weights_init"]["hidden"]
    return case["steps"][step - 2]["weights_after"]["hidden"]


def _figure(label, step, before, gradient):
    layout, cells = figures.grid(
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
                    "x": list(WEIGHT_LABELS),
                    "y": row,
                    "name": f"hidden unit {unit}",
                    "legendgroup": f"unit{unit}",
                    "showlegend": rows is before,
                    "marker": {"color": color},
                    "text": [measure.fmt(v, 3) for v in row],
                    "textposition": "outside",
                    "cliponaxis": False,
                    "hovertemplate": f"unit {unit}, %{{x}}: %{{y:.6g}}"
                    "<extra></extra>",
                    **cell,
                }
            )
    layout["xaxis2"].pop("matches")
    return figures.figure(
        traces,
        f"Toy net, {label}: the two hidden units side by side",
        height=400,
        barmode="group",
        margin={"l": 60, "r": 20, "t": 90, "b": 50},
        **layout,
    )


def _numbers(entry, before, gradient, step, steps):
    numbers = {}
    for unit in (0, 1):
        for k in range(4):
            suffix = f"u{unit + 1}-{k}"
            numbers[f"toy-w-{suffix}"] = measure.shown(before[unit][k])
            numbers[f"toy-dw-{suffix}"] = measure.shown(gradient[unit][k])
    for name in FORWARD:
        numbers[f"toy-forward-{name}"] = measure.shown(entry["forward"][name])
    same = before[0] == before[1] and gradient[0] == gradient[1]
    numbers["toy-identical"] = measure.shown(
        same,
        "identical: both units hold the same weights and get the same gradient"
        if same
        else "different: the units already differ",
    )
    numbers["toy-step-label"] = measure.shown(step, f"step {step} of {steps}")
    return numbers


def panel(pairs, index):
    """The toy panel's options, choices and step count.

    Args:
        pairs: `[(task, record), ...]` of toy runs.
        index: unused; every panel builder takes results.json's index.

    Returns:
        `{"options": ..., "choices": ..., "steps": the most steps of a
        case}`, as `sweep.panel` describes; the step selector is a slider,
        so it has no options.
    """
    del index
    grouped, labels = _groups(pairs)
    built = {}
    for (init, seed), case in grouped.items():
        steps = len(case["steps"])
        for step in range(1, steps + 1):
            entry = case["steps"][step - 1]
            before = _weights_before(case, step)
            gradient = entry["gradients"]["hidden"]
            built[choices.key((init, seed, str(step)))] = {
                "figures": {
                    "toy-units": _figure(labels[init], step, before, gradient)
                },
                "numbers": _numbers(entry, before, gradient, step, steps),
            }
    inits = choices.unique(k[0] for k in grouped)
    seeds = choices.unique(k[1] for k in grouped)
    return {
        "options": {
            "toy-init": [(i, labels[i]) for i in inits],
            "toy-seed": [(s, f"seed {s}") for s in seeds],
        },
        "choices": built,
        "steps": max((len(c["steps"]) for c in grouped.values()), default=1),
    }
