"""exact_ints gives Python's Decimal, digits and all, on (coefficient, exponent) pairs:
every operation the compiled order path uses, against Decimal itself on random values,
and OverflowError (never a wrapped number) past its range."""

import random
from decimal import ROUND_FLOOR, Decimal

import pytest

from tui_trader.backtest.fast import exact_ints as x


def _value(rng: random.Random, positive: bool = False) -> tuple[int, int]:
    """At most 8 digits and exponents −6..2: every result within the range."""
    digits = rng.choice((1, 3, 6))
    c = rng.randrange(0 if not positive else 1, 10**digits)
    if not positive and rng.random() < 0.3:
        c = -c
    if rng.random() < 0.2:
        c *= 10 ** rng.randrange(1, 3)  # trailing zeros, kept as Decimal keeps them
    return c, rng.randrange(-6, 3)


def _d(pair: tuple[int, int]) -> Decimal:
    return Decimal(pair[0]).scaleb(pair[1])


def _same(pair: tuple[int, int], expected: Decimal) -> bool:
    """The same value, digits and exponent; Decimal's −0 (a negative times zero) is 0
    here: the walk multiplies positive figures and negates non-zero ones only."""
    got = _d(pair)
    return got == expected and got.as_tuple()[1:] == expected.as_tuple()[1:]


@pytest.mark.parametrize("seed", range(8))
def test_each_operation_gives_decimal_s_own_digits(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        a, b = _value(rng), _value(rng)
        positive = _value(rng, positive=True)
        da, db, dp = _d(a), _d(b), _d(positive)
        assert _same(x.mul(*a, *b), da * db)
        assert _same(x.add(*a, *b), da + db)
        assert _same(x.sub(*a, *b), da - db)
        assert x.cmp(*a, *b) == (da > db) - (da < db)
        assert x.floor_div(*a, *positive) == int((da / dp).to_integral_value(ROUND_FLOOR))
        assert x.is_multiple(*a, *positive) == (da % dp == 0)
        assert _same(x.normalize(*a), da.normalize())


def test_a_sum_that_cancels_is_the_zero_decimal_gives() -> None:
    """Decimal's x + (−x) is +0 with the smaller exponent: 0.00000, not -0."""
    assert repr(_d(x.add(33333, -5, -33333, -5))) == repr(Decimal("0.33333") - Decimal("0.33333"))
    assert repr(_d(x.sub(5, 0, 0, 0))) == repr(Decimal(5) - Decimal(0))


def test_comparisons_and_divisions_by_huge_figures_never_leave_the_range() -> None:
    assert x.cmp(1, 19, 1, 0) == 1 and x.cmp(-1, 19, 1, 0) == -1 and x.cmp(3, -30, 2, 5) == -1
    assert x.cmp(10**17, 0, 10**17 + 1, 0) == -1 and x.cmp(5, 40, 5, 40) == 0
    assert x.floor_div(7, 0, 3, 30) == 0 and x.floor_div(-7, 0, 3, 30) == -1
    assert x.is_multiple(7, 0, 3, 30) is False and x.is_multiple(0, 0, 3, 30) is True
    assert x.value_mul(10**17, -17, 10**17, -17) == (1, 0)  # normalized: 1 × 1


@pytest.mark.parametrize(
    "operation",
    [
        lambda: x.mul(10**10, -2, 10**9, -3),  # 10¹⁹: past the range
        lambda: x.add(5, 10, 1, -10),  # aligning needs 10²⁰
        lambda: x.floor_div(10**12, 0, 1, -9),
        lambda: x.is_multiple(10**12 + 1, 0, 1, -9),
        lambda: x.checked(-(4 * 10**18)),
    ],
)
def test_past_the_range_it_raises_and_never_wraps(operation: object) -> None:
    with pytest.raises(OverflowError, match="more than 18 digits"):
        operation()  # type: ignore[operator]
