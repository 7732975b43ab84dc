"""Part 3 at initialization: mean-field theory against one measured batch.

A run builds a deep Dense MLP with weights N(0, sigma_w2 / fan_in) and
biases N(0, sigma_b2) (`theory.mlp_signal`), feeds it one batch (real MNIST
training images, or N(0, 1) inputs) and records, per layer, the measured
pre-activation second moment q^l and the backward gradient ratio beside
the theory's prediction for the same batch (`theory.predict_signal`): the
q^l iterates and chi1. No training: the record is exact and cheap, and the
report draws the measured points on the theory's lines.
"""

import dataclasses

import numpy as np

from keras_initstudy import theory

INPUTS = ("mnist", "gaussian")


@dataclasses.dataclass(frozen=True)
class PropagationConfig:
    """One measured network (all of it goes into the record).

    Attributes:
        activation: the hidden activation (a `theory.ACTIVATIONS` name).
        sigma_w2: weight variance times fan-in, > 0.
        sigma_b2: bias variance, >= 0.
        depth: Dense layers, >= 2.
        width: units per layer.
        inputs: "mnist" (the first `batch_size` training images) or
            "gaussian" (N(0, 1) vectors of the images' size, seeded).
        batch_size: examples in the batch.
        seed: seeds the weights (and Gaussian inputs).
        dataset, data_dir: where the images come from.
    """

    activation: str = "tanh"
    sigma_w2: float = 1.0
    sigma_b2: float = 0.05
    depth: int = 30
    width: int = 256
    inputs: str = "mnist"
    batch_size: int = 256
    seed: int = 0
    dataset: str = "mnist"
    data_dir: str | None = None

    def __post_init__(self):
        if self.inputs not in INPUTS:
            raise ValueError(
                f"`inputs` must be one of {', '.join(INPUTS)}. "
                f"Received: inputs={self.inputs!r}"
            )


def _batch(config, dataset):
    if config.inputs == "mnist":
        return dataset.x_train[: config.batch_size]
    size = int(np.prod(dataset.x_train.shape[1:]))
    rng = np.random.default_rng(config.seed)
    return rng.standard_normal((config.batch_size, size)).astype(np.float32)


def run(config, dataset):
    """Measures one network at initialization; returns its record.

    Returns:
        A dict: `config`, `measured` (`theory.mlp_signal`'s `q_in`, `q` and
        `grad_ratio`), `predicted` (`theory.predict_signal`'s `q` and
        `grad_ratio`) and `phase`, `chi1` and `xi_c` of the point
        (`theory.analyze`; xi_c None where infinite).
    """
    x = _batch(config, dataset)
    args = (config.sigma_w2, config.sigma_b2, config.activation)
    measured = theory.mlp_signal(
        x, config.depth, config.width, *args, seed=config.seed
    )
    predicted = theory.predict_signal(x, config.depth, *args)
    try:
        point = theory.analyze(*args)
        phase, chi1, xi_c = point.phase, point.chi1, point.xi_c
    except theory.MeanFieldError:
        # No finite q*: q^l grows without bound (ReLU at or past He, with
        # biases), and chi1, which ReLU's homogeneity makes independent of
        # q, is taken at the last layer's predicted q.
        chi1 = theory.chi1(*args, q=predicted["q"][-1])
        phase = theory.CRITICAL if np.isclose(chi1, 1.0) else theory.CHAOTIC
        xi_c = np.inf
    return {
        "config": dataclasses.asdict(config),
        "measured": {key: measured[key] for key in ("q_in", "q", "grad_ratio")},
        "predicted": predicted,
        "phase": phase,
        "chi1": float(chi1),
        "xi_c": None if np.isinf(xi_c) else float(xi_c),
    }
