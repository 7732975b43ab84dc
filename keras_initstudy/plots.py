"""Figures from run records (metrics.json dicts), never from live training.

Each public function takes records (or curves read from them) and a PNG
path, draws one figure and returns the path, so every figure can be
rebuilt from the records without retraining. Matplotlib is imported
lazily, with the non-interactive "Agg" backend, so the library imports
without it.
"""

import os


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path):
    """Writes `fig` to `path` as PNG via a temporary file; closes it."""
    plt = _pyplot()
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{os.path.basename(path)}")
    try:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


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


def loss_curves(records, path, labels=None, title=None):
    """Plots training loss per iteration (and eval loss) of several runs.

    Args:
        records: metrics dicts with `train_loss` (one value per iteration)
            and optionally `eval_iterations` / `eval_loss`.
        path: where the PNG goes.
        labels: legend labels, one per record (default: `run_label`).
        title: optional figure title.

    Returns:
        `path`.
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
    ax.set_xlabel("iteration")
    ax.set_ylabel("cross-entropy loss (lines: minibatch, dots: eval)")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


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
    for record, label in zip(records, labels, strict=True):
        entry = record["symmetry"][layer]
        ax.step(
            entry["iteration"],
            entry["distinct_units"],
            where="post",
            label=label,
        )
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"distinct units in {layer}")
    ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)
