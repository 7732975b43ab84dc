"""Argument checks shared by the initializer families.

Each returns the checked value or raises a ValueError whose message ends
`Received: name=value`, the Keras convention.
"""

import numbers


def number(name, value):
    """Returns `value` as a float; rejects bools and non-numbers."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"`{name}` must be a number. Received: {name}={value!r}"
        )
    return float(value)


def positive(name, value):
    """Returns `value` as a float; rejects non-numbers and values <= 0."""
    checked = number(name, value)
    if not checked > 0:
        raise ValueError(f"`{name}` must be positive. Received: {name}={value}")
    return checked


def seed(value):
    """Returns an int or None; Keras's SeedGenerator seeds are refused.

    A SeedGenerator would make an initializer return new values on every
    call, which the model factory and `check_shared_initializers` assume
    does not happen.
    """
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int)
    ):
        raise ValueError(
            f"`seed` must be an int or None. Received: seed={value!r}"
        )
    return value


def rank(shape, minimum, what):
    """Returns `shape` as a tuple; rejects ranks below `minimum`."""
    shape = tuple(shape)
    if len(shape) < minimum:
        raise ValueError(
            f"{what} needs a shape of rank {minimum} or more. "
            f"Received: shape={shape!r}"
        )
    return shape
