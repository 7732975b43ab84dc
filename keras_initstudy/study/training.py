"""One training loop for every experiment.

`train` runs plain minibatch gradient descent for a fixed number of
iterations and records what the article plots: the loss of each minibatch
(not Keras's running epoch mean), the loss on a fixed evaluation subset every
`eval_every` iterations, and whether the run diverged. Keras callbacks get
`on_train_begin`, `on_train_batch_end` (with `logs["loss"]`) and
`on_train_end`, so monitors written for `model.fit` work here too; where the
loop evaluates, the logs also carry `"eval_loss"` (in `on_train_begin` for
iteration 0, in `on_train_batch_end` for the update just made).
"""

import dataclasses
import math
import weakref

import keras
import numpy as np
import tensorflow as tf

OPTIMIZERS = ("sgd", "momentum", "adam")
DEFAULT_LEARNING_RATES = {"sgd": 0.1, "momentum": 0.01, "adam": 0.001}
STATUS_OK = "ok"
STATUS_DIVERGED = "diverged"


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """How to train.

    Attributes:
        iterations: number of minibatch updates.
        batch_size: examples per minibatch.
        optimizer: one of `OPTIMIZERS` ("momentum" is SGD with momentum 0.9).
        learning_rate: None picks `DEFAULT_LEARNING_RATES[optimizer]`.
        seed: seeds the minibatch order (the training set is shuffled with
            it, and reshuffled for each pass).
        eval_every: evaluate the fixed subset every this many iterations.
        eval_size: size of the fixed evaluation subset (the first examples
            of the training set).
        divergence_threshold: a loss above this (or not finite) marks the
            run "diverged" and stops it. Cross-entropy starts near
            ln(classes) ~ 2.3, so 1e4 is far beyond any run that is still
            learning, while logits that blew up reach it within a few steps.
    """

    iterations: int = 100
    batch_size: int = 100
    optimizer: str = "sgd"
    learning_rate: float | None = None
    seed: int = 0
    eval_every: int = 10
    eval_size: int = 10_000
    divergence_threshold: float = 1e4

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"Unknown optimizer; valid: {', '.join(OPTIMIZERS)}. "
                f"Received: optimizer={self.optimizer!r}"
            )
        for field in ("iterations", "batch_size", "eval_every", "eval_size"):
            if getattr(self, field) < 1:
                raise ValueError(
                    f"`{field}` must be >= 1. Received: "
                    f"{field}={getattr(self, field)}"
                )
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise ValueError(
                "`learning_rate` must be positive. Received: "
                f"learning_rate={self.learning_rate}"
            )

    @property
    def effective_learning_rate(self):
        if self.learning_rate is None:
            return DEFAULT_LEARNING_RATES[self.optimizer]
        return self.learning_rate


def make_optimizer(name, learning_rate):
    """Returns a Keras optimizer by name (see `OPTIMIZERS`)."""
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate)
    if name == "momentum":
        return keras.optimizers.SGD(learning_rate, momentum=0.9)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    raise ValueError(
        f"Unknown optimizer; valid: {', '.join(OPTIMIZERS)}. "
        f"Received: name={name!r}"
    )


def _cross_entropy(labels, logits):
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits
        )
    )


def _healthy(loss, config):
    return math.isfinite(loss) and loss <= config.divergence_threshold


def minibatch_indices(num_examples, batch_size, iterations, seed):
    """Yields index arrays: the data shuffled with `seed`, reshuffled per pass.

    Every minibatch is full: a pass ends when fewer than `batch_size`
    examples remain, and the next pass starts from a new permutation.
    """
    if batch_size > num_examples:
        raise ValueError(
            f"`batch_size` exceeds the {num_examples} training examples. "
            f"Received: batch_size={batch_size}"
        )
    rng = np.random.default_rng(seed)
    per_pass = num_examples // batch_size
    done = 0
    while done < iterations:
        order = rng.permutation(num_examples)
        for b in range(min(per_pass, iterations - done)):
            yield order[b * batch_size : (b + 1) * batch_size]
        done += per_pass


# Tensors of read-only NumPy arrays, by the array's id and the rows taken;
# an entry goes when its array is garbage collected.
_TENSORS = {}


def as_tensor(array, rows=None):
    """`array[:rows]` (all of it for None) as a tensor, copied once per
    read-only NumPy array and `rows`.

    Every run of a study evaluates on the same dataset arrays (`data.Dataset`
    makes them read-only), so the copy into a tensor is made at the first
    run and reused by the next ones. A writable array may change between
    calls and is converted anew each time.
    """
    part = array if rows is None else array[:rows]
    if not isinstance(array, np.ndarray) or array.flags.writeable:
        return tf.convert_to_tensor(part)
    key = (id(array), rows)
    tensor = _TENSORS.get(key)
    if tensor is None:
        tensor = tf.convert_to_tensor(part)
        _TENSORS[key] = tensor
        weakref.finalize(array, _TENSORS.pop, key, None)
    return tensor


def evaluate_with_predictions(model, x, y, batch_size=10_000):
    """`(mean cross-entropy loss, accuracy, argmax classes)` in one pass.

    One forward pass serves both the test metrics and the predictions that
    `diagnostics.prior_check` inspects.
    """
    x_all, y_all = as_tensor(x), as_tensor(y)
    total_loss, correct, classes = 0.0, 0, []
    for start in range(0, len(x), batch_size):
        xb = x_all[start : start + batch_size]
        yb = y_all[start : start + batch_size]
        logits = model(xb, training=False)
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=yb, logits=logits
        )
        total_loss += float(tf.reduce_sum(losses))
        correct += int(
            tf.reduce_sum(tf.cast(tf.argmax(logits, axis=1) == yb, tf.int32))
        )
        classes.append(np.argmax(keras.ops.convert_to_numpy(logits), axis=1))
    return total_loss / len(x), correct / len(x), np.concatenate(classes)


def evaluate(model, x, y, batch_size=10_000):
    """Returns `(mean cross-entropy loss, accuracy)` of a logits model."""
    loss, accuracy, _ = evaluate_with_predictions(model, x, y, batch_size)
    return loss, accuracy


def train(model, x, y, config, callbacks=()):
    """Trains a logits classifier and returns its record.

    Args:
        model: a `keras.Model` that outputs logits.
        x, y: training images and integer labels (NumPy).
        config: a `TrainConfig`.
        callbacks: Keras callbacks.

    Returns:
        A dict with `train_loss` (one per iteration run), `eval_iterations`
        and `eval_loss` (the fixed subset, at iteration 0 and every
        `eval_every` iterations), `iterations_run` and `status` ("ok", or
        "diverged" when a loss stopped being finite or passed
        `config.divergence_threshold`; training stops there).
    """
    # One function on purpose (~70 lines): the traced step and evaluation
    # close over the model, the optimizer and the data tensors, and the loop
    # reads their results in order; split up, they would pass all of that
    # around for no reader's benefit.
    optimizer = make_optimizer(config.optimizer, config.effective_learning_rate)
    optimizer.build(model.trainable_variables)
    # Each step copies in its own minibatch. A tensor of the whole training
    # set, made once per process, would spare a study of many runs those
    # copies (a few percent of a run), but for MNIST it is 188 MB of fresh
    # memory: about a third of the CPU time of a run made alone. The
    # evaluation subset is one tensor per dataset (`as_tensor`).
    eval_x = as_tensor(x, rows=config.eval_size)
    eval_y = as_tensor(y, rows=config.eval_size)

    # No AutoGraph: the step has no tensor-dependent Python control flow,
    # and converting it costs more than the tracing itself.
    @tf.function(
        input_signature=[
            tf.TensorSpec([config.batch_size, *x.shape[1:]], x.dtype),
            tf.TensorSpec([config.batch_size], y.dtype),
        ],
        autograph=False,
    )
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = _cross_entropy(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(
            zip(grads, model.trainable_variables, strict=True)
        )
        return loss

    @tf.function(autograph=False)
    def eval_loss():
        return _cross_entropy(eval_y, model(eval_x, training=False))

    callback_list = keras.callbacks.CallbackList(list(callbacks), model=model)
    train_losses, eval_iterations, eval_losses = [], [], []
    status = STATUS_OK

    def record_eval(iteration):
        eval_iterations.append(iteration)
        eval_losses.append(float(eval_loss()))

    record_eval(0)
    callback_list.on_train_begin({"eval_loss": eval_losses[0]})
    batches = minibatch_indices(
        len(x), config.batch_size, config.iterations, config.seed
    )
    for iteration, idx in enumerate(batches, start=1):
        loss = float(train_step(tf.constant(x[idx]), tf.constant(y[idx])))
        train_losses.append(loss)
        logs = {"loss": loss}
        healthy = _healthy(loss, config)
        due = iteration % config.eval_every == 0
        if healthy and (due or iteration == config.iterations):
            record_eval(iteration)
            logs["eval_loss"] = eval_losses[-1]
            healthy = _healthy(eval_losses[-1], config)
        callback_list.on_train_batch_end(iteration - 1, logs)
        if not healthy:
            status = STATUS_DIVERGED
            break
    callback_list.on_train_end(
        {"loss": train_losses[-1] if train_losses else None}
    )
    return {
        "train_loss": train_losses,
        "eval_iterations": eval_iterations,
        "eval_loss": eval_losses,
        "iterations_run": len(train_losses),
        "status": status,
    }
