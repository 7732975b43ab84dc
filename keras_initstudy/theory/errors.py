"""The theory's one error, and the checks of its arguments."""

import math
import numbers

import numpy as np


class MeanFieldError(ValueError):
    """An argument the mean-field theory cannot take, or a quantity it
    cannot compute for it (a moment that diverges or is not finite, a fixed
    point that the maps never reach).

    The message ends `Received: name=value`.
    """


def real(name, value):
    """`value` as a finite float; raises `MeanFieldError` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise MeanFieldError(
            f"{name} must be a real number. Received: {name}={value!r}"
        )
    if not math.isfinite(value):
        raise MeanFieldError(f"{name} must be finite. Received: {name}={value}")
    return float(value)


def positive(name, value):
    """`value` as a finite float > 0; raises `MeanFieldError` otherwise."""
    value = real(name, value)
    if value <= 0:
        raise MeanFieldError(f"{name} must be > 0. Received: {name}={value}")
    return value


def weight_variance(sigma_w2):
    """`sigma_w2` (fan_in times the kernel variance) as a float > 0."""
    return positive("sigma_w2", sigma_w2)


def bias_variance(sigma_b2):
    """`sigma_b2` (the bias variance) as a float >= 0."""
    sigma_b2 = real("sigma_b2", sigma_b2)
    if sigma_b2 < 0:
        raise MeanFieldError(
            f"sigma_b2 must be >= 0. Received: sigma_b2={sigma_b2}"
        )
    return sigma_b2


def positive_int(name, value):
    """`value` as an int >= 1; raises `MeanFieldError` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise MeanFieldError(
            f"{name} must be an integer. Received: {name}={value!r}"
        )
    if value < 1:
        raise MeanFieldError(f"{name} must be >= 1. Received: {name}={value}")
    return int(value)


def variances(name, q):
    """`q` (a number or an array) as float64, every entry finite and > 0."""
    array = np.asarray(q, dtype=np.float64) if _is_real_array(q) else None
    if array is None:
        raise MeanFieldError(
            f"{name} must be a real number or array. Received: {name}={q!r}"
        )
    bad = ~(np.isfinite(array) & (array > 0))
    if bad.any():
        raise MeanFieldError(
            f"{name} (a variance) must be finite and > 0. "
            f"Received: {name}={array[bad].flat[0]}"
        )
    return array


def correlation(c):
    """`c` as a float in [-1, 1]; raises `MeanFieldError` otherwise."""
    c = real("c", c)
    if not -1.0 <= c <= 1.0:
        raise MeanFieldError(f"c must be in [-1, 1]. Received: c={c}")
    return c


def _is_real_array(value):
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return False
    return array.dtype.kind in "iuf" and array.size > 0
