"""Part 3: how deep can a network be, given its init? One cell of the grid.

Mean-field theory (Poole et al. 2016; Schoenholz et al. 2017) says a deep
network with weights N(0, sigma_w2 / fan_in) and biases N(0, sigma_b2)
trains only up to a depth of about 6 xi_c, where the depth scale xi_c
(`keras_initstudy.theory`) diverges on the critical line chi1 = 1. A cell
of the trainability phase diagram is one such MLP (`depth` hidden layers of
`width` units), trained for a fixed budget of SGD steps on MNIST; its record
holds the training accuracy (on a fixed subset of the training set), the
test accuracy and the losses. `trainability_tasks` spans the grid; the
report fits the boundary and compares it with theory.

Every layer, the output layer included, draws its kernel with variance
sigma_w2 / fan_in (untruncated normal) and its bias with variance sigma_b2,
as in the paper.
"""

import dataclasses
import math

import keras
import numpy as np

from keras_initstudy import initializers
from keras_initstudy.diagnostics import callbacks as callbacks_lib
from keras_initstudy.study import data
from keras_initstudy.study import models
from keras_initstudy.study import training

# The examples (the first of the training set) on which the training
# accuracy and the eval loss are measured, every `EVAL_EVERY` steps and at
# the last: enough for a resolution of 0.05 % in accuracy, small enough that
# a 100-layer net evaluates it in a fraction of a training step's budget.
TRAIN_EVAL_SIZE = 2_000
EVAL_EVERY = 50


@dataclasses.dataclass(frozen=True)
class TrainabilityConfig:
    """One cell of the phase diagram (all of it goes into the record).

    Attributes:
        activation: the hidden activation ("tanh", "relu", ...).
        sigma_w2: weight variance times fan-in, > 0.
        sigma_b2: bias variance, >= 0.
        depth: number of hidden layers, >= 1.
        width: units per hidden layer.
        iterations, batch_size, optimizer, learning_rate: the budget.
        seed: seeds the weights and the minibatch order.
        dataset, data_dir: where the images come from.
    """

    activation: str = "tanh"
    sigma_w2: float = 1.75
    sigma_b2: float = 0.05
    depth: int = 10
    width: int = 128
    iterations: int = 200
    batch_size: int = 128
    optimizer: str = "sgd"
    learning_rate: float = 0.002
    seed: int = 0
    dataset: str = "mnist"
    data_dir: str | None = None

    def __post_init__(self):
        if not self.sigma_w2 > 0:
            raise ValueError(
                f"`sigma_w2` must be > 0. Received: sigma_w2={self.sigma_w2}"
            )
        if not self.sigma_b2 >= 0:
            raise ValueError(
                f"`sigma_b2` must be >= 0. Received: sigma_b2={self.sigma_b2}"
            )
        for field in ("depth", "width"):
            if getattr(self, field) < 1:
                raise ValueError(
                    f"`{field}` must be >= 1. Received: "
                    f"{field}={getattr(self, field)}"
                )

    def train_config(self):
        return training.TrainConfig(
            iterations=self.iterations,
            batch_size=self.batch_size,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            seed=self.seed,
            eval_every=EVAL_EVERY,
            eval_size=TRAIN_EVAL_SIZE,
        )


def kernel_initializer(sigma_w2):
    """Weights N(0, sigma_w2 / fan_in), untruncated (the theory's)."""
    return initializers.get(
        "variance_scaling", scale=sigma_w2, mode="fan_in", distribution="normal"
    )


def bias_initializer(sigma_b2):
    """Biases N(0, sigma_b2); zeros when sigma_b2 is 0."""
    if sigma_b2 == 0:
        return "zeros"
    return initializers.get("random_normal", stddev=math.sqrt(sigma_b2))


def build_model(config):
    """The cell's MLP, seeded with `config.seed`."""
    return models.mlp(
        hidden_units=(config.width,) * config.depth,
        activation=config.activation,
        kernel_initializer=kernel_initializer(config.sigma_w2),
        bias_initializer=bias_initializer(config.sigma_b2),
        seed=config.seed,
        name=f"mlp_{config.depth}x{config.width}",
    )


class _AccuracyCheckpoints(keras.callbacks.Callback):
    """Training accuracy on a fixed subset every `every` steps and at the
    last: the budgets the phase diagram can be read at."""

    def __init__(self, x, y, every, last):
        super().__init__()
        self.x, self.y, self.every, self.last = x, y, every, last
        self.iterations, self.accuracy = [], []

    def on_train_batch_end(self, batch, logs=None):
        iteration = batch + 1
        if iteration % self.every == 0 or iteration == self.last:
            _, accuracy = training.evaluate(self.model, self.x, self.y)
            self.iterations.append(iteration)
            self.accuracy.append(accuracy)


def run_name(config):
    """A folder name for a cell's summaries, e.g. "tanh_sw1.75_d10_seed0"."""
    return (
        f"{config.activation}_sw{config.sigma_w2:g}_sb{config.sigma_b2:g}_"
        f"d{config.depth}_w{config.width}_seed{config.seed}"
    )


def run(config, dataset=None, callbacks=(), logdir=None):
    """Trains one cell; returns its record.

    Args:
        config: a `TrainabilityConfig`.
        dataset: an already loaded `data.Dataset` (loaded from `config` when
            None).
        callbacks: extra Keras callbacks for the training loop.
        logdir: a folder for this cell's TensorBoard summaries (losses every
            step, weight and activation histograms every `EVAL_EVERY`
            steps, test loss and accuracy at the end), or None. Not part of
            the config: it never changes the record.

    Returns:
        A dict: `config`, `train_loss` (every step), `eval_iterations` and
        `eval_loss` (the fixed training subset of `TRAIN_EVAL_SIZE`
        examples), `accuracy_iterations` and `train_accuracy_curve` (that
        subset's accuracy every `EVAL_EVERY` steps and at the last),
        `train_accuracy` (the last of them), `test_accuracy`, `test_loss`,
        `iterations_run`, `status` ("ok" or "diverged") and `data_source`.
    """
    if dataset is None:
        dataset = data.load(config.dataset, config.data_dir)
    keras.utils.set_random_seed(config.seed)
    model = build_model(config)
    x_eval = dataset.x_train[:TRAIN_EVAL_SIZE]
    y_eval = dataset.y_train[:TRAIN_EVAL_SIZE]
    checkpoints = _AccuracyCheckpoints(
        x_eval, y_eval, EVAL_EVERY, config.iterations
    )
    summaries = []
    if logdir is not None:
        summaries.append(
            callbacks_lib.TensorBoardSummaries(
                logdir, histogram_every=EVAL_EVERY, probe=(x_eval, y_eval)
            )
        )
    result = training.train(
        model,
        dataset.x_train,
        dataset.y_train,
        config.train_config(),
        [checkpoints, *summaries, *callbacks],
    )
    # After the last step (also when training stopped early, diverged).
    train_loss, train_accuracy = training.evaluate(model, x_eval, y_eval)
    test_loss, test_accuracy = training.evaluate(
        model, dataset.x_test, dataset.y_test
    )
    for summary in summaries:
        summary.write_scalars(
            {"test/loss": test_loss, "test/accuracy": test_accuracy}
        )
    if not (math.isfinite(train_loss) and math.isfinite(test_loss)):
        result["status"] = training.STATUS_DIVERGED
    return {
        "config": dataclasses.asdict(config),
        **result,
        "accuracy_iterations": checkpoints.iterations,
        "train_accuracy_curve": checkpoints.accuracy,
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
        "test_loss": test_loss,
        # What a net that learned nothing scores on the subset: the share
        # of its most frequent class.
        "prior_accuracy": float(np.bincount(y_eval).max() / len(y_eval)),
        "data_source": dataset.source,
    }
