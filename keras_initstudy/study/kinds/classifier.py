"""A whole classification run: config -> data -> model -> training -> record.

`run_classifier` is what `experiments/mnist.py` and the sweeps call; it
returns the metrics.json record as a dict, so tests and studies need no
binary.
"""

import dataclasses
import math

import keras

from keras_initstudy import initializers
from keras_initstudy.diagnostics import callbacks as callbacks_lib
from keras_initstudy.diagnostics import prior as prior_lib
from keras_initstudy.diagnostics import signals
from keras_initstudy.diagnostics import symmetry
from keras_initstudy.study import data
from keras_initstudy.study import models
from keras_initstudy.study import training


@dataclasses.dataclass(frozen=True)
class ClassifierConfig:
    """Everything that defines one run (all of it goes into metrics.json).

    `init_value` is the fill value of every initializer named "constant"
    (`init`, `bias_init` or `output_init`); `output_init` is the output
    layer's kernel initializer, None meaning `init`. `symmetry_every`: record
    the `symmetry` block every this many iterations (1 records every one;
    large sweeps of deep or wide nets thin it out; the last iteration is
    always kept).
    """

    init: str = "zeros"
    bias_init: str = "zeros"
    activation: str = "relu"
    hidden_units: tuple = (128,)
    dropout: float = 0.0
    iterations: int = 100
    batch_size: int = 100
    optimizer: str = "sgd"
    learning_rate: float | None = None
    seed: int = 0
    dataset: str = "mnist"
    data_dir: str | None = None
    init_value: float | None = None
    output_init: str | None = None
    symmetry_every: int = 1

    def __post_init__(self):
        if self.symmetry_every < 1:
            raise ValueError(
                "`symmetry_every` must be >= 1. Received: "
                f"symmetry_every={self.symmetry_every}"
            )
        uses_constant = "constant" in (
            self.init,
            self.bias_init,
            self.output_init,
        )
        if uses_constant and self.init_value is None:
            raise ValueError(
                "The constant initializer needs a fill value (--init_value). "
                f"Received: init_value={self.init_value}"
            )
        if self.init_value is not None and not uses_constant:
            raise ValueError(
                "`init_value` only applies to the constant initializer; "
                "pass init='constant' (or bias_init / output_init). "
                f"Received: init={self.init!r}, init_value={self.init_value}"
            )

    def initializer(self, name):
        """A registry name, or a Constant instance holding `init_value`."""
        if name == "constant":
            return initializers.get("constant", value=self.init_value)
        return name

    def train_config(self):
        return training.TrainConfig(
            iterations=self.iterations,
            batch_size=self.batch_size,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            seed=self.seed,
        )


def build_model(config):
    """The MLP a config describes, seeded with `config.seed`."""
    return models.mlp(
        hidden_units=config.hidden_units,
        activation=config.activation,
        kernel_initializer=config.initializer(config.init),
        bias_initializer=config.initializer(config.bias_init),
        dropout=config.dropout,
        seed=config.seed,
        output_kernel_initializer=None
        if config.output_init is None
        else config.initializer(config.output_init),
    )


def layer_distinct_units(model):
    """Distinct units (see `symmetry.distinct_units`) per hidden layer."""
    return [
        symmetry.distinct_units(layer.kernel.numpy(), layer.bias.numpy())
        for layer in signals.hidden_layers(model)
    ]


# Examples whose activations the TensorBoard histograms show: the first of
# the training set, enough for a smooth histogram of every unit.
SUMMARY_PROBE_SIZE = 500


def run_name(config):
    """A folder name for a run's summaries: init, activation, extras, seed.

    Runs that differ in any of these get different folders under one
    `--logdir`, so TensorBoard lists them side by side, e.g.
    "zeros_relu_seed0" or "constant0.05_sigmoid_dropout0.5_seed1".
    """
    init = config.init
    if init == "constant":
        init += f"{config.init_value:g}"
    parts = [init]
    if config.output_init is not None:
        parts.append(f"output-{config.output_init}")
    if config.bias_init != "zeros":
        parts.append(f"bias-{config.bias_init}")
    parts.append(config.activation)
    if config.dropout:
        parts.append(f"dropout{config.dropout:g}")
    if config.optimizer != "sgd":
        parts.append(config.optimizer)
    parts.append(f"seed{config.seed}")
    return "_".join(parts)


def run_classifier(config, dataset=None, callbacks=(), logdir=None):
    """Trains and evaluates the model of `config`; returns its record.

    Args:
        config: a `ClassifierConfig`.
        dataset: an already loaded `data.Dataset` (loaded from `config` when
            None).
        callbacks: extra Keras callbacks for the training loop.
        logdir: a folder for TensorBoard summaries of this run (see
            `callbacks.TensorBoardSummaries`; histograms every eval, test
            loss and accuracy at the last iteration), or None. Not part of
            the config: where summaries go does not change the run.

    Returns:
        The metrics dict: `config`, `train_loss`, `eval_iterations`,
        `eval_loss`, `test_loss`, `test_accuracy`, `distinct_units` (after
        training) and `distinct_units_at_init`, `status`, `data_source`,
        `symmetry` (per hidden layer and iteration, see
        `callbacks.SymmetryMonitor`) and `prior` (does the model answer one
        class for every test image, and what that scores: see
        `prior_lib.prior_check`).
    """
    train_config = config.train_config()
    if dataset is None:
        dataset = data.load(config.dataset, config.data_dir)
    keras.utils.set_random_seed(config.seed)
    model = build_model(config)
    at_init = layer_distinct_units(model)
    monitor = callbacks_lib.SymmetryMonitor(every=config.symmetry_every)
    summaries = []
    if logdir is not None:
        probe = (
            dataset.x_train[:SUMMARY_PROBE_SIZE],
            dataset.y_train[:SUMMARY_PROBE_SIZE],
        )
        summaries.append(
            callbacks_lib.TensorBoardSummaries(
                logdir,
                histogram_every=train_config.eval_every,
                probe=probe,
                symmetry=monitor,
            )
        )
    result = training.train(
        model,
        dataset.x_train,
        dataset.y_train,
        train_config,
        [monitor, *summaries, *callbacks],
    )
    test_loss, test_accuracy, predictions = training.evaluate_with_predictions(
        model, dataset.x_test, dataset.y_test
    )
    for summary in summaries:
        summary.write_scalars(
            {"test/loss": test_loss, "test/accuracy": test_accuracy}
        )
    prior = prior_lib.prior_check(dataset.y_train, dataset.y_test, predictions)
    if not math.isfinite(test_loss):
        result["status"] = training.STATUS_DIVERGED
    record = {
        "config": {
            **dataclasses.asdict(config),
            "learning_rate": train_config.effective_learning_rate,
        },
        **result,
        "test_loss": test_loss,
        "test_accuracy": test_accuracy,
        "distinct_units_at_init": at_init,
        "distinct_units": layer_distinct_units(model),
        "data_source": dataset.source,
        "symmetry": monitor.history,
        "prior": prior,
    }
    return record
