"""Gaussian expectations by Gauss-Hermite quadrature.

`expect(g, q)` is E[g(sqrt(q) z)] for z ~ N(0, 1): the sum of w_i g(x_i)
over the nodes z_i of `numpy.polynomial.hermite_e.hermegauss` (weight
exp(-z^2 / 2)), with x_i = sqrt(q) z_i and the weights scaled to sum to 1.
`expect2(g, q, c)` is the product rule for E[g(u1, u2)] with
u1 = sqrt(q) z1 and u2 = sqrt(q) (c z1 + sqrt(1 - c^2) z2), the pair of
pre-activations of the correlation map. `check_resolved` compares two node
counts, so a moment that diverges, or that the nodes cannot resolve, raises
instead of passing a wrong number on.
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
