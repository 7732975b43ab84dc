"""The article's figure network, trained step by step with tf.GradientTape.

`run(ToyConfig(...))` returns, for each initialization, every forward value,
every weight's gradient and the weights after each gradient step, in the
article's layout (see `experiments/toy.py` for the notation). With all
weights equal (zero or any shared constant) the two hidden units compute
the same value, get the same gradient and stay equal to the last bit.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from keras_initstudy import initializers
from keras_initstudy.study import models


@dataclasses.dataclass(frozen=True)
class ToyConfig:
    """One toy run per name in `inits`, all from the same example."""

    inits: tuple = ("zeros", "constant", "random_normal")
    init_value: float = 0.3
    activation: str = "sigmoid"
    steps: int = 3
    learning_rate: float = 1.0
    x: tuple = (0.5, -1.0, 2.0)
    target: float = 1.0
    seed: int = 0

    def __post_init__(self):
        unknown = [i for i in self.inits if i not in initializers.REGISTRY]
        if unknown or not self.inits:
            raise ValueError(
                f"Unknown initializer; valid: {', '.join(initializers.names())}"
                f". Received: inits={list(self.inits)}"
            )
        if len(self.x) != 3:
            raise ValueError(
                f"The toy net has 3 inputs. Received: x={list(self.x)}"
            )
        if self.steps < 1:
            raise ValueError(f"`steps` must be >= 1. Received: {self.steps}")


def _initializer(name, config):
    if name == "constant":
        return initializers.get("constant", value=config.init_value)
    return name


def _weights(model):
    """Weights in the article's layout: hidden rows [w_j0..w_j3], output."""
    hidden, output = model.get_layer("hidden"), model.get_layer("output")
    return _rows(hidden.kernel, hidden.bias), _output_row(
        output.kernel, output.bias
    )


def _rows(kernel, bias):
    # Row j: [w(1)_j0 (bias), w(1)_j1, w(1)_j2, w(1)_j3].
    kernel = keras.ops.convert_to_numpy(kernel)
    bias = keras.ops.convert_to_numpy(bias)
    return np.concatenate([bias[None, :], kernel], axis=0).T.tolist()


def _output_row(kernel, bias):
    # [w(2)_0 (bias), w(2)_1, w(2)_2].
    kernel = keras.ops.convert_to_numpy(kernel)[:, 0]
    bias = keras.ops.convert_to_numpy(bias)
    return np.concatenate([bias, kernel]).tolist()


def run_case(init, config):
    """Trains the toy net from one initialization; returns every number.

    Returns:
        A dict with `init` and `steps`, one entry per gradient step:
        `forward` (z1, z2, a1, a2, y, loss before the step), `gradients`
        (`hidden`: rows [Δw(1)_j0..Δw(1)_j3] for j = 1, 2; `output`:
        [Δw(2)_0, Δw(2)_1, Δw(2)_2]) and `weights_after` (same layout).
        Values are float32 numbers as Python floats (exact).
    """
    model = models.toy_net(
        _initializer(init, config), config.activation, seed=config.seed
    )
    hidden, output = model.get_layer("hidden"), model.get_layer("output")
    hidden_init, output_init = _weights(model)
    g = keras.activations.get(config.activation)
    x = tf.constant([config.x], dtype=tf.float32)
    target = tf.constant(config.target, dtype=tf.float32)
    variables = [hidden.kernel, hidden.bias, output.kernel, output.bias]
    steps = []
    for step in range(1, config.steps + 1):
        with tf.GradientTape() as tape:
            z = tf.matmul(x, hidden.kernel) + hidden.bias
            a = g(z)
            y = g(tf.matmul(a, output.kernel) + output.bias)[0, 0]
            loss = 0.5 * tf.square(y - target)
        grads = tape.gradient(loss, variables)
        for variable, grad in zip(variables, grads, strict=True):
            variable.assign_sub(config.learning_rate * grad)
        hidden_after, output_after = _weights(model)
        steps.append(
            {
                "step": step,
                "forward": {
                    "z1": float(z[0, 0]),
                    "z2": float(z[0, 1]),
                    "a1": float(a[0, 0]),
                    "a2": float(a[0, 1]),
                    "y": float(y),
                    "loss": float(loss),
                },
                "gradients": {
                    "hidden": _rows(grads[0], grads[1]),
                    "output": _output_row(grads[2], grads[3]),
                },
                "weights_after": {
                    "hidden": hidden_after,
                    "output": output_after,
                },
            }
        )
    return {
        "init": init,
        "weights_init": {"hidden": hidden_init, "output": output_init},
        "steps": steps,
        "units_identical_every_step": all(
            s["gradients"]["hidden"][0] == s["gradients"]["hidden"][1]
            and s["weights_after"]["hidden"][0]
            == s["weights_after"]["hidden"][1]
            for s in steps
        ),
    }


def run(config):
    """Runs every initialization of `config`; returns the metrics dict."""
    return {
        "config": dataclasses.asdict(config),
        "runs": {init: run_case(init, config) for init in config.inits},
    }
