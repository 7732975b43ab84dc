"""Statistics that diagnose an initialization: symmetry between units.

Pure NumPy over weights, so the experiments, the callbacks and the doctor
share one implementation.
"""

import numpy as np

SYMMETRY_ATOL = 1e-6


def unit_vectors(kernel, bias=None):
    """Returns each unit's incoming weights (bias last) as the rows of a matrix.

    Args:
        kernel: a Dense kernel `(fan_in, units)`; a convolution kernel
            `(k..., in, filters)` is flattened to `(k * in, filters)`.
        bias: optional `(units,)` bias.
    """
    kernel = np.asarray(kernel)
    vectors = kernel.reshape(-1, kernel.shape[-1]).T
    if bias is not None:
        vectors = np.concatenate([vectors, np.asarray(bias)[:, None]], axis=1)
    return vectors


def symmetry_groups(kernel, bias=None, atol=SYMMETRY_ATOL):
    """Groups units whose incoming weight vectors are equal within `atol`.

    Two units are equal when the largest absolute difference between their
    incoming weights (and biases) is at most `atol`. Each unit joins the group
    of the first earlier unit it equals (a greedy pass: equality within a
    tolerance is not transitive, so the first unit of a group is its
    representative).

    Returns:
        A list of lists of unit indices, one list per group, in unit order.
    """
    vectors = unit_vectors(kernel, bias).astype(np.float64)
    isolated = _isolated_units(vectors, atol)
    representatives, groups = [], []
    for unit in np.flatnonzero(~isolated):
        v = vectors[unit]
        if representatives:
            distance = np.max(np.abs(vectors[representatives] - v), axis=1)
            match = int(np.argmin(distance))
            if distance[match] <= atol:
                groups[match].append(int(unit))
                continue
        representatives.append(int(unit))
        groups.append([int(unit)])
    groups += [[int(unit)] for unit in np.flatnonzero(isolated)]
    return sorted(groups)


def _isolated_units(vectors, atol, coordinates=8):
    """Marks units farther than `atol` from every other unit, cheaply.

    The greedy pass of `symmetry_groups` compares each unit with every
    group found so far, so a 128-unit layer of distinct units takes ~20 ms:
    too slow to run after every training iteration. One coordinate bounds
    the distance from below (max|a - b| >= |a_j - b_j|), so a unit whose
    value in coordinate j is more than `atol` from both neighbours in sorted
    order is in no group but its own, and leaving it out of the greedy pass
    changes no other group. The coordinates that spread the units most are
    the ones tried.
    """
    units = len(vectors)
    isolated = np.zeros(units, dtype=bool)
    if units < 2 or vectors.shape[1] == 0:
        return isolated
    spread = vectors.max(axis=0) - vectors.min(axis=0)
    for j in np.argsort(spread, kind="stable")[-coordinates:]:
        if spread[j] <= atol:
            continue
        order = np.argsort(vectors[:, j], kind="stable")
        gaps = np.diff(vectors[order, j]) > atol
        far_left = np.concatenate([[True], gaps])
        far_right = np.concatenate([gaps, [True]])
        isolated[order] |= far_left & far_right
    return isolated


def distinct_units(kernel, bias=None, atol=SYMMETRY_ATOL):
    """Number of distinct units in a layer (see `symmetry_groups`)."""
    return len(symmetry_groups(kernel, bias, atol))


def max_pairwise_distance(kernel, bias=None):
    """Largest max-abs difference between two units' incoming weight vectors."""
    vectors = unit_vectors(kernel, bias).astype(np.float64)
    spread = vectors.max(axis=0) - vectors.min(axis=0)
    return float(spread.max()) if spread.size else 0.0


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
