from decimal import Decimal

from tui_trader.domain.enums import Side
from tui_trader.domain.rules import SymbolRules

RULES = SymbolRules(
    "BTCUSDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("0.001"),
    min_qty=Decimal("0.001"),
    max_qty=Decimal("100"),
    min_notional=Decimal("10"),
    max_notional=Decimal("100000"),
)


def test_rounding_never_more_aggressive() -> None:
    assert RULES.round_qty(Decimal("0.0019")) == Decimal("0.001")
    assert RULES.round_price(Decimal("100.019"), Side.BUY) == Decimal("100.01")
    assert RULES.round_price(Decimal("100.011"), Side.SELL) == Decimal("100.02")
    assert RULES.round_qty(Decimal("-1")) == 0


def test_valid_order_has_no_violations() -> None:
    assert RULES.violations(Decimal("0.5"), Decimal("100.01")) == []


def test_each_filter_named_with_numbers() -> None:
    assert RULES.violations(Decimal("0.5"), Decimal("100.015"))[0].startswith("PRICE_FILTER")
    assert "LOT_SIZE" in RULES.violations(Decimal("0.0005"), Decimal("100000"))[0]
    assert "not a multiple of step" in RULES.violations(Decimal("0.0015"), Decimal("10000"))[0]
    low = RULES.violations(Decimal("0.001"), Decimal("100"))
    assert low == ["NOTIONAL: 0.100 below minimum 10"]
    high = RULES.violations(Decimal("99"), Decimal("2000"))
    assert high == ["NOTIONAL: 198000 above maximum 100000"]
    assert RULES.violations(Decimal("1"), Decimal("0"))[0].startswith("PRICE_FILTER")


def test_absurd_numbers_are_refused_not_raised() -> None:
    found = RULES.violations(Decimal("1"), Decimal("1E+40"))
    assert found and "out of range" in found[0]
