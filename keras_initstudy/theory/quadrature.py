"""Gaussian expectations by Gauss-Hermite quadrature.

`expect(g, q)` is E[g(sqrt(q) z)] for z ~ N(0, 1): the sum of w_i g(x_i)
over the nodes z_i of `numpy.polynomial.hermite_e.hermegauss` (weight
exp(-z^2 / 2)), with x_i = sqrt(q) z_i and the weights scaled to sum to 1.
`expect2(g, q, c)` is the product rule for E[g(u1, u2)] with
u1 = sqrt(q) z1 and u2 = sqrt(q) (c z1 + sqrt(1 - c^2) z2), the pair of
pre-activations of the correlation map. `check_resolved` compares two node
counts, so a moment that diverges, or that the nodes cannot resolve, raises
instead of passing a wrong number on. `expect_checked` goes one step
further for one-dimensional moments: where the two node counts disagree it
integrates again with `expect_wide`, a composite Gauss-Legendre rule in x
whose panels follow the activation's bends at any q (tanh's E[phi'^2] at
q = 128, a bump of width ~1/sqrt(q) in z, which Gauss-Hermite gets 5x too
small), and raises only for a moment that diverges.
"""

import functools

import numpy as np
from numpy.polynomial import hermite_e

from keras_initstudy.theory.errors import MeanFieldError

# Node counts, all even: no node sits at 0, so a kink at 0 is never
# evaluated, and with symmetric weights ReLU's E[phi'^2] is exactly 1/2 and
# its E[phi^2] exactly q/2. Gauss-Hermite converges geometrically for smooth
# activations, the slower the larger q: saturating ones turn into steps of
# width ~1/sqrt(q) in z. Measured against closed forms and 240 nodes, 160
# nodes give tanh's E[phi^2] to 1e-15 at q = 0.5, 1e-10 at q = 2.2 and
# 5e-5 at q = 10; 64 nodes a side give erf's arcsine kernel to 1e-8 at
# q = 2, c = 0.999 and tanh's chi_c at its Schoenholz et al. point
# (q = 2.2) to 7e-6, in 4096 evaluations: cheap enough for a phase diagram.
ORDER_1D = 160
ORDER_2D = 64
# The reference for `check_resolved`: more nodes than either rule above.
ORDER_CHECK = 240
# Two node counts that disagree by more than this (relative) mean the
# moment is not resolved: it diverges (exp at large q, where the integrand
# peaks beyond the outermost nodes) or varies faster than the nodes are
# spaced (tanh at q >~ 30 with 160 nodes, q >~ 8 with 64).
CHECK_RTOL = 5e-2
# `expect_wide`: panels of this width on [-WIDE_CORE, WIDE_CORE] (where
# activations bend), then doubling out to WIDE_SPAN standard deviations;
# Gauss-Legendre with LEGENDRE_ORDER nodes on each.
WIDE_PANEL = 0.5
WIDE_CORE = 20.0
WIDE_SPAN = 12.0
LEGENDRE_ORDER = 24


@functools.cache
def _rule(order):
    z, w = hermite_e.hermegauss(order)
    w /= w.sum()
    z.setflags(write=False)
    w.setflags(write=False)
    return z, w


def expect(integrand, q, order=ORDER_1D):
    """E[integrand(sqrt(q) z)], z ~ N(0, 1), for each q.

    Args:
        integrand: maps x (an array of shape `q.shape + (order,)`) to an
            array whose last axes are x's; leading axes (several integrands
            stacked) are kept.
        q: an array of variances > 0.
        order: the number of nodes.

    Returns:
        An array of shape `lead + q.shape`.

    Raises:
        MeanFieldError: when an expectation is not finite.
    """
    z, w = _rule(order)
    q = np.asarray(q, dtype=np.float64)
    with np.errstate(all="ignore"):
        result = integrand(np.sqrt(q)[..., None] * z) @ w
    bad = ~np.isfinite(result)
    if bad.any():
        _raise_not_finite(f"q={_q_at(q, bad):.12g}")
    return result


def expect2(integrand, q, c, order=ORDER_2D):
    """E[integrand(u1, u2)] for the pair of the correlation map.

    Args:
        integrand: maps `(u1, u2)`, arrays of shapes `(order, 1)` and
            `(order, order)`, to an array of shape `lead + (order, order)`.
        q: the variance of u1 and u2 (a float > 0).
        c: their correlation, in [-1, 1].
        order: the number of nodes on each axis.

    Returns:
        An array of shape `lead` (a float for a single integrand).
    """
    z, w = _rule(order)
    root = np.sqrt(q)
    u1 = root * z[:, None]
    u2 = root * (c * z[:, None] + np.sqrt(1.0 - c * c) * z)
    with np.errstate(all="ignore"):
        result = integrand(u1, u2) @ w @ w
    if not np.all(np.isfinite(result)):
        _raise_not_finite(f"q={q:.12g}, c={c:.12g}")
    return result


def expect_wide(integrand, q, span=WIDE_SPAN):
    """E[integrand(x)], x ~ N(0, q), by composite Gauss-Legendre, one q.

    Panels of `WIDE_PANEL` on the core [-WIDE_CORE, WIDE_CORE] (the part
    within `span` standard deviations), then panels doubling in width out
    to `span` standard deviations; 0 is a panel edge, never a node.

    Args:
        integrand: maps x (a 1-D array) to an array of the same shape.
        q: one variance > 0.
        span: the standard deviations the panels cover.

    Returns:
        A float.
    """
    reach = span * np.sqrt(q)
    core = min(WIDE_CORE, reach)
    edges = [*np.arange(0.0, core, WIDE_PANEL), core]
    while edges[-1] < reach:
        edges.append(min(2.0 * edges[-1], reach))
    edges = np.unique(edges)
    edges = np.concatenate([-edges[:0:-1], edges])
    t, w = np.polynomial.legendre.leggauss(LEGENDRE_ORDER)
    low, high = edges[:-1, None], edges[1:, None]
    x = ((low + high) / 2 + (high - low) / 2 * t).ravel()
    weights = ((high - low) / 2 * w).ravel()
    density = np.exp(-(x * x) / (2.0 * q)) / np.sqrt(2.0 * np.pi * q)
    with np.errstate(all="ignore"):
        return float(np.sum(integrand(x) * weights * density))


def expect_checked(integrand, q, order=ORDER_1D):
    """`expect`, with `expect_wide` where the nodes do not resolve it.

    The nodes resolve a moment when `order` and `ORDER_CHECK` nodes agree
    to `CHECK_RTOL` and the innermost nodes lie within `WIDE_PANEL` of 0 in
    x = sqrt(q) z: activations bend on a scale of 1 in x, and beyond that
    spacing both node counts can step over a bend alike (tanh's E[phi'^2]
    at q = 1e8 is 0 to both). There the result is `expect`'s; elsewhere
    the composite rule's, checked against itself over a span of a third
    more standard deviations: a moment that changes with the span
    diverges.

    Args:
        integrand: maps x to an array of x's shape (one integrand).
        q: an array of variances > 0.
        order: the Gauss-Hermite nodes.

    Returns:
        An array shaped like q.

    Raises:
        MeanFieldError: when an expectation diverges or is not finite.
    """
    q = np.asarray(q, dtype=np.float64)
    rough = expect(integrand, q, order)
    fine = expect(integrand, q, ORDER_CHECK)
    innermost = np.min(np.abs(_rule(order)[0]))
    unresolved = (np.abs(rough - fine) > CHECK_RTOL * np.abs(fine)) | (
        np.sqrt(q) * innermost > WIDE_PANEL
    )
    if not unresolved.any():
        return rough
    result = np.array(rough, dtype=np.float64)
    for where in map(tuple, np.argwhere(unresolved)):
        wide = expect_wide(integrand, q[where])
        wider = expect_wide(integrand, q[where], WIDE_SPAN * 4 / 3)
        if not np.isfinite(wide) or abs(wide - wider) > CHECK_RTOL * abs(wider):
            raise MeanFieldError(
                "A Gaussian moment of the activation diverges: "
                f"{WIDE_SPAN:g} and {WIDE_SPAN * 4 / 3:g} standard "
                f"deviations give {wide:.6g} and {wider:.6g}. "
                f"Received: q={q[where]:.12g}"
            )
        result[where] = wide
    return result


def check_resolved(integrand, q, order):
    """Raises unless `order` nodes resolve E[integrand(sqrt(q) z)].

    Compares `order` nodes with `ORDER_CHECK` nodes for every q.

    Raises:
        MeanFieldError: when they differ by more than `CHECK_RTOL`.
    """
    q = np.asarray(q, dtype=np.float64)
    rough = expect(integrand, q, order)
    fine = expect(integrand, q, ORDER_CHECK)
    unresolved = np.abs(rough - fine) > CHECK_RTOL * np.abs(fine)
    if unresolved.any():
        where = tuple(np.argwhere(unresolved)[0])
        raise MeanFieldError(
            "A Gaussian moment of the activation diverges or is not "
            f"resolved: {order} and {ORDER_CHECK} quadrature nodes give "
            f"{rough[where]:.6g} and {fine[where]:.6g}. "
            f"Received: q={_q_at(q, unresolved):.12g}"
        )


def _q_at(q, mask):
    """The q of the first True entry of mask (shape `lead + q.shape`)."""
    where = tuple(np.argwhere(mask)[0])
    return q[where[len(where) - q.ndim :]]


def _raise_not_finite(received):
    raise MeanFieldError(
        "A Gaussian moment of the activation is not finite (it diverges, "
        f"or the activation returned inf or NaN). Received: {received}"
    )
