r"""Every registered initializer x {relu, tanh, sigmoid} on MNIST, one budget.

The article's comparison in one table: each initializer of the registry
(`keras_initstudy.initializers.names()`, read at run time, so initializers
added later join the sweep) trains the same MLP with each activation for
the same number of iterations. Zeros and constants stay at (or near) the
class prior, 11.35% on MNIST; small random, Xavier and He train.

An initializer that needs an argument gets the one in `INIT_VALUES`; one
that cannot build this MLP at all (e.g. a convolution-only initializer)
is recorded with status "error" and its message, never left out.

Usage:
  python -m experiments.sweep
  python -m experiments.sweep --init=zeros,he_normal --activation=relu
"""

import dataclasses
import os

from absl import app
from absl import flags
from absl import logging

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from keras_initstudy import data  # noqa: E402
from keras_initstudy import initializers  # noqa: E402
from keras_initstudy import models  # noqa: E402
from keras_initstudy import plots  # noqa: E402
from keras_initstudy import records  # noqa: E402
from keras_initstudy import runs  # noqa: E402

# Fill value of the "constant" initializer (it has no meaningful default: 0
# would repeat "zeros"). Small, so the logits stay moderate; any constant
# makes every hidden unit identical all the same.
INIT_VALUES = {"constant": 0.05}
STATUS_ERROR = "error"

_INIT = flags.DEFINE_list(
    "init",
    [],
    "Comma-separated initializers to sweep (default: every registered one).",
)
_ACTIVATION = flags.DEFINE_list(
    "activation", list(models.ACTIVATIONS), "Comma-separated activations."
)
_HIDDEN_UNITS = flags.DEFINE_list(
    "hidden_units", ["128"], "Comma-separated widths of the hidden layers."
)
_ITERATIONS = flags.DEFINE_integer(
    "iterations", 100, "Minibatch updates per run.", lower_bound=1
)
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", 100, "Examples per minibatch.", lower_bound=1
)
_OPTIMIZER = flags.DEFINE_enum(
    "optimizer", "sgd", ["sgd", "momentum", "adam"], "The optimizer."
)
_LEARNING_RATE = flags.DEFINE_float(
    "learning_rate",
    None,
    "Learning rate (default: the optimizer's, 0.1 for sgd).",
    lower_bound=0.0,
)
_SEED = flags.DEFINE_integer(
    "seed", 0, "Seeds initializers and the minibatch order."
)
_DATA_DIR = flags.DEFINE_string(
    "data_dir", None, "Folder with the MNIST IDX files (default: search)."
)
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", "runs/sweep", "Where metrics.json and the figures go."
)


@flags.validator("init", "must be registered initializer names")
def _check_init(value):
    return all(v in initializers.REGISTRY for v in value)


@flags.validator("activation", f"must be among {', '.join(models.ACTIVATIONS)}")
def _check_activation(value):
    return bool(value) and all(v in models.ACTIVATIONS for v in value)


@flags.validator("hidden_units", "must be positive integers")
def _check_hidden_units(value):
    return all(v.strip().isdigit() and int(v) > 0 for v in value)


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
        data_dir: folder with the MNIST IDX files (None: search).
    """

    inits: tuple = ()
    activations: tuple = models.ACTIVATIONS
    hidden_units: tuple = (128,)
    iterations: int = 100
    batch_size: int = 100
    optimizer: str = "sgd"
    learning_rate: float | None = None
    seed: int = 0
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
            init_value=INIT_VALUES.get(init),
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


def run_one(config, init, activation, dataset):
    """One row of the sweep; an initializer that fails is an "error" row."""
    try:
        record = runs.run_classifier(
            config.classifier_config(init, activation), dataset=dataset
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


def run(config, dataset=None):
    """Trains every (init, activation) of `config` on one loaded dataset.

    Args:
        config: a `SweepConfig`.
        dataset: a loaded MNIST `data.Dataset` (loaded when None).

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
        dataset = data.load("mnist", config.data_dir)
    resolved = dataclasses.replace(config, inits=config.init_names())
    rows = [
        run_one(resolved, init, activation, dataset)
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


def config_from_flags():
    return SweepConfig(
        inits=tuple(_INIT.value),
        activations=tuple(_ACTIVATION.value),
        hidden_units=tuple(int(u) for u in _HIDDEN_UNITS.value),
        iterations=_ITERATIONS.value,
        batch_size=_BATCH_SIZE.value,
        optimizer=_OPTIMIZER.value,
        learning_rate=_LEARNING_RATE.value,
        seed=_SEED.value,
        data_dir=_DATA_DIR.value,
    )


def main(argv):
    del argv
    try:
        config = config_from_flags()
        output_dir = records.prepare_output_dir(_OUTPUT_DIR.value)
        metrics = run(config)
    except (data.DatasetError, records.OutputDirError, ValueError) as e:
        raise app.UsageError(str(e), exitcode=2) from None
    logging.info("\n%s", table(metrics))
    for path in write_figures(metrics, output_dir):
        logging.info("wrote %s", path)
    logging.info("wrote %s", records.write_metrics(output_dir, metrics))


if __name__ == "__main__":
    app.run(main)
