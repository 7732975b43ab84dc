"""Deep plain ReLU networks: Xavier stalls, He trains (He et al. 2015).

`run(DeepReluConfig(...))` trains a deep plain ReLU MLP on MNIST (or
another `dataset`) with SGD and momentum from each initializer with the
same budget, after measuring the per-layer activation std at init, either
at one depth ("compare") or at several ("sensitivity").
`experiments/deep_relu.py` is the binary and says what the result shows.
"""

import dataclasses
import math
import os

import keras
import numpy as np

from keras_initstudy.diagnostics import signals
from keras_initstudy.study import data
from keras_initstudy.study import models
from keras_initstudy.study import plots
from keras_initstudy.study import training

MODES = ("compare", "sensitivity")
DEFAULT_INITS = ("xavier_normal", "he_normal")


@dataclasses.dataclass(frozen=True)
class DeepReluConfig:
    """What `run` trains (all of it goes into metrics.json).

    Attributes:
        mode: "compare" or "sensitivity" (see the module docstring).
        depth: hidden layers in compare mode.
        sensitivity_depths: depths tried in sensitivity mode.
        width: units per hidden layer.
        inits: kernel initializers compared.
        iterations, batch_size, learning_rate: the training budget, the
            same for every run (SGD with momentum 0.9).
        seed: seeds initializers, the minibatch order and the probe batch.
        eval_every, eval_size: the eval-loss dots of the loss curves. A
            forward pass of a 30-layer net over 10k images costs as much as
            ~30 training steps, so the subset is kept small.
        probe_size: training images in the batch that measures the
            per-layer std at init.
        dataset: the dataset's name (`data.NAMES`).
        data_dir: folder with its IDX files (None: search).
    """

    mode: str = "compare"
    depth: int = 30
    sensitivity_depths: tuple = (5, 10, 20, 30)
    width: int = 256
    inits: tuple = DEFAULT_INITS
    iterations: int = 500
    batch_size: int = 100
    learning_rate: float = 0.005
    seed: int = 0
    eval_every: int = 50
    eval_size: int = 1000
    probe_size: int = 1000
    dataset: str = "mnist"
    data_dir: str | None = None

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(
                f"Unknown mode; valid: {', '.join(MODES)}. "
                f"Received: mode={self.mode!r}"
            )
        if self.depth < 1 or any(d < 1 for d in self.sensitivity_depths):
            raise ValueError(
                "Depths must be >= 1. Received: "
                f"depth={self.depth}, "
                f"sensitivity_depths={self.sensitivity_depths}"
            )

    def train_config(self):
        return training.TrainConfig(
            iterations=self.iterations,
            batch_size=self.batch_size,
            optimizer="momentum",
            learning_rate=self.learning_rate,
            seed=self.seed,
            eval_every=self.eval_every,
            eval_size=self.eval_size,
        )

    @property
    def depths(self):
        if self.mode == "compare":
            return (self.depth,)
        return tuple(self.sensitivity_depths)


def std_step(stds):
    """Geometric mean of the layer-to-layer std ratio, std[i+1] / std[i].

    About 1/sqrt(2) ~ 0.707 for Xavier with ReLU and 1 for He.
    """
    stds = np.asarray(stds, dtype=np.float64)
    if len(stds) < 2 or np.any(stds <= 0):
        return math.nan
    return float(np.exp(np.mean(np.diff(np.log(stds)))))


def train_one(init, depth, config, dataset, probe):
    """Builds, probes at init, trains and tests one network; its record."""
    keras.utils.set_random_seed(config.seed)
    model = models.mlp(
        hidden_units=(config.width,) * depth,
        activation="relu",
        kernel_initializer=init,
        seed=config.seed,
    )
    stats = signals.layer_signals(model, *probe)
    result = training.train(
        model, dataset.x_train, dataset.y_train, config.train_config()
    )
    test_loss, test_accuracy = training.evaluate(
        model, dataset.x_test, dataset.y_test
    )
    return {
        "init": init,
        "depth": depth,
        "init_std": stats["std"],
        "init_grad_activation_std": stats["grad_activation_std"],
        "init_std_step": std_step(stats["std"]),
        "init_verdict": signals.verdict(stats),
        **result,
        "final_train_loss": result["train_loss"][-1],
        "test_loss": test_loss,
        "test_accuracy": test_accuracy,
    }


def run(config, dataset=None):
    """Trains every (depth, init) of `config` with the same budget.

    Args:
        config: a `DeepReluConfig`.
        dataset: the loaded `data.Dataset` (`config.dataset` loaded when
            None).

    Returns:
        The metrics dict: `config`, `learning_rate`, `prior_accuracy` (the
        test share of the most frequent training digit) and `runs`, one per
        depth and init (depths outer), each with `init`, `depth`,
        `init_std` (per-layer activation std at init on a probe batch),
        `init_std_step` (see `std_step`), `init_verdict`, the training
        record (`train_loss`, `eval_iterations`, `eval_loss`, `status`),
        `final_train_loss`, `test_loss` and `test_accuracy`.
    """
    if dataset is None:
        dataset = data.load(config.dataset, config.data_dir)
    rng = np.random.default_rng(config.seed)
    idx = rng.choice(len(dataset.x_train), config.probe_size, replace=False)
    probe = (dataset.x_train[idx], dataset.y_train[idx])
    prior_class = np.argmax(np.bincount(dataset.y_train))
    return {
        "config": dataclasses.asdict(config),
        "prior_accuracy": float(np.mean(dataset.y_test == prior_class)),
        "runs": [
            train_one(init, depth, config, dataset, probe)
            for depth in config.depths
            for init in config.inits
        ],
    }


def write_figures(metrics, output_dir):
    """Loss curves and std at init (compare) or accuracy vs depth."""
    runs = metrics["runs"]
    if metrics["config"]["mode"] == "sensitivity":
        return [
            plots.depth_sensitivity(
                metrics, os.path.join(output_dir, "depth_sensitivity.png")
            )
        ]
    labels = [f"{r['init']}, {r['depth']} layers" for r in runs]
    return [
        plots.loss_curves(
            runs,
            os.path.join(output_dir, "loss_curves.png"),
            labels=labels,
            title=f"Plain ReLU MLP on "
            f"{plots.dataset_label(metrics['config']['dataset'])}, "
            "SGD + momentum",
        ),
        plots.layer_std_curves(
            runs, os.path.join(output_dir, "init_std.png"), labels=labels
        ),
    ]
