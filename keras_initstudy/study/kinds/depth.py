"""Signals layer by layer in a deep MLP at init: random vs Xavier vs He.

`run(DepthConfig(...))` feeds one batch (real MNIST images, or the CS231n
demo's Gaussian inputs) through a deep MLP for every (activation, init)
combination and returns, per layer, the statistics of
`keras_initstudy.diagnostics.signals.layer_signals` with a verdict.
`write_figures`
draws the histogram grids and the std-vs-layer curves from that record.
`experiments/depth.py` is the binary.
"""

import dataclasses
import os

import keras
import numpy as np

from keras_initstudy.diagnostics import signals
from keras_initstudy.study import data
from keras_initstudy.study import models
from keras_initstudy.study import plots

DEFAULT_INITS = ("small_random", "large_random", "xavier_normal", "he_normal")
INPUTS = ("mnist", "gaussian")


@dataclasses.dataclass(frozen=True)
class DepthConfig:
    """What `run` measures (all of it goes into metrics.json)."""

    depth: int = 10
    width: int = 500
    activations: tuple = models.ACTIVATIONS
    inits: tuple = DEFAULT_INITS
    inputs: str = "mnist"
    batch_size: int = 1000
    seed: int = 0
    dataset: str = "mnist"
    data_dir: str | None = None

    def __post_init__(self):
        if self.inputs not in INPUTS:
            raise ValueError(
                f"Unknown inputs; valid: {', '.join(INPUTS)}. "
                f"Received: inputs={self.inputs!r}"
            )
        for field in ("depth", "width", "batch_size"):
            if getattr(self, field) < 1:
                raise ValueError(
                    f"`{field}` must be >= 1. Received: "
                    f"{field}={getattr(self, field)}"
                )


def input_batch(config, dataset=None):
    """The batch `(x, y, input_shape)` that every combination is fed.

    "mnist" (real images of `config.dataset`, MNIST unless told
    otherwise): `batch_size` training images drawn without replacement with
    `config.seed`. Gaussian: N(0, 1) inputs of dimension `config.width` and
    uniform random labels, as in the CS231n demo (1000 x 500).
    """
    rng = np.random.default_rng(config.seed)
    if config.inputs == "gaussian":
        x = rng.standard_normal((config.batch_size, config.width))
        y = rng.integers(0, 10, size=config.batch_size)
        return x.astype(np.float32), y.astype(np.int64), (config.width,)
    if dataset is None:
        dataset = data.load(config.dataset, config.data_dir)
    if config.batch_size > len(dataset.x_train):
        raise ValueError(
            f"`batch_size` exceeds the {len(dataset.x_train)} training "
            f"images. Received: batch_size={config.batch_size}"
        )
    idx = rng.choice(len(dataset.x_train), config.batch_size, replace=False)
    return dataset.x_train[idx], dataset.y_train[idx], (28, 28)


def run(config, dataset=None):
    """Measures every (activation, init) combination of `config`.

    Args:
        config: a `DepthConfig`.
        dataset: the loaded `data.Dataset` (`config.dataset` loaded when
            None and needed).

    Returns:
        The metrics dict: `config`, `input_std` (std of the batch) and
        `runs`, one dict per combination (activations outer, inits inner)
        with `activation`, `init`, `verdict`, `forward_ratio` (last / first
        layer std), `backward_ratio` (gradient std at the first layer over
        the last) and every list of `signals.layer_signals`.
    """
    x, y, input_shape = input_batch(config, dataset)
    results = []
    for activation in config.activations:
        for init in config.inits:
            keras.utils.set_random_seed(config.seed)
            model = models.mlp(
                hidden_units=(config.width,) * config.depth,
                activation=activation,
                kernel_initializer=init,
                input_shape=input_shape,
                seed=config.seed,
            )
            stats = signals.layer_signals(model, x, y)
            grads = stats["grad_activation_std"]
            results.append(
                {
                    "activation": activation,
                    "init": init,
                    "verdict": signals.verdict(stats),
                    "forward_ratio": signals.std_ratio(
                        stats["std"][0], stats["std"][-1]
                    ),
                    "backward_ratio": signals.std_ratio(grads[-1], grads[0]),
                    **stats,
                }
            )
    return {
        "config": dataclasses.asdict(config),
        "input_std": float(np.std(x, dtype=np.float64)),
        "runs": results,
    }


def write_figures(metrics, output_dir):
    """Draws the histogram grid (one per activation) and the std curves."""
    paths = [
        plots.activation_histogram_grid(
            metrics,
            activation,
            os.path.join(output_dir, f"histograms_{activation}.png"),
        )
        for activation in metrics["config"]["activations"]
    ]
    paths.append(
        plots.signal_std_curves(
            metrics, os.path.join(output_dir, "signal_std.png")
        )
    )
    return paths
