"""The "predicts the prior" check: a model that answers one class for all.

Pure NumPy over labels and predictions.
"""

import numpy as np


def label_entropy(labels, num_classes=None):
    """Entropy (in nats) of the empirical distribution of integer labels.

    This is the cross-entropy of a model that predicts the class
    frequencies for every input: the loss a network stuck at the prior has.
    """
    counts = np.bincount(np.asarray(labels), minlength=num_classes or 0)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def prior_check(y_train, y_test, predictions):
    """Detects a model that answers one class for every input.

    A network whose hidden layer carries no signal (all-zero weights with
    relu or tanh) can only learn the output biases, i.e. the class prior:
    it answers the most frequent training class for every input. Its
    accuracy is then the share of that class in the test set (1135 / 10000
    "1"s for MNIST) and its loss the entropy of the training labels.

    Examples:

    >>> check = prior_check([0, 1, 1], [1, 0], predictions=[1, 1])
    >>> check["predicts_single_class"], check["prior_accuracy"]
    (True, 0.5)

    Args:
        y_train: integer training labels.
        y_test: integer test labels.
        predictions: the model's predicted class for each test example.

    Returns:
        A dict: `predicts_single_class` (bool), `predicted_class` (the one
        class answered, or None), `predicted_class_count` (how many
        distinct classes were answered), `predicted_class_test_count` (test
        examples of the one class answered, or None: the single-class
        model's number of hits), `prior_class` (most frequent
        training class), `prior_class_train_count`, `train_size`,
        `prior_class_test_count`, `test_size`, `prior_accuracy` (accuracy
        of always answering `prior_class`), `prior_loss` (entropy of the
        training labels, nats) and `matches_prior` (the model answers
        `prior_class` for every input).
    """
    y_train = np.asarray(y_train)
    y_test = np.asarray(y_test)
    predictions = np.asarray(predictions)
    if len(predictions) != len(y_test):
        raise ValueError(
            "`predictions` needs one class per test label. Received: "
            f"{len(predictions)} predictions for {len(y_test)} labels"
        )
    train_counts = np.bincount(y_train)
    prior_class = int(np.argmax(train_counts))
    answered = np.unique(predictions)
    single = len(answered) == 1
    prior_test_count = int(np.sum(y_test == prior_class))
    return {
        "predicts_single_class": bool(single),
        "predicted_class": int(answered[0]) if single else None,
        "predicted_class_count": int(len(answered)),
        "predicted_class_test_count": int(np.sum(y_test == answered[0]))
        if single
        else None,
        "prior_class": prior_class,
        "prior_class_train_count": int(train_counts[prior_class]),
        "train_size": int(len(y_train)),
        "prior_class_test_count": prior_test_count,
        "test_size": int(len(y_test)),
        "prior_accuracy": prior_test_count / len(y_test),
        "prior_loss": label_entropy(y_train),
        "matches_prior": bool(single and answered[0] == prior_class),
    }
