"""The report's figures, drawn from the runs, and the cache that keeps them.

Each claim names its figures (`measure.FIGURES_DIR/<name>`); `_FIGURES`
maps a name to the function that draws it with `study.plots`.
`write_figures` draws only the figures whose runs or drawing code changed
since they were drawn (see `figure_key`).
"""

import hashlib
import os

from keras_initstudy.report import measure
from keras_initstudy.report import plan
from keras_initstudy.report.claims import edge_of_chaos
from keras_initstudy.study import models
from keras_initstudy.study import plots
from keras_initstudy.study import records
from keras_initstudy.study.kinds import deep_relu
from keras_initstudy.study.kinds import depth

FIGURE_KEYS_FILE = ".drawn.json"
# The symmetry-breaking runs drawn (by `plan.BREAKING` label): dropout and
# random biases at the article's budget of 100 iterations.
_BREAKING_DRAWN = ("dropout_0.5", "bias_random_normal")


def _mean_curve(curves):
    return measure.curve_stats(curves)["mean"]


def _figure_c1(groups, path):
    task, record = measure.select(groups, "c1_regression")[0]
    softmax = record["softmax"]
    return plots.loss_curves(
        [softmax["zeros"], softmax["random"]],
        path,
        labels=[
            "softmax regression, zeros",
            f"softmax regression, {softmax['random']['init']}",
        ],
        title=f"Softmax regression on MNIST (seed {task.config.seed})",
    )


def _figure_c2(groups, path):
    chosen = [
        measure.select(groups, "c3_mnist")[:1],
        measure.select(groups, "c2_mnist", init="constant", activation="relu")[
            :1
        ],
        measure.select(
            groups, "c2_mnist", init="constant", activation="sigmoid"
        )[:1],
        measure.select(groups, "c2_mnist", init="he_normal")[:1],
    ]
    return plots.symmetry_curves(
        [r for found in chosen for _, r in found],
        path,
        title="Distinct hidden units per iteration (seed 0)",
    )


def _figure_c3(groups, path):
    zeros = measure.select(groups, "c3_mnist")
    he = measure.select(groups, "sweep", init="he_normal", activation="relu")[
        :1
    ]
    pairs = zeros + he
    return plots.loss_curves(
        [r for _, r in pairs],
        path,
        labels=[
            f"{t.config.init} {t.config.activation}, seed {t.config.seed}"
            for t, _ in pairs
        ],
        title="784-128-10 relu, SGD 0.1: zeros (every seed) vs he_normal",
    )


def _depth_record(groups, seed_mean):
    """One depth record (runs of every init x activation) for plots."""
    runs_out = []
    for activation in models.ACTIVATIONS:
        for init in depth.DEFAULT_INITS:
            pairs = measure.depth_pairs(groups, "depth", init, activation)
            if not pairs:
                continue
            run = dict(measure.only_run(pairs[0][1]))
            if seed_mean:
                for key in ("std", "grad_activation_std", "grad_kernel_std"):
                    run[key] = _mean_curve(
                        [measure.only_run(r)[key] for _, r in pairs]
                    )
            runs_out.append(run)
    return {
        "config": {"activations": list(models.ACTIVATIONS)},
        "runs": runs_out,
    }


def _figure_c4_std(groups, path):
    return plots.signal_std_curves(
        _depth_record(groups, seed_mean=True),
        path,
        title="Std per layer at init, mean over seeds",
    )


def _figure_c4_histograms(activation):
    def draw(groups, path):
        return plots.activation_histogram_grid(
            _depth_record(groups, seed_mean=False), activation, path
        )

    return draw


def _figure_cs231n(groups, path):
    pairs = measure.select(groups, "cs231n")
    run = {"std": _mean_curve([measure.only_run(r)["std"] for _, r in pairs])}
    return plots.layer_std_curves(
        [run],
        path,
        key="std",
        labels=[f"tanh, small_random, Gaussian inputs ({len(pairs)} seeds)"],
        title="The CS231n demo: activation std per layer",
    )


def _figure_sweep(groups, path):
    rows = []
    pairs = measure.select(groups, "sweep")
    for init in dict.fromkeys(t.config.init for t, _ in pairs):
        for activation in models.ACTIVATIONS:
            found = measure.select(
                groups, "sweep", init=init, activation=activation
            )
            if found:
                rows.append(
                    {
                        "init": init,
                        "activation": activation,
                        "status": "ok",
                        "train_loss": _mean_curve(
                            [r["train_loss"] for _, r in found]
                        ),
                    }
                )
    seeds = len({t.config.seed for t, _ in pairs})
    return plots.sweep_loss_curves(
        rows, path, title=f"Mean minibatch loss over {seeds} seeds"
    )


def _figure_breaking(groups, path):
    pairs = []
    for label, fields in plan.BREAKING:
        if label in _BREAKING_DRAWN:
            pairs += measure.planned(groups, "symmetry_breaking", fields)[:1]
    return plots.symmetry_curves(
        [r for _, r in pairs],
        path,
        title="Distinct hidden units per iteration (seed 0)",
    )


def _figure_deep_relu_loss(groups, path):
    pairs = measure.select(groups, "deep_relu")
    return plots.loss_curves(
        [measure.only_run(r) for _, r in pairs],
        path,
        labels=[f"{t.config.inits[0]}, seed {t.config.seed}" for t, _ in pairs],
        title=f"{pairs[0][0].config.depth}-layer plain ReLU MLP on MNIST",
    )


def _figure_deep_relu_std(groups, path):
    pairs = measure.select(groups, "deep_relu")
    curves = []
    for init in deep_relu.DEFAULT_INITS:
        found = [
            measure.only_run(r) for t, r in pairs if t.config.inits == (init,)
        ]
        if found:
            curves.append(
                {"init_std": _mean_curve([r["init_std"] for r in found])}
            )
    return plots.layer_std_curves(
        curves,
        path,
        labels=[f"{i}, mean over seeds" for i in deep_relu.DEFAULT_INITS],
    )


def _figure_propagation(activation):
    def draw(groups, path):
        found = measure.select(
            groups, "signal_propagation", activation=activation, inputs="mnist"
        )
        plots.signal_propagation(
            [record for _, record in found],
            path,
            title=f"{activation}: mean-field theory (lines) vs measured q^l "
            "and gradient ratios (dots, mean over seeds), MNIST inputs",
        )

    return draw


def _figure_phase_diagram(activation):
    def draw(groups, path):
        summary = edge_of_chaos.summaries(groups)[activation]["all"]
        plots.phase_diagram(summary, path)

    return draw


_FIGURES = {
    "c1_softmax_loss.png": _figure_c1,
    "c2_distinct_units.png": _figure_c2,
    "c3_loss.png": _figure_c3,
    "c4_signal_std.png": _figure_c4_std,
    **{
        f"c4_histograms_{a}.png": _figure_c4_histograms(a)
        for a in models.ACTIVATIONS
    },
    "cs231n_layer_std.png": _figure_cs231n,
    "sweep_loss.png": _figure_sweep,
    "symmetry_breaking.png": _figure_breaking,
    "deep_relu_loss.png": _figure_deep_relu_loss,
    "deep_relu_init_std.png": _figure_deep_relu_std,
    **{
        f"propagation_{a}.png": _figure_propagation(a)
        for a, _ in plan.PROPAGATION
    },
    **{
        f"phase_diagram_{a}.png": _figure_phase_diagram(a)
        for a in ("tanh", "relu")
    },
}
# The code a figure is drawn with: the plots, this module, and the runs'
# selection and averaging in `measure`.
_DRAWING_CODE = (plots.__file__, __file__, measure.__file__)


def figure_key(name, groups):
    """What a figure is a function of: its name, the runs, the drawing code.

    Records are deterministic per task key, so the same keys and the same
    `_DRAWING_CODE` draw the same PNG.
    """
    digest = hashlib.sha256(name.encode())
    for source in _DRAWING_CODE:
        with open(source, "rb") as f:
            digest.update(f.read())
    for section in sorted(groups):
        for task, _ in groups[section]:
            digest.update(task.key.encode())
    return digest.hexdigest()[:20]


def write_figures(output_dir, results_dict, groups, redraw=False):
    """Draws every figure the claims name; returns their paths.

    A figure whose PNG exists and whose `figure_key` is the one recorded
    when it was drawn is kept: drawing the histogram grids costs more than
    the rest of a cached report. `redraw` draws every figure again.
    """
    keys_path = os.path.join(output_dir, measure.FIGURES_DIR, FIGURE_KEYS_FILE)
    drawn = {}
    if not redraw and os.path.isfile(keys_path):
        drawn = records.read_metrics(keys_path)
    paths, keys = [], {}
    for claim in results_dict["claims"]:
        for relative in claim["figures"]:
            name = os.path.basename(relative)
            path = os.path.join(output_dir, relative)
            keys[name] = figure_key(name, groups)
            if drawn.get(name) != keys[name] or not os.path.isfile(path):
                _FIGURES[name](groups, path)
            paths.append(path)
    records.write_json_atomic(keys_path, keys)
    return paths
