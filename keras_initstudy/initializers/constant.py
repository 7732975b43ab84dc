"""Constant initializers: `Zeros`, `Ones`, `Constant`.

They are Keras's own classes (same values, same configs). `Constant` adds
the check that its value is a number, fills float64 weights with the value
itself rather than its float32 rounding, and builds from an empty config.
Registered under this package's names by `keras_initstudy.initializers`.
"""

import keras

from keras_initstudy.initializers import _checks


class Constant(keras.initializers.Constant):
    """Initializer that fills every weight with the same value.

    Any identical constant, zero or not, makes every hidden unit of a layer
    compute the same function and receive the same gradient: the layer then
    behaves like a single unit for the whole of training.

    Examples:

    >>> init = Constant(0.05)
    >>> values = init(shape=(2, 2))
    >>> layer = keras.layers.Dense(3, kernel_initializer=Constant(0.05))

    Args:
        value: the fill value (a Python number).
    """

    def __init__(self, value=0.0):
        super().__init__(_checks.number("value", value))

    def __call__(self, shape, dtype=None):
        # Keras's Constant casts the Python value to float32 on the way, so
        # float64 weights would get 0.30000001 for 0.3; `full` is exact in
        # every dtype.
        return keras.ops.full(
            shape, self.value, dtype=dtype or keras.config.floatx()
        )

    @classmethod
    def from_config(cls, config):
        # Keras's requires a "value" key (it may hold a serialized tensor),
        # so `keras.initializers.get("keras_initstudy>Constant")`, an empty
        # config, would fail; ours is a number with a default.
        return cls(**config)


class Zeros(keras.initializers.Zeros):
    """Initializer that sets every weight to 0.

    Safe for linear and logistic regression and for biases; fatal for the
    weights of a hidden layer (see the package README).

    Examples:

    >>> values = Zeros()(shape=(2, 2))
    >>> layer = keras.layers.Dense(3, kernel_initializer=Zeros())
    """


class Ones(keras.initializers.Ones):
    """Initializer that sets every weight to 1.

    Useful for scales (e.g. of a normalization layer); for the kernel of a
    hidden layer it is as symmetric as zeros.

    Examples:

    >>> values = Ones()(shape=(2, 2))
    >>> layer = keras.layers.Dense(3, bias_initializer=Ones())
    """
