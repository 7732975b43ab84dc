"""Every registered initializer x activation on MNIST, with one budget.

`run(SweepConfig(...))` trains one `runs.run_classifier` per (init,
activation) on one loaded dataset and returns the table's rows;
`experiments/sweep.py` is the binary. The initializer names are read from
the registry when `run` starts, so initializers added later join the sweep;
one that needs an argument gets it from `INIT_VALUES`, and one that cannot
build the MLP is a row with status "error", never left out.
"""

import dataclasses
import os

import numpy as np

from keras_initstudy import data
from keras_initstudy import initializers
from keras_initstudy import models
from keras_initstudy import plots
from keras_initstudy import runs

# Fill value of the "constant" initializer (it has no meaningful default: 0
# would repeat "zeros"). Small, so the logits stay moderate; any constant
# makes every hidden unit identical all the same.
INIT_VALUES = {"constant": 0.05}
STATUS_ERROR = "error"


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """What `run` sweeps (all of it goes into metrics.json).

    Attributes:
        inits: initializer names; empty means every registered one, read
            when `run` starts.
        activations: hidden activations.
        hidden_units, iterations, batch_size, optimizer, learning_rate,
            seed: the budget, the same for every run (see
            `runs.ClassifierConfig`).
        dataset: the dataset's name (`data.NAMES`).
        data_dir: folder with its IDX files (None: search).
    """

    inits: tuple = ()
    activations: tuple = models.ACTIVATIONS
    hidden_units: tuple = (128,)
    iterations: int = 100
    batch_size: int = 100
    optimizer: str = "sgd"
    learning_rate: float | None = None
    seed: int = 0
    dataset: str = "mnist"
    data_dir: str | None = None

    def init_names(self):
        return tuple(self.inits) or initializers.names()

    def classifier_config(self, init, activation):
        return runs.ClassifierConfig(
            init=init,
            activation=activation,
            hidden_units=tuple(self.hidden_units),
            iterations=self.iterations,
            batch_size=self.batch_size,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            seed=self.seed,
            dataset=self.dataset,
            init_value=INIT_VALUES.get(init),
            # The table needs distinct units after training only; checking
            # symmetry after every iteration would cost more than the
            # training.
            symmetry_every=self.iterations,
        )


def _row(init, activation, record):
    return {
        "init": init,
        "activation": activation,
        "init_value": INIT_VALUES.get(init),
        "status": record["status"],
        "test_accuracy": record["test_accuracy"],
        "test_loss": record["test_loss"],
        "final_loss": record["train_loss"][-1]
        if record["train_loss"]
        else None,
        "distinct_units": record["distinct_units"],
        "train_loss": record["train_loss"],
        "eval_iterations": record["eval_iterations"],
        "eval_loss": record["eval_loss"],
        "matches_prior": record["prior"]["matches_prior"],
    }


def run_one(config, init, activation, dataset, logdir=None):
    """One row of the sweep; an initializer that fails is an "error" row.

    With a `logdir`, the run's TensorBoard summaries go into
    `<logdir>/<runs.run_name>`.
    """
    try:
        classifier_config = config.classifier_config(init, activation)
        record = runs.run_classifier(
            classifier_config,
            dataset=dataset,
            logdir=None
            if logdir is None
            else os.path.join(logdir, runs.run_name(classifier_config)),
        )
    except (ValueError, TypeError) as e:
        return {
            "init": init,
            "activation": activation,
            "init_value": INIT_VALUES.get(init),
            "status": STATUS_ERROR,
            "error": f"{type(e).__name__}: {e}".splitlines()[0],
        }
    return _row(init, activation, record)


def run(config, dataset=None, logdir=None):
    """Trains every (init, activation) of `config` on one loaded dataset.

    Args:
        config: a `SweepConfig`.
        dataset: the loaded `data.Dataset` (`config.dataset` loaded when
            None).
        logdir: a folder for every run's TensorBoard summaries, one
            subfolder per run (see `runs.run_name`), or None.

    Returns:
        The metrics dict: `config` (with `inits` resolved to the names
        swept), `prior_accuracy` and `runs`, one row per init and
        activation (inits outer): `init`, `activation`, `init_value`,
        `status` ("ok", "diverged" or "error" with an `error` message),
        and unless "error": `test_accuracy`, `test_loss`, `final_loss`
        (last minibatch), `distinct_units` per hidden layer after training,
        `matches_prior` and the loss curves.
    """
    if dataset is None:
        dataset = data.load(config.dataset, config.data_dir)
    resolved = dataclasses.replace(config, inits=config.init_names())
    rows = [
        run_one(resolved, init, activation, dataset, logdir)
        for init in resolved.inits
        for activation in resolved.activations
    ]
    prior_class = np.argmax(np.bincount(dataset.y_train))
    return {
        "config": dataclasses.asdict(resolved),
        "prior_accuracy": float(np.mean(dataset.y_test == prior_class)),
        "runs": rows,
    }


def table(metrics):
    """The sweep as a Markdown table (one line per init and activation)."""
    lines = [
        "| init | activation | test accuracy | final loss | distinct units |",
        "|---|---|---:|---:|---|",
    ]
    for r in metrics["runs"]:
        if r["status"] == STATUS_ERROR:
            lines.append(
                f"| {r['init']} | {r['activation']} | error | | {r['error']} |"
            )
            continue
        loss = "nan" if r["final_loss"] is None else f"{r['final_loss']:.4f}"
        units = ",".join(str(u) for u in r["distinct_units"])
        status = "" if r["status"] == "ok" else f" ({r['status']})"
        lines.append(
            f"| {r['init']} | {r['activation']} | "
            f"{r['test_accuracy']:.4f}{status} | {loss} | {units} |"
        )
    return "\n".join(lines)


def write_figures(metrics, output_dir):
    """One PNG of loss curves, a panel per activation."""
    return [
        plots.sweep_loss_curves(
            metrics["runs"], os.path.join(output_dir, "loss_curves.png")
        )
    ]
