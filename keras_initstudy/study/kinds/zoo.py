"""One zoo model trained on one seed: does it stall? (issue 17).

`run(ZooConfig(model=...))` builds a model of `keras_initstudy.study.zoo`,
trains it on the zoo's budget (`zoo.ITERATIONS` SGD steps of
`zoo.BATCH_SIZE` examples at the model's learning rate) and records its
test accuracy next to the prior (the share of the most frequent test class)
and whether it `stalls`: ends less than `zoo.STALL_MARGIN` above that
prior. Records of several seeds per model go to `zoo.outcomes`, and from
there into the confusion matrix with the doctor's verdicts
(`zoo.confusion`).
"""

import dataclasses
import math

import numpy as np

from keras_initstudy.study import data
from keras_initstudy.study import training
from keras_initstudy.study import zoo

# Loss on a fixed training subset at the start and every this many steps
# (the curve's dots); small, so that it costs a few training steps' worth.
EVAL_EVERY = 100
EVAL_SIZE = 1_000
# Test examples per forward pass: bounds the memory of the conv nets'
# activations (10k images through 64 filters of 26x26 need 1.7 GB).
TEST_BATCH = 1_000


@dataclasses.dataclass(frozen=True)
class ZooConfig:
    """One zoo model trained on one seed (all of it goes into the record).

    Attributes:
        model: a name of `zoo.ZOO`.
        seed: seeds the weights (`zoo.ZooModel.build`), the minibatch order
            and, for synthetic inputs, the data.
        iterations, batch_size, optimizer, learning_rate: the budget; a
            learning rate of None takes the model's
            (`zoo.ZooModel.learning_rate`).
        dataset, data_dir: where the images of models with MNIST inputs
            come from (`data.load`); models with synthetic inputs ignore
            them.
    """

    model: str = "mlp_relu_he"
    seed: int = 0
    iterations: int = zoo.ITERATIONS
    batch_size: int = zoo.BATCH_SIZE
    optimizer: str = "sgd"
    learning_rate: float | None = None
    dataset: str = "mnist"
    data_dir: str | None = None

    def __post_init__(self):
        if self.model not in zoo.ZOO:
            raise ValueError(
                f"Unknown zoo model; valid: {', '.join(sorted(zoo.ZOO))}. "
                f"Received: model={self.model!r}"
            )

    @property
    def effective_learning_rate(self):
        if self.learning_rate is None:
            return zoo.ZOO[self.model].learning_rate
        return self.learning_rate

    def train_config(self):
        return training.TrainConfig(
            iterations=self.iterations,
            batch_size=self.batch_size,
            optimizer=self.optimizer,
            learning_rate=self.effective_learning_rate,
            seed=self.seed,
            eval_every=EVAL_EVERY,
            eval_size=EVAL_SIZE,
        )


def configs(seeds=(0, 1), **budget):
    """A `ZooConfig` per zoo model and seed, models in `zoo.ZOO` order.

    Args:
        seeds: the seeds of every model.
        **budget: other `ZooConfig` fields, the same for every run.
    """
    return [
        ZooConfig(model=name, seed=seed, **budget)
        for name in zoo.ZOO
        for seed in seeds
    ]


def run(config, dataset=None, callbacks=()):
    """Trains one zoo model; returns its record.

    Args:
        config: a `ZooConfig`.
        dataset: an already loaded `data.Dataset` for models with MNIST
            inputs (loaded from `config` when None); unused by models with
            synthetic inputs, which draw theirs from `config.seed`.
        callbacks: extra Keras callbacks for the training loop.

    Returns:
        A dict: `config` (with the learning rate used), `train_loss`
        (every step), `eval_iterations` and `eval_loss`, `iterations_run`,
        `status` ("ok" or "diverged"), `test_loss`, `test_accuracy`,
        `prior_accuracy` (the share of the most frequent test class),
        `stalls` (`zoo.stalls`: test accuracy below the prior plus
        `zoo.STALL_MARGIN`) and `data_source`.
    """
    entry = zoo.ZOO[config.model]
    if entry.inputs == zoo.SYNTHETIC:
        dataset = zoo.synthetic_tokens(config.seed)
    elif dataset is None:
        dataset = data.load(config.dataset, config.data_dir)
    model = entry.build(config.seed)
    result = training.train(
        model,
        dataset.x_train,
        dataset.y_train,
        config.train_config(),
        callbacks,
    )
    test_loss, test_accuracy = training.evaluate(
        model, dataset.x_test, dataset.y_test, batch_size=TEST_BATCH
    )
    if not math.isfinite(test_loss):
        result["status"] = training.STATUS_DIVERGED
    prior = float(np.bincount(dataset.y_test).max() / len(dataset.y_test))
    return {
        "config": {
            **dataclasses.asdict(config),
            "learning_rate": config.effective_learning_rate,
        },
        **result,
        "test_loss": test_loss,
        "test_accuracy": test_accuracy,
        "prior_accuracy": prior,
        "stalls": zoo.stalls(test_accuracy, prior),
        "data_source": dataset.source,
    }
