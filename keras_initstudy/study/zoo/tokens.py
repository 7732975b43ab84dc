"""The zoo's synthetic data: token sequences with a learnable rule."""

import numpy as np

from keras_initstudy.study import data

NUM_CLASSES = 10
SEQUENCE_LENGTH = 20
VOCABULARY = 100
# The share of a sequence's tokens planted from its class: 0.5 lets a small
# bag-of-tokens model from Keras's default embedding init reach ~0.8 test
# accuracy in the zoo's budget (at 0.2 it reached 0.18).
SIGNAL_SHARE = 0.5
TRAIN_SIZE = 20_000
TEST_SIZE = 5_000


def synthetic_tokens(seed):
    """A token classification task with a learnable rule, drawn from `seed`.

    Each of the `VOCABULARY` tokens belongs to one of 10 classes (a random
    partition). A sequence of class y holds `SEQUENCE_LENGTH` tokens, each
    drawn from class y's tokens with probability `SIGNAL_SHARE` and from
    the whole vocabulary otherwise, so class y's tokens outnumber those of
    any other class about 11 to 1: a model that counts tokens reaches nearly
    perfect accuracy, while the classes are uniform (a prior of about 0.1).

    Examples:

    >>> tokens = synthetic_tokens(seed=0)
    >>> tokens.x_train.shape, tokens.x_test.shape
    ((20000, 20), (5000, 20))

    Args:
        seed: seeds the partition, the labels and the sequences.

    Returns:
        A `data.Dataset` of int32 token sequences, shape
        (N, SEQUENCE_LENGTH), and int64 labels.
    """
    rng = np.random.default_rng(seed)
    token_class = rng.permutation(VOCABULARY) % NUM_CLASSES
    members = np.stack(
        [np.flatnonzero(token_class == c) for c in range(NUM_CLASSES)]
    )

    def split(size):
        labels = rng.integers(0, NUM_CLASSES, size)
        tokens = rng.integers(0, VOCABULARY, (size, SEQUENCE_LENGTH))
        planted = rng.random(tokens.shape) < SIGNAL_SHARE
        picks = rng.integers(0, members.shape[1], tokens.shape)
        tokens = np.where(planted, members[labels[:, None], picks], tokens)
        return tokens.astype(np.int32), labels.astype(np.int64)

    x_train, y_train = split(TRAIN_SIZE)
    x_test, y_test = split(TEST_SIZE)
    return data.Dataset(
        x_train,
        y_train,
        x_test,
        y_test,
        name="synthetic_tokens",
        source=f"synthetic tokens, seed {seed}",
    )
