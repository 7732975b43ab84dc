r"""Signals layer by layer in a deep MLP: random vs Xavier vs He at init.

Reproduces the experiment of Glorot & Bengio (2010) and of the CS231n notes
("Setting up the data and the model", the 10-layer tanh demo): one batch
goes through a deep MLP (default 10 hidden layers of 500 units) and, layer
by layer, we record the activations' mean, std and histogram, the std of
the loss gradients with respect to the activations and to the weights,
the saturated share (tanh, sigmoid) and the dead ReLUs, plus a verdict
(see `keras_initstudy.signals.verdict`):

- small random N(0, 0.01²): the signal vanishes (tanh, relu, sigmoid);
- large random N(0, 1): tanh and sigmoid saturate, relu explodes;
- Xavier keeps tanh stable, He keeps relu stable.

No training happens: this is the network at initialization.

Usage:
  python -m experiments.depth
  python -m experiments.depth --inputs=gaussian --activation=tanh \
      --init=small_random --output_dir=runs/depth_cs231n
"""

import dataclasses
import os

from absl import app
from absl import flags
from absl import logging

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_initstudy import data  # noqa: E402
from keras_initstudy import initializers  # noqa: E402
from keras_initstudy import models  # noqa: E402
from keras_initstudy import plots  # noqa: E402
from keras_initstudy import records  # noqa: E402
from keras_initstudy import signals  # noqa: E402

DEFAULT_INITS = ("small_random", "large_random", "xavier_normal", "he_normal")
INPUTS = ("mnist", "gaussian")

_DEPTH = flags.DEFINE_integer(
    "depth", 10, "Number of hidden layers.", lower_bound=1
)
_WIDTH = flags.DEFINE_integer(
    "width", 500, "Units per hidden layer.", lower_bound=1
)
_ACTIVATION = flags.DEFINE_list(
    "activation",
    list(models.ACTIVATIONS),
    "Comma-separated hidden activations to try (relu, tanh, sigmoid).",
)
_INIT = flags.DEFINE_list(
    "init",
    list(DEFAULT_INITS),
    "Comma-separated kernel initializers to try (registry names).",
)
_INPUTS = flags.DEFINE_enum(
    "inputs",
    "mnist",
    list(INPUTS),
    "mnist: a random batch of real training images (784 inputs in [0, 1]); "
    "gaussian: N(0, 1) inputs of dimension --width with random labels, the "
    "CS231n demo.",
)
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", 1000, "Examples in the batch.", lower_bound=1
)
_SEED = flags.DEFINE_integer(
    "seed", 0, "Seeds the initializers and the choice of the batch."
)
_DATA_DIR = flags.DEFINE_string(
    "data_dir", None, "Folder with the MNIST IDX files (default: search)."
)
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", "runs/depth", "Where metrics.json and the figures go."
)


@flags.validator("activation", f"must be among {', '.join(models.ACTIVATIONS)}")
def _check_activation(value):
    return bool(value) and all(v in models.ACTIVATIONS for v in value)


@flags.validator("init", "must be registered initializer names")
def _check_init(value):
    return bool(value) and all(v in initializers.REGISTRY for v in value)


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

    MNIST: `batch_size` training images drawn without replacement with
    `config.seed`. Gaussian: N(0, 1) inputs of dimension `config.width` and
    uniform random labels, as in the CS231n demo (1000 x 500).
    """
    rng = np.random.default_rng(config.seed)
    if config.inputs == "gaussian":
        x = rng.standard_normal((config.batch_size, config.width))
        y = rng.integers(0, 10, size=config.batch_size)
        return x.astype(np.float32), y.astype(np.int64), (config.width,)
    if dataset is None:
        dataset = data.load("mnist", config.data_dir)
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
        dataset: a loaded MNIST `data.Dataset` (loaded when None and needed).

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


def config_from_flags():
    return DepthConfig(
        depth=_DEPTH.value,
        width=_WIDTH.value,
        activations=tuple(_ACTIVATION.value),
        inits=tuple(_INIT.value),
        inputs=_INPUTS.value,
        batch_size=_BATCH_SIZE.value,
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
    for r in metrics["runs"]:
        logging.info(
            "%-7s %-13s %-9s layer std: %s",
            r["activation"],
            r["init"],
            r["verdict"],
            " ".join(f"{s:.3g}" for s in r["std"]),
        )
    for path in write_figures(metrics, output_dir):
        logging.info("wrote %s", path)
    logging.info("wrote %s", records.write_metrics(output_dir, metrics))


if __name__ == "__main__":
    app.run(main)
