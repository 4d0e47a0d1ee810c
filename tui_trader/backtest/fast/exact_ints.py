"""Decimal arithmetic on (coefficient, exponent) pairs of 64-bit integers, compiled: the
value is coefficient × 10^exponent, and each operation gives the coefficient and the
exponent Python's Decimal gives (a product adds the exponents, a sum takes the smaller),
so a result turns back into the very Decimal, digits and all. One difference: there is
no negative zero (Decimal's −1 × 0), which the walk never makes: it multiplies positive
figures and negates non-zero ones.

Decimal rounds a result past 28 digits; these never do. Instead every result past
4 × 10^18 raises OverflowError, and the caller runs the Decimal code: below that bound a
Decimal operation is exact, so the two agree whenever this one finishes."""

import numpy as np
from numba import njit

LIMIT = 4 * 10**18  # two such figures still add up within the 64 bits (9.2 × 10¹⁸)
POW10 = np.array([10**k for k in range(19)], np.int64)


@njit(cache=True)
def checked(value):  # type: ignore[no-untyped-def]
    if value >= LIMIT or value <= -LIMIT:
        raise OverflowError("a money figure needs more than 18 digits")
    return value


@njit(cache=True)
def fits(c, k):  # type: ignore[no-untyped-def]
    """Whether c × 10^k (k ≥ 0) is within the range."""
    return c == 0 or (k <= 18 and abs(c) < LIMIT // POW10[k])


@njit(cache=True)
def scale(c, k):  # type: ignore[no-untyped-def]
    """c × 10^k for k ≥ 0, checked."""
    if not fits(c, k):
        raise OverflowError("a money figure needs more than 18 digits")
    return c * POW10[k]


@njit(cache=True)
def mul(c1, e1, c2, e2):  # type: ignore[no-untyped-def]
    if c1 != 0 and c2 != 0 and abs(c1) >= LIMIT // abs(c2):
        raise OverflowError("a money figure needs more than 18 digits")
    return c1 * c2, e1 + e2


@njit(cache=True)
def add(c1, e1, c2, e2):  # type: ignore[no-untyped-def]
    e = min(e1, e2)
    return checked(scale(c1, e1 - e) + scale(c2, e2 - e)), e


@njit(cache=True)
def sub(c1, e1, c2, e2):  # type: ignore[no-untyped-def]
    return add(c1, e1, -c2, e2)


@njit(cache=True)
def value_mul(c1, e1, c2, e2):  # type: ignore[no-untyped-def]
    """The product of figures that are only compared, never shown: normalized, so its
    coefficient stays as small as its value allows (and the next step's does too)."""
    c1, e1 = normalize(c1, e1)
    c2, e2 = normalize(c2, e2)
    c, e = mul(c1, e1, c2, e2)
    return normalize(c, e)


@njit(cache=True)
def value_add(c1, e1, c2, e2):  # type: ignore[no-untyped-def]
    """The sum of figures that are only compared, never shown: normalized."""
    c1, e1 = normalize(c1, e1)
    c2, e2 = normalize(c2, e2)
    c, e = add(c1, e1, c2, e2)
    return normalize(c, e)


@njit(cache=True)
def digits(c):  # type: ignore[no-untyped-def]
    n, c = 1, abs(c)
    while c >= 10:
        c //= 10
        n += 1
    return n


@njit(cache=True)
def cmp(c1, e1, c2, e2):  # type: ignore[no-untyped-def]
    """-1, 0 or 1 as the first value is below, equal to or above the second; never out
    of range: figures of different signs or magnitudes are told apart unaligned."""
    s1, s2 = (c1 > 0) - (c1 < 0), (c2 > 0) - (c2 < 0)
    if s1 != s2 or s1 == 0:
        return -1 if s1 < s2 else (1 if s1 > s2 else 0)
    c1, e1 = normalize(c1, e1)
    c2, e2 = normalize(c2, e2)
    m1, m2 = digits(c1) + e1, digits(c2) + e2  # the place of the leading digit
    if m1 != m2:
        return s1 if m1 > m2 else -s1
    e = min(e1, e2)
    a, b = scale(c1, e1 - e), scale(c2, e2 - e)
    return -1 if a < b else (1 if a > b else 0)


@njit(cache=True)
def floor_div(c1, e1, c2, e2):  # type: ignore[no-untyped-def]
    """⌊value1 / value2⌋ for a positive value2: Decimal's `(a / b).to_integral_value(
    ROUND_FLOOR)`. Decimal divides to 28 digits first, which cannot land on the other side
    of an integer: the exact quotient of these coefficients is at least 1/|c1| away."""
    c1, e1 = normalize(c1, e1)
    c2, e2 = normalize(c2, e2)
    k = e1 - e2
    if k >= 0:
        return scale(c1, k) // c2
    if fits(c2, -k):
        return c1 // scale(c2, -k)
    return 0 if c1 >= 0 else -1  # the divisor is past every coefficient


@njit(cache=True)
def is_multiple(c1, e1, c2, e2):  # type: ignore[no-untyped-def]
    """value1 % value2 == 0."""
    c1, e1 = normalize(c1, e1)
    c2, e2 = normalize(c2, e2)
    if e1 >= e2:
        return scale(c1, e1 - e2) % c2 == 0
    if fits(c2, e2 - e1):
        return c1 % scale(c2, e2 - e1) == 0
    return c1 == 0  # the divisor is past every coefficient


@njit(cache=True)
def normalize(c, e):  # type: ignore[no-untyped-def]
    """Decimal.normalize: the trailing zeros stripped; zero is 0E0."""
    if c == 0:
        return 0, 0
    while c % 10 == 0:
        c //= 10
        e += 1
    return c, e
