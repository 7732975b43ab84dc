"""Every registered initializer x activation on MNIST, with one budget.

`run(SweepConfig(...))` asks the study runner (`keras_initstudy.study`) for
one classifier run per (init, activation, seed) and returns the table's
rows; `experiments/sweep.py` is the binary. Runs already in the cache are
read back, the missing ones run on the engine given (in this process by
default, on Ray Tune with `engines.make_engine("ray")`). The initializer names
are read from the registry when `run` starts, so initializers added later
join the sweep; one that needs an argument gets it from `INIT_VALUES`, and
one that cannot build the MLP is a row with status "error", never left out
(and never handed to an engine, which would only fail it again).
"""

import dataclasses
import os
import statistics
import tempfile

import numpy as np

from keras_initstudy import initializers
from keras_initstudy.study import models
from keras_initstudy.study import plots
from keras_initstudy.study import runner
from keras_initstudy.study.kinds import classifier

# Fill value of the "constant" initializer (it has no meaningful default: 0
# would repeat "zeros"). Small, so the logits stay moderate; any constant
# makes every hidden unit identical all the same.
INIT_VALUES = {"constant": 0.05}
STATUS_ERROR = "error"
# Runs record the distinct units every 5 iterations: enough for the report's
# per-iteration curve (its explorer draws it) at a fifth of the cost of
# every one. The report asks for the same tasks, so a sweep into the
# report's cache (`--cache_dir=report/cache`) reuses its runs.
SYMMETRY_EVERY = 5


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """What `run` sweeps (all of it goes into metrics.json).

    Attributes:
        inits: initializer names; empty means every registered one, read
            when `run` starts.
        activations: hidden activations.
        seeds: one run of every (init, activation) per seed; each seeds the
            initializers and the minibatch order.
        hidden_units, iterations, batch_size, optimizer, learning_rate: the
            budget, the same for every run (see `classifier.ClassifierConfig`).
        dataset: the dataset's name (`data.NAMES`).
        data_dir: folder with its IDX files (None: search).
    """

    inits: tuple = ()
    activations: tuple = models.ACTIVATIONS
    seeds: tuple = (0,)
    hidden_units: tuple = (128,)
    iterations: int = 100
    batch_size: int = 100
    optimizer: str = "sgd"
    learning_rate: float | None = None
    dataset: str = "mnist"
    data_dir: str | None = None

    def __post_init__(self):
        if not self.seeds:
            raise ValueError("A sweep needs at least one seed. Received: ()")

    def init_names(self):
        return tuple(self.inits) or initializers.names()

    def classifier_config(self, init, activation, seed):
        return classifier.ClassifierConfig(
            init=init,
            activation=activation,
            hidden_units=tuple(self.hidden_units),
            iterations=self.iterations,
            batch_size=self.batch_size,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            seed=seed,
            dataset=self.dataset,
            data_dir=self.data_dir,
            init_value=INIT_VALUES.get(init),
            symmetry_every=SYMMETRY_EVERY,
        )


def _row(init, activation, seed, record):
    return {
        "init": init,
        "activation": activation,
        "seed": seed,
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


def build_errors(config):
    """Which initializers of `config` cannot build the sweep's MLP, and why.

    The one decision of what the sweep (and so the report) trains: checked
    once per initializer before any run, since an initializer sees only the
    kernels' shapes, never the activation or the seed.

    Returns:
        `{init: exception}` for each name of `config.init_names()` whose
        model cannot be built (e.g. `dirac`, convolutions only).
    """
    errors = {}
    for init in config.init_names():
        try:
            classifier.build_model(
                config.classifier_config(
                    init, config.activations[0], config.seeds[0]
                )
            )
        except (ValueError, TypeError) as e:
            errors[init] = e
    return errors


def error_line(error):
    """An exception as the sweep's rows show it: type and first line."""
    return f"{type(error).__name__}: {error}".splitlines()[0]


def _tasks(config, inits):
    return [
        runner.Task("classifier", config.classifier_config(init, act, seed))
        for init in inits
        for act in config.activations
        for seed in config.seeds
    ]


def tasks(config, errors=None):
    """The sweep's study tasks: one per buildable (init, activation, seed).

    Args:
        config: a `SweepConfig`.
        errors: what `build_errors(config)` returns, when the caller has
            it already (it builds one model per initializer).
    """
    if errors is None:
        errors = build_errors(config)
    return _tasks(config, [i for i in config.init_names() if i not in errors])


def run(config, cache_dir=None, engine=None, rerun=False, progress=None):
    """Every (init, activation, seed) of `config`, from the study runner.

    Args:
        config: a `SweepConfig`.
        cache_dir: the study's record cache (runs found there are not run
            again); None uses a temporary one, dropped afterwards.
        engine: the engine that runs missing records (`engines.LocalEngine()`
            when None; see `engines.make_engine`).
        rerun: recompute every run, replacing its cached record.
        progress: passed to `runner.Study.records`.

    Returns:
        The metrics dict: `config` (with `inits` resolved to the names
        swept), `prior_accuracy` and `runs`, one row per init, activation
        and seed (in that nesting): `init`, `activation`, `seed`,
        `init_value`, `status` ("ok", "diverged" or "error" with an `error`
        message), and unless "error": `test_accuracy`, `test_loss`,
        `final_loss` (last minibatch), `distinct_units` per hidden layer
        after training, `matches_prior` and the loss curves.
    """
    resolved = dataclasses.replace(config, inits=config.init_names())
    errors = build_errors(resolved)
    runnable = tasks(resolved, errors)
    with tempfile.TemporaryDirectory() as scratch:
        found = runner.Study(cache_dir or scratch, engine).records(
            runnable, rerun=rerun, progress=progress
        )
    by_config = {
        task.config: record
        for task, record in zip(runnable, found, strict=True)
    }
    rows = []
    for init in resolved.inits:
        for activation in resolved.activations:
            for seed in resolved.seeds:
                if init in errors:
                    rows.append(
                        {
                            "init": init,
                            "activation": activation,
                            "seed": seed,
                            "init_value": INIT_VALUES.get(init),
                            "status": STATUS_ERROR,
                            "error": error_line(errors[init]),
                        }
                    )
                    continue
                key = resolved.classifier_config(init, activation, seed)
                rows.append(_row(init, activation, seed, by_config[key]))
    dataset = runner.dataset_for(
        resolved.classifier_config(
            resolved.inits[0], resolved.activations[0], resolved.seeds[0]
        )
    )
    prior_class = np.argmax(np.bincount(dataset.y_train))
    return {
        "config": dataclasses.asdict(resolved),
        "prior_accuracy": float(np.mean(dataset.y_test == prior_class)),
        "runs": rows,
    }


def _mean_sd(values, digits=4):
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return (
        f"{statistics.mean(values):.{digits}f} ± "
        f"{statistics.stdev(values):.{digits}f}"
    )


def table(metrics):
    """The sweep as a Markdown table, one line per init and activation.

    Over several seeds a cell is mean ± sd (sample sd) of the seeds, and
    the distinct units column lists each seed's count.
    """
    groups = {}
    for r in metrics["runs"]:
        groups.setdefault((r["init"], r["activation"]), []).append(r)
    n = max(len(rows) for rows in groups.values())
    seeds = "" if n == 1 else f" (mean ± sd, {n} seeds)"
    lines = [
        f"| init | activation | test accuracy{seeds} | final loss{seeds} "
        "| distinct units |",
        "|---|---|---:|---:|---|",
    ]
    for (init, activation), rows in groups.items():
        if rows[0]["status"] == STATUS_ERROR:
            lines.append(
                f"| {init} | {activation} | error | | {rows[0]['error']} |"
            )
            continue
        losses = [r["final_loss"] for r in rows]
        loss = "nan" if None in losses else _mean_sd(losses)
        units = " ".join(
            ",".join(str(u) for u in r["distinct_units"]) for r in rows
        )
        bad = sorted({r["status"] for r in rows} - {"ok"})
        status = f" ({', '.join(bad)})" if bad else ""
        accuracy = _mean_sd([r["test_accuracy"] for r in rows])
        lines.append(
            f"| {init} | {activation} | {accuracy}{status} | {loss} | {units} |"
        )
    return "\n".join(lines)


def write_figures(metrics, output_dir):
    """One PNG of loss curves, a panel per activation (the first seed's)."""
    first = metrics["config"]["seeds"][0]
    return [
        plots.sweep_loss_curves(
            [r for r in metrics["runs"] if r["seed"] == first],
            os.path.join(output_dir, "loss_curves.png"),
        )
    ]
