"""Prices on screen: a tick move visible at any level, and KRW prices (tens of millions
of won) whole, so they fit the Prices columns at 80 columns."""

from decimal import Decimal

import pytest

from tui_trader.tui.format import price


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("90039000", "90039000"),  # BTCKRW on Upbit
        ("1000000.4", "1000000"),
        ("97123.45", "97123.45"),  # BTCUSDT keeps its cents
        ("2.5", "2.5000"),
        ("0.00001234", "0.000012"),
        ("0", "-"),
    ],
)
def test_prices_show_what_a_tick_moves_and_fit_their_column(value: str, shown: str) -> None:
    assert price(Decimal(value)) == shown
