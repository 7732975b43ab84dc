"""Mean-field signal propagation through a deep, wide, random MLP.

Convention: a Dense layer has kernel entries N(0, sigma_w2 / fan_in) and
bias entries N(0, sigma_b2). Inputs of mean square q_in per coordinate give
first-layer pre-activations of variance q^1 = sigma_w2 q_in + sigma_b2, and
for a wide network each layer maps the variance on by the variance map

    q^{l+1} = sigma_w2 E[phi(sqrt(q^l) z)^2] + sigma_b2,    z ~ N(0, 1),

and the correlation c of the pre-activations of two inputs by the
correlation map (`correlation_map`). Their fixed points q*, c* and the
slopes there say how far a signal travels:

- chi1 = sigma_w2 E[phi'(sqrt(q*) z)^2], the factor by which the squared
  gradient grows per layer backwards (at q*). c* = 1 is stable iff
  chi1 < 1: the "ordered" phase, where inputs become indistinguishable
  with depth; for chi1 > 1 ("chaotic") nearby inputs decorrelate to
  c* < 1. chi1 = 1 is the critical line, the edge of chaos.
- xi_q and xi_c, the depths over which q and c approach q* and c*
  (|q^l - q*| ~ exp(-l / xi_q)); xi_c diverges on the critical line,
  where signals travel through any depth.

Gaussian expectations come from `quadrature`; derivatives of phi from
`activations`. All functions accept any activation `activations.resolve`
does.

Unbounded activations past their critical line (ReLU with sigma_w2 > 2)
have no finite q*: q^l grows geometrically. Functions that need q* then
raise `MeanFieldError`; `q_iterates` still gives the finite-depth values.

References:
    Poole, Lahiri, Raghu, Sohl-Dickstein & Ganguli 2016, "Exponential
    expressivity in deep neural networks through transient chaos".
    Schoenholz, Gilmer, Ganguli & Sohl-Dickstein 2017, "Deep Information
    Propagation" (eq. 3-9).
"""

import dataclasses
import math

import numpy as np

from keras_initstudy.theory import errors
from keras_initstudy.theory import quadrature
from keras_initstudy.theory import roots
from keras_initstudy.theory.activations import resolve
from keras_initstudy.theory.activations import values
from keras_initstudy.theory.errors import MeanFieldError

ORDERED = "ordered"
CHAOTIC = "chaotic"
CRITICAL = "critical"
PHASES = (ORDERED, CHAOTIC, CRITICAL)

# chi1 this close to 1 is the critical line: `critical_sigma_w2` finds it
# to ~1e-13, and a tolerance far above that keeps its own result critical.
CRITICAL_ATOL = 1e-9
# A q* below _Q_MIN is reported as 0 and the quantities at q* are taken at
# _Q_MIN, the limit q -> 0+ to O(_Q_MIN): at smaller q, f(q) / q - 1 drowns
# in round-off for a map with slope 1 at 0 (tanh at sigma_w2 = 1).
_Q_MIN = 1e-12
# A search for q* that passes _Q_MAX has found a variance that grows without
# bound. A finite q* above it counts as unbounded too: ReLU with
# sigma_b2 = 0.05 has q* = 0.05 / (1 - sigma_w2 / 2), above 1e12 only within
# 1e-13 of sigma_w2 = 2.
_Q_MAX = 1e12
# The search for q* brackets it in steps of this factor, then narrows the
# bracket: fixed points within one step of each other are not told apart.
_Q_STEP = math.log(4.0)
# Relative tolerance of q* and c*, and absolute one of log sigma_w2.
_XTOL = 1e-13
# |f(q0) / q0 - 1| below this: q0 itself is a fixed point (ReLU at
# sigma_w2 = 2, sigma_b2 = 0, where every q is one).
_FIXED_RTOL = 1e-14
# Where `critical_sigma_w2` looks for chi1 = 1.
_SIGMA_W2_RANGE = (1e-6, 1e6)


@dataclasses.dataclass(frozen=True)
class MeanField:
    """The mean-field description of one (sigma_w2, sigma_b2, activation).

    Attributes:
        activation: the activation's name.
        sigma_w2: fan_in times the kernel variance.
        sigma_b2: the bias variance.
        q_star: the fixed point of the variance map (0.0 when q^l decays
            to 0, as for tanh without bias in the ordered phase).
        c_star: the stable fixed point of the correlation map.
        chi1: the squared-gradient growth per layer at q*.
        chi_c: the slope of the correlation map at c*.
        xi_q: the depth scale of the approach to q* (inf when the slope
            of the variance map at q* is 1).
        xi_c: the depth scale of the approach to c* (inf when critical).
        phase: "ordered" (chi1 < 1), "chaotic" (chi1 > 1) or "critical"
            (|chi1 - 1| <= `CRITICAL_ATOL`).
    """

    activation: str
    sigma_w2: float
    sigma_b2: float
    q_star: float
    c_star: float
    chi1: float
    chi_c: float
    xi_q: float
    xi_c: float
    phase: str


def variance_map(q, sigma_w2, sigma_b2, activation):
    """q -> sigma_w2 E[phi(sqrt(q) z)^2] + sigma_b2, z ~ N(0, 1).

    Examples:

    >>> round(variance_map(1.0, 2.0, 0.0, "relu"), 12)
    1.0

    Args:
        q: the variance of a layer's pre-activations (float or array, > 0).
        sigma_w2: fan_in times the kernel variance of the next layer.
        sigma_b2: the bias variance of the next layer.
        activation: a name in `activations.NAMES` or a callable.

    Returns:
        The variance of the next layer's pre-activations, shaped like q.

    Raises:
        MeanFieldError: for a bad argument, or a moment that diverges.
    """
    act, sigma_w2, sigma_b2 = _arguments(activation, sigma_w2, sigma_b2)
    q = errors.variances("q", q)
    moment = quadrature.expect_checked(_squares(act), q)
    return _float_or_array(sigma_w2 * moment + sigma_b2)


def q_star(sigma_w2, sigma_b2, activation, q0=1.0):
    """The fixed point of the variance map reached from q0.

    Found by bracketing from q0 and narrowing the bracket. For a map that
    increases with q (it does for every name in `activations.NAMES`, on
    q in [1e-6, 1e3]) that is the fixed point the iteration
    q^{l+1} = f(q^l) converges to from q0.

    Examples:

    >>> round(q_star(1.0, 0.5, "relu"), 12)
    1.0

    Args:
        sigma_w2: fan_in times the kernel variance.
        sigma_b2: the bias variance.
        activation: a name in `activations.NAMES` or a callable.
        q0: where the search starts (> 0).

    Returns:
        q*, a float >= 0 (0.0 when q^l decays to 0).

    Raises:
        MeanFieldError: for a bad argument, a moment that diverges, or when
            q^l grows without bound (no finite fixed point).
    """
    act, sigma_w2, sigma_b2 = _arguments(activation, sigma_w2, sigma_b2)
    q0 = errors.positive("q0", q0)
    return _finite_q_star(act, sigma_w2, sigma_b2, q0)


def q_iterates(q_in, depth, sigma_w2, sigma_b2, activation):
    """The pre-activation variances q^1, ..., q^depth of a finite MLP.

    q^1 = sigma_w2 q_in + sigma_b2 (a Dense layer with kernel entries
    N(0, sigma_w2 / fan_in), bias entries N(0, sigma_b2), on inputs of mean
    square q_in per coordinate), then q^{l+1} = `variance_map`(q^l).

    Examples:

    >>> q_iterates(1.0, 3, 1.0, 0.5, "linear").round(12).tolist()
    [1.5, 2.0, 2.5]

    Args:
        q_in: the inputs' mean square per coordinate (float or array of
            one per example, > 0).
        depth: the number of Dense layers (>= 1).
        sigma_w2: fan_in times the kernel variance of every layer.
        sigma_b2: the bias variance of every layer.
        activation: a name in `activations.NAMES` or a callable.

    Returns:
        An array of shape `np.shape(q_in) + (depth,)`.

    Raises:
        MeanFieldError: for a bad argument, or a moment that diverges.
    """
    act, sigma_w2, sigma_b2 = _arguments(activation, sigma_w2, sigma_b2)
    q = sigma_w2 * errors.variances("q_in", q_in) + sigma_b2
    depth = errors.positive_int("depth", depth)
    iterates = [q]
    for _ in range(depth - 1):
        iterates.append(_variance_map(act, iterates[-1], sigma_w2, sigma_b2))
    iterates = np.stack(iterates, axis=-1)
    _check_resolved(act, iterates)
    return iterates


def correlation_map(c, q, sigma_w2, sigma_b2, activation):
    """c -> the correlation of the next layer's pair of pre-activations.

    (sigma_w2 E[phi(u1) phi(u2)] + sigma_b2) / (sigma_w2 E[phi(u1)^2] +
    sigma_b2), with u1 = sqrt(q) z1, u2 = sqrt(q) (c z1 + sqrt(1 - c^2) z2)
    (Poole et al. 2016, eq. 5). At q = q* the denominator is q*, as in
    Schoenholz et al. 2017, eq. 4; elsewhere it is the next layer's q.

    Examples:

    >>> round(correlation_map(0.5, 1.0, 1.0, 0.0, "linear"), 12)
    0.5

    Args:
        c: the correlation of a pair of pre-activations, in [-1, 1].
        q: their common variance (> 0).
        sigma_w2: fan_in times the kernel variance of the next layer.
        sigma_b2: the bias variance of the next layer.
        activation: a name in `activations.NAMES` or a callable.

    Returns:
        A float in [-1, 1].

    Raises:
        MeanFieldError: for a bad argument, or a moment that diverges.
    """
    act, sigma_w2, sigma_b2 = _arguments(activation, sigma_w2, sigma_b2)
    c = errors.correlation(c)
    q = errors.positive("q", q)
    _check_resolved(act, q, quadrature.ORDER_2D)
    return float(_correlation_map(act, c, q, sigma_w2, sigma_b2))


def chi1(sigma_w2, sigma_b2, activation, q=None):
    """sigma_w2 E[phi'(sqrt(q) z)^2]: squared-gradient growth per layer.

    Schoenholz et al. 2017, eq. 5: the ratio |dL/dh^l|^2 / |dL/dh^{l+1}|^2
    of a wide network whose layer l has pre-activation variance q.

    Examples:

    >>> chi1(2.0, 0.0, "relu")
    1.0

    Args:
        sigma_w2: fan_in times the kernel variance.
        sigma_b2: the bias variance.
        activation: a name in `activations.NAMES` or a callable.
        q: the variance to take it at (float or array, > 0); default q*.

    Returns:
        A float, or an array shaped like q.

    Raises:
        MeanFieldError: for a bad argument, a moment that diverges, or (q
            not given) no finite q*.
    """
    act, sigma_w2, sigma_b2 = _arguments(activation, sigma_w2, sigma_b2)
    if q is None:
        q = _at(_finite_q_star(act, sigma_w2, sigma_b2))
    else:
        q = errors.variances("q", q)
    moment = quadrature.expect_checked(_slopes_squared(act), q)
    return _float_or_array(sigma_w2 * moment)


def xi_q(sigma_w2, sigma_b2, activation):
    """-1 / ln(sigma_w2 E[phi'^2 + phi phi''] at q*): the depth scale of q.

    The argument of the logarithm is the slope of the variance map at q*
    (Schoenholz et al. 2017, eq. 5); its absolute value is used, so a map
    that overshoots (a negative slope) still has a depth scale.

    Examples:

    >>> round(xi_q(1.0, 0.5, "relu"), 6)  # -1 / ln(1 / 2)
    1.442695

    Raises:
        MeanFieldError: for a bad argument, a moment that diverges, or no
            finite q*.
    """
    act, sigma_w2, sigma_b2 = _arguments(activation, sigma_w2, sigma_b2)
    q = _at(_finite_q_star(act, sigma_w2, sigma_b2))
    return _depth_scale(_q_slope(act, q, sigma_w2))


def c_star(sigma_w2, sigma_b2, activation):
    """The stable fixed point of the correlation map at q*.

    1.0 in the ordered phase and on the critical line; below 1 in the
    chaotic phase (0.0 for an odd activation without bias).

    Examples:

    >>> c_star(0.5, 0.0, "tanh")
    1.0

    Raises:
        MeanFieldError: as `analyze`.
    """
    return analyze(sigma_w2, sigma_b2, activation).c_star


def chi_c(sigma_w2, sigma_b2, activation):
    """sigma_w2 E[phi'(u1) phi'(u2)] at c*: the correlation map's slope.

    Equals chi1 where c* = 1 (Schoenholz et al. 2017, eq. 8).

    Raises:
        MeanFieldError: as `analyze`.
    """
    return analyze(sigma_w2, sigma_b2, activation).chi_c


def xi_c(sigma_w2, sigma_b2, activation):
    """-1 / ln(chi_c): the depth scale of correlations (eq. 9).

    `math.inf` on the critical line, where correlations between inputs
    survive through any depth.

    Examples:

    >>> xi_c(2.0, 0.0, "relu")
    inf

    Raises:
        MeanFieldError: as `analyze`.
    """
    return analyze(sigma_w2, sigma_b2, activation).xi_c


def analyze(sigma_w2, sigma_b2, activation):
    """Every mean-field quantity of one point of the phase diagram.

    Computes q* once and everything else from it; a few milliseconds.

    Examples:

    >>> analyze(2.0, 0.0, "relu").phase
    'critical'

    Args:
        sigma_w2: fan_in times the kernel variance.
        sigma_b2: the bias variance.
        activation: a name in `activations.NAMES` or a callable.

    Returns:
        A `MeanField`.

    Raises:
        MeanFieldError: for a bad argument, a moment that diverges, no
            finite q* (an unbounded activation past its critical line), or
            a fixed point that the search does not converge to.
    """
    act, sigma_w2, sigma_b2 = _arguments(activation, sigma_w2, sigma_b2)
    q = _finite_q_star(act, sigma_w2, sigma_b2)
    at = _at(q)
    chi = float(_chi1(act, at, sigma_w2))
    if abs(chi - 1.0) <= CRITICAL_ATOL:
        phase = CRITICAL
    else:
        phase = ORDERED if chi < 1.0 else CHAOTIC
    if phase == CHAOTIC:
        c = _c_star(act, at, sigma_w2, sigma_b2)
        slope_c = float(_chi_c(act, c, at, sigma_w2))
    else:
        c, slope_c = 1.0, chi
    return MeanField(
        activation=act.name,
        sigma_w2=sigma_w2,
        sigma_b2=sigma_b2,
        q_star=q,
        c_star=c,
        chi1=chi,
        chi_c=slope_c,
        xi_q=_depth_scale(_q_slope(act, at, sigma_w2)),
        xi_c=math.inf if phase == CRITICAL else _depth_scale(slope_c),
        phase=phase,
    )


def critical_sigma_w2(sigma_b2, activation):
    """The sigma_w2 where chi1 = 1: the edge of chaos for this sigma_b2.

    Brackets the root from sigma_w2 = 1 outwards in factors of 2 within
    [1e-6, 1e6], then narrows the bracket. Where q^l grows without bound
    (ReLU-like activations past the line), chi1 is taken at q = 1e12,
    its limit for a variance that keeps growing.

    Accuracy: ~1e-12 where chi1 crosses 1 at an angle (ReLU; tanh with
    bias). Without bias, odd activations such as tanh only touch it: past
    the line q* grows like sigma_w2 - sigma_c and chi1 - 1 like
    (sigma_w2 - sigma_c)^2, so the root is found to ~1e-6.

    Examples:

    >>> round(critical_sigma_w2(0.0, "relu"), 9)
    2.0

    Args:
        sigma_b2: the bias variance (>= 0).
        activation: a name in `activations.NAMES` or a callable.

    Returns:
        A float: the critical sigma_w2.

    Raises:
        MeanFieldError: for a bad argument, a moment that diverges, or when
            chi1 does not cross 1 in the range.
    """
    act, sigma_b2 = resolve(activation), errors.bias_variance(sigma_b2)

    def excess(log_sigma_w2):
        sigma_w2 = math.exp(log_sigma_w2)
        q = _q_star(act, sigma_w2, sigma_b2, 1.0)
        return float(_chi1(act, min(_at(q), _Q_MAX), sigma_w2)) - 1.0

    low, high = (math.log(bound) for bound in _SIGMA_W2_RANGE)
    bracket = roots.bracket(excess, 0.0, excess(0.0), math.log(2.0), low, high)
    if bracket is None:
        raise MeanFieldError(
            "chi1 does not cross 1 for sigma_w2 in "
            f"[{_SIGMA_W2_RANGE[0]:g}, {_SIGMA_W2_RANGE[1]:g}]: no critical "
            f"line. Received: activation={act.name!r}, sigma_b2={sigma_b2}"
        )
    root = roots.find(
        excess,
        *bracket,
        xtol=_XTOL,
        received=f"activation={act.name!r}, sigma_b2={sigma_b2}",
    )
    return math.exp(root)


# The largest growth of the gradient's RMS `depth_sigma_w2` allows over a
# net's depth: the square root of the doctor's band's upper end, 10, so
# that a net at the chosen sigma_w2 stays well inside the band.
DEPTH_MAX_GAIN = math.sqrt(10.0)


def depth_sigma_w2(depth, sigma_b2, activation, max_gain=DEPTH_MAX_GAIN):
    """The sigma_w2 for a net of `depth` layers: q* = 1, as depth allows.

    At q* = 1 the pre-activations have unit variance at the fixed point of
    the variance map, where a saturating activation is neither linear nor
    saturated: sigma_w2 = (1 - sigma_b2) / E[phi(z)^2], z ~ N(0, 1), the
    scale LSUV finds with data. For tanh that lies in the chaotic phase
    (chi1 > 1), where the gradient's RMS grows by sqrt(chi1) a layer:
    sigma_w2 is lowered towards the critical value until the growth over
    `depth` layers, chi1^(depth / 2), is at most `max_gain`. Never below
    the critical value: a deep net then gets the edge of chaos, a shallow
    one the unit fixed point.

    Examples:

    >>> round(depth_sigma_w2(2, 0.0, "tanh"), 3)
    2.536
    >>> 1.0 <= depth_sigma_w2(100, 0.0, "tanh") < 1.1
    True

    Args:
        depth: the number of layers, a positive int.
        sigma_b2: the bias variance, in [0, 1).
        activation: a name in `activations.NAMES` or a callable.
        max_gain: the largest growth of the gradient's RMS over the depth
            (> 1): by default the square root of the doctor's band's 10.

    Returns:
        A float: sigma_w2.

    Raises:
        MeanFieldError: for a bad argument, or as `critical_sigma_w2`.
    """
    depth = errors.positive_int("depth", depth)
    act, sigma_b2 = resolve(activation), errors.bias_variance(sigma_b2)
    if not sigma_b2 < 1.0:
        raise MeanFieldError(
            f"q* = 1 needs sigma_b2 < 1. Received: sigma_b2={sigma_b2!r}"
        )
    max_gain = errors.positive("max_gain", max_gain)
    if not max_gain > 1.0:
        raise MeanFieldError(f"max_gain must be > 1. Received: {max_gain!r}")
    critical = critical_sigma_w2(sigma_b2, act)
    unit = (1.0 - sigma_b2) / float(quadrature.expect(_squares(act), 1.0))

    def log_excess(log_sigma_w2):
        sigma_w2 = math.exp(log_sigma_w2)
        q = _q_star(act, sigma_w2, sigma_b2, 1.0)
        slope = float(_chi1(act, min(_at(q), _Q_MAX), sigma_w2))
        return depth / 2 * math.log(max(slope, 1e-300)) - math.log(max_gain)

    if unit <= critical or log_excess(math.log(unit)) <= 0:
        return max(unit, critical)
    low, high = math.log(critical), math.log(unit)
    for _ in range(60):  # Bisection: chi1 grows with sigma_w2 past critical.
        middle = (low + high) / 2
        if log_excess(middle) > 0:
            high = middle
        else:
            low = middle
    return math.exp(low)


def _arguments(activation, sigma_w2, sigma_b2):
    sigma_w2 = errors.weight_variance(sigma_w2)
    sigma_b2 = errors.bias_variance(sigma_b2)
    return resolve(activation), sigma_w2, sigma_b2


def _float_or_array(array):
    return float(array) if np.ndim(array) == 0 else array


def _at(q):
    """Where to take quantities at q*: q* itself, or its limit q -> 0+."""
    return max(q, _Q_MIN)


def _squares(act):
    return lambda x: act(x) ** 2


def _check_resolved(act, q, order=quadrature.ORDER_1D):
    quadrature.check_resolved(_squares(act), q, order)


def _variance_map(act, q, sigma_w2, sigma_b2):
    return sigma_w2 * quadrature.expect(_squares(act), q) + sigma_b2


def _slopes_squared(act):
    return lambda x: values(act, x, 1)[1] ** 2


def _chi1(act, q, sigma_w2):
    return sigma_w2 * quadrature.expect(_slopes_squared(act), q)


def _q_slope(act, q, sigma_w2):
    """d/dq of the variance map: sigma_w2 E[phi'^2 + phi phi''] (Stein)."""

    def integrand(x):
        phi, slope, curvature = values(act, x, 2)
        return slope**2 + phi * curvature

    return float(sigma_w2 * quadrature.expect(integrand, q))


def _correlation_map(act, c, q, sigma_w2, sigma_b2):
    # The denominator uses the 2-D rule's own marginal nodes, so that c = 1
    # maps to 1 exactly and the bracket of `_c_star` is sound.
    cross = quadrature.expect2(lambda u1, u2: act(u1) * act(u2), q, c)
    own = quadrature.expect(_squares(act), q, quadrature.ORDER_2D)
    return (sigma_w2 * cross + sigma_b2) / (sigma_w2 * own + sigma_b2)


def _chi_c(act, c, q, sigma_w2):
    return sigma_w2 * quadrature.expect2(
        lambda u1, u2: values(act, u1, 1)[1] * values(act, u2, 1)[1], q, c
    )


def _depth_scale(slope):
    """-1 / ln|slope|: inf for a slope of modulus >= 1, 0 for slope 0."""
    slope = abs(slope)
    if slope >= 1.0:
        return math.inf
    if slope == 0.0:
        return 0.0
    return -1.0 / math.log(slope)


def _finite_q_star(act, sigma_w2, sigma_b2, q0=1.0):
    q = _q_star(act, sigma_w2, sigma_b2, q0)
    if math.isinf(q):
        raise MeanFieldError(
            "The variance map has no finite fixed point: q^l grows without "
            "bound with depth (an unbounded activation past its critical "
            f"sigma_w2). Received: activation={act.name!r}, "
            f"sigma_w2={sigma_w2}, sigma_b2={sigma_b2}"
        )
    return q


def _q_star(act, sigma_w2, sigma_b2, q0):
    """q* reached from q0: 0.0 if q^l decays to 0, inf if it diverges."""

    def gap(log_q):
        q = math.exp(log_q)
        return float(_variance_map(act, q, sigma_w2, sigma_b2)) / q - 1.0

    start = math.log(q0)
    gap_start = gap(start)
    if abs(gap_start) <= _FIXED_RTOL:
        q = q0
    else:
        low, high = math.log(_Q_MIN), math.log(_Q_MAX)
        bracket = roots.bracket(gap, start, gap_start, _Q_STEP, low, high, True)
        if bracket is None:
            return 0.0 if gap_start < 0 else math.inf
        received = (
            f"activation={act.name!r}, sigma_w2={sigma_w2}, sigma_b2={sigma_b2}"
        )
        q = math.exp(roots.find(gap, *bracket, xtol=_XTOL, received=received))
    _check_resolved(act, q)
    return q


def _c_star(act, q, sigma_w2, sigma_b2):
    """The stable c* < 1 of the chaotic phase (where chi1 > 1).

    E[phi(u1) phi(u2)] is a power series in c with coefficients >= 0
    (Mehler), so c -> map(c) - c is convex on [0, 1], >= 0 at 0, 0 at 1
    with slope chi1 - 1 > 0 there: it has one root in [0, 1), bracketed
    by 0 and a point just below 1.
    """
    _check_resolved(act, q, quadrature.ORDER_2D)

    def gap(c):
        return float(_correlation_map(act, c, q, sigma_w2, sigma_b2)) - c

    low, gap_low = 0.0, gap(0.0)
    if gap_low <= 0.0:
        return 0.0
    for exponent in range(3, 15, 2):
        high = 1.0 - 10.0**-exponent
        gap_high = gap(high)
        if gap_high < 0.0:
            return roots.find(
                gap,
                low,
                high,
                gap_low,
                gap_high,
                xtol=_XTOL,
                received=f"activation={act.name!r}, q={q}, "
                f"sigma_w2={sigma_w2}, sigma_b2={sigma_b2}",
            )
        low, gap_low = high, gap_high
    return 1.0  # Numerically on the critical line: c* is 1 to 1e-13.
