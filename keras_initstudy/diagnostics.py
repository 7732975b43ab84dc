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
    representatives, groups = [], []
    for unit, v in enumerate(vectors):
        if representatives:
            distance = np.max(np.abs(vectors[representatives] - v), axis=1)
            match = int(np.argmin(distance))
            if distance[match] <= atol:
                groups[match].append(unit)
                continue
        representatives.append(unit)
        groups.append([unit])
    return groups


def distinct_units(kernel, bias=None, atol=SYMMETRY_ATOL):
    """Number of distinct units in a layer (see `symmetry_groups`)."""
    return len(symmetry_groups(kernel, bias, atol))


def max_pairwise_distance(kernel, bias=None):
    """Largest max-abs difference between two units' incoming weight vectors."""
    vectors = unit_vectors(kernel, bias).astype(np.float64)
    spread = vectors.max(axis=0) - vectors.min(axis=0)
    return float(spread.max()) if spread.size else 0.0
