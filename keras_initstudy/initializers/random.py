"""Plain distributions: normal, truncated normal, uniform, and the article's
"small random" N(0, 0.01^2) and "large random" N(0, 1).

`RandomNormal`, `TruncatedNormal` and `RandomUniform` are Keras's own classes
(same draws, same seeds, same configs) with their arguments checked here:
numbers, a positive stddev, `minval < maxval`, an int or None seed, each
error ending `Received: x=...`.

Seeds, as in Keras 3: an int seed gives the same values on every call and in
every process; `seed=None` draws one seed at construction (from Python's
`random`, which `keras.utils.set_random_seed` seeds), so an instance also
returns the same values on every call. The draws are Keras's stateless
random ops, so they do not depend on the device or on a distribution
strategy. `seed` holds the seed the draws use, `get_config()` the one
passed.
"""

import keras

from keras_initstudy.initializers import _checks


class _CheckedNormal:
    """Checks the arguments of a Keras normal initializer it precedes."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(
            mean=_checks.number("mean", mean),
            stddev=_checks.positive("stddev", stddev),
            seed=_checks.seed(seed),
        )


class RandomNormal(_CheckedNormal, keras.initializers.RandomNormal):
    """Initializer drawing from a normal distribution N(mean, stddev^2).

    This is the article's "random" initialization.

    Examples:

    >>> init = RandomNormal(stddev=0.01, seed=1)
    >>> values = init(shape=(2, 2))
    >>> layer = keras.layers.Dense(3, kernel_initializer=init)

    Args:
        mean: mean of the distribution.
        stddev: standard deviation, > 0.
        seed: an int for reproducible values, or None.
    """


class TruncatedNormal(_CheckedNormal, keras.initializers.TruncatedNormal):
    """Normal N(mean, stddev^2) with draws beyond 2 stddev redrawn.

    As in Keras and TensorFlow, `stddev` is that of the normal before
    truncation: the values have standard deviation `0.8796 * stddev`. The
    variance-scaling initializers with `truncated=True` correct for this;
    this plain one does not, to match `keras.initializers.TruncatedNormal`.

    Examples:

    >>> init = TruncatedNormal(stddev=0.02, seed=1)
    >>> layer = keras.layers.Dense(3, kernel_initializer=init)

    Args:
        mean: mean of the distribution.
        stddev: standard deviation before truncation, > 0.
        seed: an int for reproducible values, or None.
    """


class RandomUniform(keras.initializers.RandomUniform):
    """Initializer drawing from a uniform distribution U(minval, maxval).

    Examples:

    >>> init = RandomUniform(-0.1, 0.1, seed=1)
    >>> layer = keras.layers.Dense(3, kernel_initializer=init)

    Args:
        minval: lower bound (included).
        maxval: upper bound (excluded), > minval.
        seed: an int for reproducible values, or None.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        checked = (
            _checks.number("minval", minval),
            _checks.number("maxval", maxval),
        )
        if not checked[0] < checked[1]:
            raise ValueError(
                "`minval` must be less than `maxval`. "
                f"Received: minval={minval}, maxval={maxval}"
            )
        super().__init__(*checked, seed=_checks.seed(seed))


class _FixedNormal(RandomNormal):
    """N(0, stddev^2) with the stddev set by the subclass: only a seed."""

    fixed_stddev = None

    def __init__(self, seed=None):
        super().__init__(mean=0.0, stddev=self.fixed_stddev, seed=seed)

    def get_config(self):
        return {"seed": super().get_config()["seed"]}


class SmallRandom(_FixedNormal):
    """The article's "small random" initialization: N(0, 0.01^2).

    Fine for shallow networks; in deep tanh networks the activations shrink
    layer by layer towards 0 (vanishing signals).

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=SmallRandom(seed=1))

    Args:
        seed: an int for reproducible values, or None.
    """

    fixed_stddev = 0.01


class LargeRandom(_FixedNormal):
    """A "large random" initialization: N(0, 1).

    Saturates tanh and sigmoid units and makes ReLU signals explode with
    depth.

    Examples:

    >>> layer = keras.layers.Dense(3, kernel_initializer=LargeRandom(seed=1))

    Args:
        seed: an int for reproducible values, or None.
    """

    fixed_stddev = 1.0
