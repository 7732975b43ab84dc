"""One-dimensional root finding: bracket a sign change, then narrow it."""

from keras_initstudy.theory.errors import MeanFieldError

# Illinois converges superlinearly; a search that needs more steps than
# this has met a function it cannot handle (one that is not continuous).
MAX_STEPS = 200


def bracket(fn, start, value, step, low, high, downhill=False):
    """`(a, b, fn(a), fn(b))` with a sign change, stepping from start.

    `value` is fn(start). Steps up while it is < 0 and down while it is
    > 0 (the other way round when downhill), within [low, high]; returns
    None if the sign never changes.
    """
    direction = 1.0 if (value < 0) != downhill else -1.0
    point = start
    while low <= point + direction * step <= high:
        following = point + direction * step
        following_value = fn(following)
        if (following_value < 0) != (value < 0):
            return point, following, value, following_value
        point, value = following, following_value
    return None


def find(fn, a, b, fa, fb, xtol, received):
    """A root of fn between a and b, where fa and fb differ in sign.

    The Illinois method: regula falsi that halves the value kept at a
    stale end, so it converges superlinearly and never leaves the bracket.
    """
    for _ in range(MAX_STEPS):
        if abs(b - a) <= xtol * max(1.0, abs(b)):
            return b
        c = b - fb * (b - a) / (fb - fa)
        fc = fn(c)
        if fc == 0.0:
            return c
        if (fc < 0) == (fb < 0):
            fa /= 2.0
        else:
            a, fa = b, fb
        b, fb = c, fc
    raise MeanFieldError(
        f"The root search did not converge in {MAX_STEPS} "
        f"steps. Received: {received}"
    )
