"""Linear and logistic regression: the models zero init is fine for.

A model with no hidden layer has nothing to be symmetric: each weight
multiplies its own input, so its gradient dL/dw_i = mean(err * x_i) differs
from its neighbours' from the first step, and the loss (squared error of a
linear model, cross-entropy of a logistic one) is convex, so gradient
descent reaches the same minimum from any start, zeros included.

`linear_data` and `fit_linear` mirror the article's TensorFlow code
(`W = tf.Variable(tf.zeros([1, 3]))`, `b = tf.Variable(tf.zeros([1]))`,
`y = tf.matmul(W, x_data) + b`); `least_squares` is the closed-form answer
to compare with. `binary_logistic` and `fit_binary` cover logistic
regression with one sigmoid output (softmax regression is
`models.mlp(hidden_units=())`). `run(RegressionConfig(...))` is the whole
comparison `experiments/regression.py` records: each model from zeros and
from random init.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from keras_initstudy import initializers
from keras_initstudy.study import data
from keras_initstudy.study import models
from keras_initstudy.study import training


def linear_data(true_w, true_b, num_examples, noise, seed):
    """Synthetic data in the article's layout: `x` is (features, examples).

    Features are uniform in [0, 1) like the article's `np.random.rand`;
    targets are `true_w @ x + true_b` plus Gaussian noise of std `noise`.

    Returns:
        `(x, y)`: float32 arrays of shapes (features, N) and (N,).
    """
    rng = np.random.default_rng(seed)
    true_w = np.asarray(true_w, dtype=np.float64)
    x = rng.random((len(true_w), num_examples))
    y = true_w @ x + true_b + noise * rng.standard_normal(num_examples)
    return x.astype(np.float32), y.astype(np.float32)


def least_squares(x, y):
    """The closed-form least-squares `(w, b)` for `y ~ w @ x + b`.

    Solved in float64 with `np.linalg.lstsq` on `[x; 1]`.
    """
    design = np.concatenate(
        [np.asarray(x, np.float64).T, np.ones((x.shape[1], 1))], axis=1
    )
    solution, *_ = np.linalg.lstsq(
        design, np.asarray(y, np.float64), rcond=None
    )
    return solution[:-1], float(solution[-1])


def squared_error(w, b, x, y):
    """Mean squared error of `w @ x + b` (NumPy, float64)."""
    residual = np.asarray(w, np.float64) @ x + b - y
    return float(np.mean(residual**2))


def fit_linear(x, y, initializer, steps, learning_rate, seed=None):
    """Full-batch gradient descent on the mean squared error, as the article.

    Args:
        x: (features, N) inputs.
        y: (N,) targets.
        initializer: initializer name (or instance) for `W` and `b`.
        steps: gradient descent steps.
        learning_rate: step size.
        seed: seed for a random initializer given by name.

    Returns:
        A dict: `w` (features,), `b`, `w_init`, `b_init` and `loss` (the
        mean squared error before each step and after the last one).
    """
    w_init = initializers.get(initializer, seed=seed)
    b_init = initializers.get(
        initializer, seed=None if seed is None else seed + 1
    )
    w = tf.Variable(w_init((1, x.shape[0]), "float32"), name="W")
    b = tf.Variable(b_init((1,), "float32"), name="b")
    start_w, start_b = w.numpy()[0], float(b.numpy()[0])
    x_data, y_data = tf.constant(x), tf.constant(y)
    optimizer = keras.optimizers.SGD(learning_rate)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(w, x_data) + b - y_data))
        optimizer.apply_gradients(
            zip(tape.gradient(loss, [w, b]), [w, b], strict=True)
        )
        return loss

    losses = [float(step()) for _ in range(steps)]
    final_w, final_b = w.numpy()[0], float(b.numpy()[0])
    losses.append(squared_error(final_w, final_b, x, y))
    return {
        "w": final_w.tolist(),
        "b": final_b,
        "w_init": start_w.tolist(),
        "b_init": start_b,
        "loss": losses,
    }


def binary_logistic(num_features, initializer="zeros", seed=None):
    """Logistic regression with one output logit: p(y=1|x) = sigmoid(w.x+b).

    Args:
        num_features: input size (images are flattened).
        initializer: kernel and bias initializer name or instance.
        seed: seed for a random initializer given by name.

    Returns:
        A `keras.Model` from `(num_features,)` to one logit.
    """
    inputs = keras.Input(shape=(num_features,), name="x")
    logit = keras.layers.Dense(
        1,
        kernel_initializer=initializers.get(initializer, seed=seed)
        if isinstance(initializer, str)
        else initializer,
        bias_initializer="zeros",
        name="logit",
    )(inputs)
    return keras.Model(inputs, logit, name="binary_logistic")


def fit_binary(model, x, y, config):
    """Minibatch gradient descent on the binary cross-entropy.

    Args:
        model: a one-logit model (`binary_logistic`).
        x: (N, features) float inputs.
        y: (N,) labels in {0, 1}.
        config: a `training.TrainConfig` (iterations, batch size, optimizer,
            learning rate, seed of the minibatch order).

    Returns:
        The loss of each minibatch, a list.
    """
    optimizer = training.make_optimizer(
        config.optimizer, config.effective_learning_rate
    )

    @tf.function(reduce_retracing=True)
    def step(xb, yb):
        with tf.GradientTape() as tape:
            logits = tf.squeeze(model(xb, training=True), axis=1)
            loss = tf.reduce_mean(
                tf.nn.sigmoid_cross_entropy_with_logits(
                    labels=yb, logits=logits
                )
            )
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(
            zip(grads, model.trainable_variables, strict=True)
        )
        return loss

    y = np.asarray(y, np.float32)
    batches = training.minibatch_indices(
        len(x), config.batch_size, config.iterations, config.seed
    )
    return [
        float(step(tf.constant(x[idx]), tf.constant(y[idx]))) for idx in batches
    ]


def binary_accuracy(model, x, y):
    """Share of examples where `logit > 0` agrees with the 0/1 label."""
    logits = keras.ops.convert_to_numpy(model(tf.constant(x), training=False))
    return float(np.mean((logits[:, 0] > 0) == (np.asarray(y) == 1)))


@dataclasses.dataclass(frozen=True)
class RegressionConfig:
    """Everything that defines the three comparisons.

    The linear model's random start is N(0, 1) ("large_random"), far from
    the solution, so reaching the same answer from it means something.
    """

    true_w: tuple = (0.1, 0.2, 0.3)
    true_b: float = 0.3
    num_examples: int = 1000
    noise: float = 0.1
    linear_steps: int = 500
    linear_random_init: str = "large_random"
    random_init: str = "random_normal"
    iterations: int = 1000
    batch_size: int = 100
    learning_rate: float = 0.5
    binary_classes: tuple = (0, 1)
    seed: int = 0
    dataset: str = "mnist"
    data_dir: str | None = None

    def __post_init__(self):
        for field in ("linear_random_init", "random_init"):
            if getattr(self, field) not in initializers.REGISTRY:
                raise ValueError(
                    f"Unknown initializer; valid: "
                    f"{', '.join(initializers.names())}. Received: "
                    f"{field}={getattr(self, field)!r}"
                )
        if len(set(self.binary_classes)) != 2:
            raise ValueError(
                "`binary_classes` must be two different digits. Received: "
                f"binary_classes={self.binary_classes}"
            )

    def train_config(self):
        return training.TrainConfig(
            iterations=self.iterations,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            seed=self.seed,
            eval_every=100,
        )


def run_linear(config):
    """Linear regression from zeros and from random vs the closed form."""
    x, y = linear_data(
        config.true_w,
        config.true_b,
        config.num_examples,
        config.noise,
        config.seed,
    )
    w, b = least_squares(x, y)
    result = {
        "closed_form": {
            "w": w.tolist(),
            "b": b,
            "loss": squared_error(w, b, x, y),
        }
    }
    for key, init in (
        ("zeros", "zeros"),
        ("random", config.linear_random_init),
    ):
        fit = fit_linear(
            x, y, init, config.linear_steps, config.learning_rate, config.seed
        )
        fit["init"] = init
        fit["max_abs_weight_diff"] = float(
            np.max(np.abs(np.asarray(fit["w"]) - w))
        )
        fit["bias_diff"] = abs(fit["b"] - b)
        result[key] = fit
    return result


def run_softmax(config, dataset):
    """Softmax regression (784 -> 10) from zeros and from random."""
    result = {}
    for key, init in (("zeros", "zeros"), ("random", config.random_init)):
        keras.utils.set_random_seed(config.seed)
        model = models.mlp((), kernel_initializer=init, seed=config.seed)
        record = training.train(
            model, dataset.x_train, dataset.y_train, config.train_config()
        )
        loss, accuracy = training.evaluate(
            model, dataset.x_test, dataset.y_test
        )
        result[key] = {
            "init": init,
            **record,
            "test_loss": loss,
            "test_accuracy": accuracy,
        }
    result["accuracy_gap_points"] = 100 * abs(
        result["zeros"]["test_accuracy"] - result["random"]["test_accuracy"]
    )
    return result


def _binary_split(x, y, classes):
    keep = np.isin(y, classes)
    return x[keep].reshape(int(keep.sum()), -1), (y[keep] == classes[1])


def run_binary(config, dataset):
    """Binary logistic regression on two MNIST digits, zeros vs random."""
    classes = list(config.binary_classes)
    x_train, y_train = _binary_split(dataset.x_train, dataset.y_train, classes)
    x_test, y_test = _binary_split(dataset.x_test, dataset.y_test, classes)
    result = {"classes": classes, "test_size": int(len(y_test))}
    for key, init in (("zeros", "zeros"), ("random", config.random_init)):
        keras.utils.set_random_seed(config.seed)
        model = binary_logistic(x_train.shape[1], init, seed=config.seed)
        losses = fit_binary(model, x_train, y_train, config.train_config())
        result[key] = {
            "init": init,
            "train_loss": losses,
            "test_accuracy": binary_accuracy(model, x_test, y_test),
        }
    return result


def run(config, dataset=None):
    """Runs the three comparisons; returns the metrics dict.

    Args:
        config: a `RegressionConfig`.
        dataset: the loaded `data.Dataset` (`config.dataset`, MNIST by
            default, loaded when None).
    """
    if dataset is None:
        dataset = data.load(config.dataset, config.data_dir)
    return {
        "config": dataclasses.asdict(config),
        "linear": run_linear(config),
        "softmax": run_softmax(config, dataset),
        "binary": run_binary(config, dataset),
        "data_source": dataset.source,
    }
