"""Statistics that diagnose an initialization: symmetry between units.

Pure NumPy over weights, so the experiments, the callbacks and the doctor
share one implementation.
"""

import numpy as np

SYMMETRY_ATOL = 1e-6
# How many coordinates (those that spread the units most) the symmetry
# screen tries; the first of them is the one `max_distance` reads.
SCREEN_ROWS = 8


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
    coordinates = _Coordinates(kernel, bias)
    return _groups(coordinates, coordinates.isolated(atol), atol)


def _groups(coordinates, isolated, atol):
    if isolated.all():
        return [[unit] for unit in range(len(isolated))]
    if coordinates.identical(atol):
        return [list(range(coordinates.units))]
    vectors = unit_vectors(coordinates.kernel, coordinates.bias).astype(
        np.float64
    )
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


class _Coordinates:
    """A layer's units as columns: one row per incoming weight (bias last).

    The kernel keeps its own layout `(fan_in, units)` (no transposed copy),
    and the spread of each coordinate over the units is computed once and
    shared by the symmetry screen and the largest pairwise distance.
    """

    def __init__(self, kernel, bias=None):
        kernel = np.asarray(kernel)
        self.kernel = kernel
        self.bias = None if bias is None else np.asarray(bias)
        self._rows = kernel.reshape(-1, kernel.shape[-1])
        units = self._rows.shape[1]
        spreads = [np.ptp(self._rows, axis=1)] if units else []
        if self.bias is not None and units:
            spreads.append(np.ptp(self.bias.reshape(1, -1), axis=1))
        self.spread = (
            np.concatenate(spreads) if spreads else np.zeros(0, np.float32)
        )

    @property
    def units(self):
        return self._rows.shape[1]

    def row(self, index):
        """Coordinate `index` over the units, in float64."""
        if index < len(self._rows):
            return self._rows[index].astype(np.float64)
        return self.bias.reshape(-1).astype(np.float64)

    def identical(self, atol):
        """Whether every unit equals every other in every coordinate.

        Zeros and any shared constant give such a layer: one group, which
        the greedy pass of `symmetry_groups` would find one unit at a time.
        """
        return atol >= 0 and self.spread.size > 0 and not self.spread.any()

    def top(self, count):
        """The `count` coordinates that spread the units most."""
        return np.argsort(self.spread, kind="stable")[-count:]

    def max_distance(self):
        if not self.spread.size:
            return 0.0
        row = self.row(int(np.argmax(self.spread)))
        return float(row.max() - row.min())

    def isolated(self, atol, coordinates=SCREEN_ROWS):
        """Marks units farther than `atol` from every other unit, cheaply.

        The greedy pass of `symmetry_groups` compares each unit with every
        group found so far, so a 128-unit layer of distinct units takes
        ~20 ms: too slow to run after every training iteration. One
        coordinate bounds the distance from below (max|a - b| >= |a_j -
        b_j|), so a unit whose value in coordinate j is more than `atol`
        from both neighbours in sorted order is in no group but its own,
        and leaving it out of the greedy pass changes no other group. The
        coordinates that spread the units most are the ones tried.
        """
        units = self.units
        isolated = np.zeros(units, dtype=bool)
        if units < 2 or not self.spread.size:
            return isolated
        # Every tried coordinate at once, one row each (a spread of NaN is
        # tried too, as `not nan <= atol`).
        tried = [j for j in self.top(coordinates) if not self.spread[j] <= atol]
        if not tried:
            return isolated
        values = np.stack([self.row(int(j)) for j in tried])
        order = np.argsort(values, axis=1, kind="stable")
        gaps = np.diff(np.take_along_axis(values, order, axis=1), axis=1) > atol
        edge = np.ones((len(tried), 1), dtype=bool)
        far = np.concatenate([edge, gaps], axis=1) & np.concatenate(
            [gaps, edge], axis=1
        )
        isolated[order[far]] = True
        return isolated


class _Screen(_Coordinates):
    """`_Coordinates` known only by their spread and their top rows.

    `max_distance` reads the first coordinate of largest spread (as
    `np.argmax` picks it), the screen's first row.
    """

    def __init__(self, spread, indices, rows):
        self.spread = spread
        self._top = dict(zip(indices.tolist(), rows, strict=True))
        self._units = rows.shape[1]

    @property
    def indices(self):
        return self._top.keys()

    @property
    def units(self):
        return self._units

    def row(self, index):
        return self._top[index].astype(np.float64)

    def top(self, count):
        # The screen's rows, largest spread first: the `count` largest. Ties
        # may pick other coordinates than `_Coordinates.top`; a unit either
        # screen marks isolated is in a group of its own, so the groups are
        # the same.
        return list(self._top)[:count]


def distinct_units(kernel, bias=None, atol=SYMMETRY_ATOL):
    """Number of distinct units in a layer (see `symmetry_groups`)."""
    return len(symmetry_groups(kernel, bias, atol))


def max_pairwise_distance(kernel, bias=None):
    """Largest max-abs difference between two units' incoming weight vectors."""
    return _Coordinates(kernel, bias).max_distance()


def symmetry_summary(kernel, bias=None, atol=SYMMETRY_ATOL):
    """`(distinct_units, max_pairwise_distance)` of a layer, in one pass.

    What `callbacks.SymmetryMonitor` records every few iterations: both
    share the per-coordinate spread, and for distinct units (any random
    init) the cheap screen proves them distinct without the greedy pass.
    """
    coordinates = _Coordinates(kernel, bias)
    groups = _groups(coordinates, coordinates.isolated(atol), atol)
    return len(groups), coordinates.max_distance()


def screened_symmetry_summary(screen, weights, atol=SYMMETRY_ATOL):
    """`symmetry_summary` from a screen computed elsewhere, e.g. in a graph.

    The screen is what `symmetry_summary` reads of a layer before its greedy
    pass: the spread of every coordinate over the units (`max - min` per
    row of `_Coordinates`, in the weights' dtype) and the rows of the
    coordinates that spread the units most. When the screen proves every
    unit distinct, as it does for any random init, the weights themselves
    are never needed, nor when it shows every unit identical (zeros, a
    shared constant); otherwise `weights()` returns `(kernel, bias)` for the
    greedy pass. The result equals `symmetry_summary(kernel, bias, atol)`.

    Args:
        screen: `(spread, indices, rows)`: the spread of each coordinate
            (bias last), the indices of the `SCREEN_ROWS` (or fewer)
            coordinates with the largest spread, the largest first, and
            those coordinates over the units, one row each.
        weights: a callable returning the layer's `(kernel, bias)`.
        atol: see `symmetry_groups`.
    """
    spread, indices, rows = (np.asarray(a) for a in screen)
    coordinates = _Screen(spread, indices, rows)
    full = None
    if spread.size and int(np.argmax(spread)) not in coordinates.indices:
        # Only with NaN weights can the screen's first row differ.
        full = _Coordinates(*weights())
    distance = (full or coordinates).max_distance()
    isolated = coordinates.isolated(atol)
    if isolated.all():
        return len(isolated), distance
    if coordinates.identical(atol):
        return 1, distance
    groups = _groups(full or _Coordinates(*weights()), isolated, atol)
    return len(groups), distance
