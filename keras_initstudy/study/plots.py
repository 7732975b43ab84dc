"""Figures from run records (metrics.json dicts), never from live training.

Each public function takes records (or curves read from them) and a PNG
path, draws one figure and returns the path, so every figure can be
rebuilt from the records without retraining. Matplotlib is imported
lazily, with the non-interactive "Agg" backend, so the library imports
without it.
"""

import math
import os

from keras_initstudy.study import records


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path):
    """Writes `fig` to `path` as PNG via a temporary file; closes it."""
    plt = _pyplot()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        with records.atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    finally:
        plt.close(fig)
    return path


_DATASET_LABELS = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}


def dataset_label(name):
    """How a figure names a dataset of `data.NAMES` ("Fashion-MNIST")."""
    return _DATASET_LABELS.get(name, name)


def run_label(record):
    """A short legend label for a record: init, activation and extras."""
    config = record.get("config", {})
    parts = [str(config.get("init", "?"))]
    if (
        config.get("init") == "constant"
        and config.get("init_value") is not None
    ):
        parts[0] += f" {config['init_value']:g}"
    if config.get("output_init"):
        parts.append(f"output {config['output_init']}")
    if config.get("bias_init", "zeros") != "zeros":
        parts.append(f"bias {config['bias_init']}")
    if config.get("dropout"):
        parts.append(f"dropout {config['dropout']:g}")
    if config.get("activation"):
        parts.append(config["activation"])
    return ", ".join(parts)


# The y-axis of a loss plot reaches at least this far above the uniform
# guess's loss ln(classes), so a run sitting there reads as a flat line at
# the top of a range that starts at 0, not as noise blown up to fill the
# axes (matplotlib's autoscale zooms a curve of spread 0.005 to full height).
LOSS_HEADROOM = 1.15


def loss_curves_figure(records, labels=None, title=None, num_classes=10):
    """The figure of `loss_curves`, returned open for inspection.

    The y-axis starts at 0 and reaches at least `LOSS_HEADROOM` times
    ln(`num_classes`), the loss of a net that answers the uniform guess
    (drawn as a dashed reference line); higher losses extend it.

    Args:
        records: metrics dicts with `train_loss` (one value per iteration)
            and optionally `eval_iterations` / `eval_loss`.
        labels: legend labels, one per record (default: `run_label`).
        title: optional figure title.
        num_classes: classes of the task, for the reference line.

    Returns:
        A matplotlib `Figure` with one `Axes`; the caller closes it.
    """
    labels = labels or [run_label(r) for r in records]
    if len(labels) != len(records):
        raise ValueError(
            f"Need one label per record. Received: {len(labels)} labels for "
            f"{len(records)} records"
        )
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for record, label in zip(records, labels, strict=True):
        # A diverged run stores non-finite losses as None (JSON null).
        losses = [
            float("nan") if v is None else v for v in record["train_loss"]
        ]
        (line,) = ax.plot(
            range(1, len(losses) + 1), losses, lw=1, alpha=0.8, label=label
        )
        if record.get("eval_loss"):
            ax.plot(
                record["eval_iterations"],
                record["eval_loss"],
                "o",
                ms=3,
                color=line.get_color(),
            )
    uniform = math.log(num_classes)
    ax.axhline(
        uniform,
        ls="--",
        lw=1.5,
        color="0.6",
        # Below the curves: a run stuck at the uniform guess lies on it.
        zorder=1,
        label=f"ln {num_classes} = {uniform:.3f}: a net at the uniform guess",
    )
    ax.set_ylim(0, max(ax.get_ylim()[1], LOSS_HEADROOM * uniform))
    ax.set_xlabel("iteration")
    ax.set_ylabel("cross-entropy loss (lines: minibatch, dots: eval)")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def loss_curves(records, path, labels=None, title=None, num_classes=10):
    """Plots training loss per iteration (and eval loss) of several runs.

    See `loss_curves_figure` for the axes: they start at 0 and show the
    uniform guess's loss ln(`num_classes`), so a run stuck there is flat.

    Args:
        records: metrics dicts with `train_loss` (one value per iteration)
            and optionally `eval_iterations` / `eval_loss`.
        path: where the PNG goes.
        labels: legend labels, one per record (default: `run_label`).
        title: optional figure title.
        num_classes: classes of the task, for the reference line.

    Returns:
        `path`.
    """
    return _save(loss_curves_figure(records, labels, title, num_classes), path)


def symmetry_curves(records, path, layer="hidden_1", labels=None, title=None):
    """Plots distinct units per iteration of one hidden layer, several runs.

    Args:
        records: metrics dicts with a `symmetry` block (see
            `callbacks.SymmetryMonitor.history`).
        path: where the PNG goes.
        layer: which hidden layer to show.
        labels: legend labels, one per record (default: `run_label`).
        title: optional figure title.

    Returns:
        `path`.
    """
    labels = labels or [run_label(r) for r in records]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    styles = ("-", "--", ":", "-.")
    for i, (record, label) in enumerate(zip(records, labels, strict=True)):
        entry = record["symmetry"][layer]
        # Runs often sit on the same count (1 or all units): thinner,
        # dashed lines on top keep the ones below visible.
        ax.step(
            entry["iteration"],
            entry["distinct_units"],
            where="post",
            label=label,
            linestyle=styles[i % len(styles)],
            linewidth=max(1.0, 4.0 - 0.7 * i),
        )
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"distinct units in {layer}")
    ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


# Fixed x-ranges make a vanishing layer show as a spike at 0, as in the
# CS231n figures; activations without a bounded range get automatic limits.
ACTIVATION_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


def activation_histogram_grid(record, activation, path, title=None):
    """The classic grid of per-layer activation histograms at init.

    One row per initializer, one column per hidden layer, for the runs of
    `record` (an `experiments.depth` metrics dict) with `activation`.

    Args:
        record: a dict with `runs`, each holding `activation`, `init`,
            `layers`, `std` and `histogram` (`{"edges", "counts"}`).
        activation: which activation's runs to draw.
        path: where the PNG goes.
        title: optional figure title (default: names the activation).

    Returns:
        `path`.
    """
    rows = [r for r in record["runs"] if r["activation"] == activation]
    if not rows:
        raise ValueError(
            f"The record has no run with this activation. Received: "
            f"activation={activation!r}"
        )
    cols = len(rows[0]["layers"])
    plt = _pyplot()
    fig, axes = plt.subplots(
        len(rows),
        cols,
        figsize=(1.5 * cols + 0.8, 1.3 * len(rows) + 0.6),
        squeeze=False,
    )
    for i, run in enumerate(rows):
        # Unbounded activations share one range along the row, so a
        # vanishing signal still collapses into a spike and an exploding
        # one grows across the row instead of being rescaled per panel.
        edges = [e for h in run["histogram"] for e in h["edges"]]
        xlim = ACTIVATION_RANGES.get(activation)
        if xlim is None and edges:
            xlim = (min(edges), max(edges))
        for j, hist in enumerate(run["histogram"]):
            ax = axes[i][j]
            if hist["counts"]:
                ax.stairs(hist["counts"], hist["edges"], fill=True, lw=0)
            if xlim is not None:
                ax.set_xlim(*xlim)
            ax.set_yticks([])
            ax.tick_params(labelsize=6)
            ax.set_title(f"std {run['std'][j]:.2g}", fontsize=7)
            if j == 0:
                ax.set_ylabel(run["init"], fontsize=8)
            if i == len(rows) - 1:
                ax.set_xlabel(f"layer {j + 1}", fontsize=8)
    fig.suptitle(title or f"{activation}: activations per layer at init")
    fig.tight_layout()
    return _save(fig, path)


def _positive(values):
    # Log axes cannot show 0 (a signal that vanished to exactly 0).
    return [v if v is not None and v > 0 else float("nan") for v in values]


def signal_std_curves(record, path, title=None):
    """Std of activations and gradients vs layer, per init and activation.

    Rows: activations (forward), gradients of the loss w.r.t. the
    activations and w.r.t. the kernels (backward); one column per
    activation; one line per initializer; log scale.

    Args:
        record: an `experiments.depth` metrics dict (see
            `activation_histogram_grid`), runs with `std`,
            `grad_activation_std` and `grad_kernel_std`.
        path: where the PNG goes.
        title: optional figure title.

    Returns:
        `path`.
    """
    activations = list(dict.fromkeys(r["activation"] for r in record["runs"]))
    keys = (
        ("std", "activation std"),
        ("grad_activation_std", "std of dL/d activation"),
        ("grad_kernel_std", "std of dL/d kernel"),
    )
    plt = _pyplot()
    fig, axes = plt.subplots(
        len(keys),
        len(activations),
        figsize=(3.6 * len(activations), 7.5),
        squeeze=False,
    )
    for j, activation in enumerate(activations):
        for run in record["runs"]:
            if run["activation"] != activation:
                continue
            layers = range(1, len(run["std"]) + 1)
            for i, (key, _) in enumerate(keys):
                axes[i][j].plot(
                    layers, _positive(run[key]), "o-", ms=3, label=run["init"]
                )
        for i, (_, label) in enumerate(keys):
            ax = axes[i][j]
            ax.set_yscale("log")
            ax.grid(alpha=0.3)
            ax.set_ylabel(label, fontsize=8)
            if i == 0:
                ax.set_title(activation)
            if i == len(keys) - 1:
                ax.set_xlabel("hidden layer")
        axes[0][j].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def layer_std_curves(records, path, key="init_std", labels=None, title=None):
    """Per-layer activation std (at init) of several runs, log scale.

    Args:
        records: dicts holding a per-layer list under `key`.
        path: where the PNG goes.
        key: which per-layer list to draw.
        labels: legend labels, one per record (default: `run_label`).
        title: optional figure title.

    Returns:
        `path`.
    """
    labels = labels or [run_label(r) for r in records]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for record, label in zip(records, labels, strict=True):
        values = _positive(record[key])
        ax.plot(range(1, len(values) + 1), values, "o-", ms=3, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("hidden layer")
    ax.set_ylabel("activation std at init")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def depth_sensitivity(record, path, title=None):
    """Test accuracy after a fixed budget vs depth, one line per init.

    Args:
        record: a dict with `runs` (each with `init`, `depth` and
            `test_accuracy`) and optionally `prior_accuracy`, drawn as a
            dashed line.
        path: where the PNG goes.
        title: optional figure title.

    Returns:
        `path`.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    inits = list(dict.fromkeys(r["init"] for r in record["runs"]))
    for init in inits:
        runs = sorted(
            (r for r in record["runs"] if r["init"] == init),
            key=lambda r: r["depth"],
        )
        ax.plot(
            [r["depth"] for r in runs],
            [r["test_accuracy"] for r in runs],
            "o-",
            label=init,
        )
    if record.get("prior_accuracy") is not None:
        ax.axhline(
            record["prior_accuracy"], ls="--", color="gray", label="prior"
        )
    ax.set_xlabel("hidden layers")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    ax.set_title(title or "Accuracy after the same budget vs depth")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def sweep_loss_curves(rows, path, title=None):
    """Training loss per iteration of a sweep, one panel per activation.

    Args:
        rows: dicts with `init`, `activation`, `status` and (unless the
            status is "error") `train_loss`; rows in "error" are left out
            of the figure (the sweep's table lists them).
        path: where the PNG goes.
        title: optional figure title.

    Returns:
        `path`.
    """
    rows = [r for r in rows if r.get("train_loss")]
    activations = list(dict.fromkeys(r["activation"] for r in rows))
    inits = list(dict.fromkeys(r["init"] for r in rows))
    plt = _pyplot()
    colors = plt.get_cmap("tab20")
    fig, axes = plt.subplots(
        1,
        max(1, len(activations)),
        figsize=(4.5 * max(1, len(activations)), 4.5),
        squeeze=False,
        sharey=True,
    )
    for ax, activation in zip(axes[0], activations, strict=False):
        for r in rows:
            if r["activation"] != activation:
                continue
            k = inits.index(r["init"])
            losses = [float("nan") if v is None else v for v in r["train_loss"]]
            ax.plot(
                range(1, len(losses) + 1),
                losses,
                lw=1,
                color=colors(k % 20),
                ls=("-", "--", ":")[k // 20 % 3],
                label=r["init"],
            )
        ax.set_title(activation)
        ax.set_xlabel("iteration")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("minibatch cross-entropy loss")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 0.85, 1))
    return _save(fig, path)


def cell_edges(values, log=False):
    """Cell edges around sorted centers (geometric midpoints when `log`).

    The phase diagram's cells, here and in the report's explorer page.
    """
    v = [math.log(x) if log else x for x in values]
    if len(v) == 1:
        mids, first, last = [], v[0] - 0.5, v[0] + 0.5
    else:
        mids = [(a + b) / 2 for a, b in zip(v, v[1:], strict=False)]
        first, last = v[0] - (mids[0] - v[0]), v[-1] + (v[-1] - mids[-1])
    edges = [first, *mids, last]
    return [math.exp(e) for e in edges] if log else edges


def _theory_curves(ax, summary, top):
    """xi and 6 xi over the whole grid, each fitted k xi on its own side."""
    line, fit = summary["theory"]["line"], summary["fit"]
    for factor, side, style, label in (
        (1, None, "--", "ξ"),
        (6, None, ":", "6 ξ"),
        (fit.get("k_ordered"), "ordered", "-", "k ξ, fitted (ordered)"),
        (fit.get("k_chaotic"), "chaotic", "-.", "k ξ, fitted (chaotic)"),
    ):
        if factor is None:
            continue
        xs, ys = [], []
        for s, xi, phase in zip(
            line["sigma_w2"], line["xi"], line["phase"], strict=True
        ):
            if side is not None and phase != side:
                continue
            xs.append(s)
            ys.append(top * 10 if xi is None else min(factor * xi, top * 10))
        ax.plot(xs, ys, style, color="white", lw=1.5, label=label)
    ax.axvline(
        summary["theory"]["critical_sigma_w2"],
        color="red",
        lw=1,
        ls=":",
        label="critical (χ1 = 1)",
    )


def phase_diagram(summary, path, title=None):
    """Training accuracy over sigma_w2 x depth, with theory's curves.

    Args:
        summary: `phase_diagram.summarize`'s dict.
        path: where the PNG goes.
        title: optional title (default: the grid, k and the agreement).

    Returns:
        `path`.
    """
    plt = _pyplot()
    grid = summary["grid"]
    sigmas, depths = sorted(grid["sigma_w2"]), sorted(grid["depths"])
    accuracy = [[math.nan] * len(sigmas) for _ in depths]
    for cell in summary["cells"]:
        row, col = depths.index(cell["depth"]), sigmas.index(cell["sigma_w2"])
        accuracy[row][col] = cell["train_accuracy"]["mean"]
    x_edges, y_edges = cell_edges(sigmas), cell_edges(depths, log=True)
    fig, ax = plt.subplots(figsize=(7.5, 5))
    mesh = ax.pcolormesh(
        x_edges,
        y_edges,
        accuracy,
        cmap="viridis",
        vmin=0,
        vmax=1,
    )
    fig.colorbar(mesh, ax=ax, label="training accuracy (mean over seeds)")
    _theory_curves(ax, summary, depths[-1])
    for cell in summary["cells"]:
        if (
            cell.get("predicted") is not None
            and cell["predicted"] != cell["trains"]
        ):
            ax.plot(cell["sigma_w2"], cell["depth"], "x", color="red", ms=5)
    ax.set_yscale("log")
    ax.set_ylim(y_edges[0], y_edges[-1])
    ax.set_xlim(x_edges[0], x_edges[-1])
    ax.set_xlabel("σ_w²")
    ax.set_ylabel("depth (hidden layers)")
    fit = summary["fit"]
    agreement = fit["agreement"]
    ax.set_title(
        title
        or (
            f"{grid['activation']}, σ_b² = {grid['sigma_b2']:g}, width "
            f"{grid['width']}, {grid['iterations']} steps: rule agrees on "
            f"{agreement:.0%} of cells (x: disagree)"
        ),
        fontsize=9,
    )
    ax.legend(fontsize=7, loc="upper right", framealpha=0.6)
    return _save(fig, path)


def signal_propagation(records, path, title=None):
    """Measured q^l and gradient ratios (dots) on the theory's lines.

    Args:
        records: `propagation` records; those of one configuration (all
            but the seed) share a color, their measurements averaged.
        path: where the PNG goes.
        title: optional figure title.

    Returns:
        `path`.
    """
    plt = _pyplot()
    groups = {}
    for record in records:
        config = dict(record["config"])
        config.pop("seed")
        groups.setdefault(tuple(sorted(config.items())), []).append(record)
    fig, (ax_q, ax_g) = plt.subplots(1, 2, figsize=(10, 4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, group in enumerate(groups.values()):
        config, color = group[0]["config"], colors[i % len(colors)]
        label = (
            f"{config['activation']} σ_w² = {config['sigma_w2']:.3g} "
            f"({group[0]['phase']}, {config['inputs']})"
        )
        for ax, key in ((ax_q, "q"), (ax_g, "grad_ratio")):
            predicted = group[0]["predicted"][key]
            layers = range(1, len(predicted) + 1)
            measured = [
                sum(r["measured"][key][j] for r in group) / len(group)
                for j in range(len(predicted))
            ]
            ax.plot(layers, predicted, "-", color=color, label=label)
            ax.plot(layers, measured, "o", color=color, ms=3)
    ax_q.set_yscale("log")
    ax_q.set_xlabel("layer l")
    ax_q.set_ylabel("q^l: mean square pre-activation")
    ax_g.set_xlabel("layer l")
    ax_g.set_ylabel("|dL/dh^l|² / |dL/dh^(l+1)|²  (theory: χ1)")
    ax_g.legend(fontsize=7)
    for ax in (ax_q, ax_g):
        ax.grid(alpha=0.3)
    fig.suptitle(
        title or "Mean-field theory (lines) vs one measured batch (dots)",
        fontsize=10,
    )
    return _save(fig, path)
