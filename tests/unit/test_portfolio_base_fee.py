"""Spot buys whose commission Binance takes from the asset bought (the default)."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from tui_trader.core.ledger import Portfolio
from tui_trader.domain import Fill, MarketKind, Side

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def fill(side: Side, qty: str, price: str, fee: str, asset: str, trade: str) -> Fill:
    return Fill("c-1", "BTCUSDT", side, D(qty), D(price), D(fee), asset, T0, trade)


def test_base_fee_reduces_what_the_buy_receives_and_counts_at_the_fill_price() -> None:
    portfolio = Portfolio("USDT", {"USDT": D(10000)})
    position = portfolio.apply_fill(fill(Side.BUY, "0.002", "49000", "0.000002", "BTC", "1"))
    assert portfolio.balance("USDT") == D(9902)  # 0.002 · 49000 = 98, no quote fee
    assert portfolio.balance("BTC") == D("0.001998")
    assert position.quantity == D("0.001998") and position.average_entry == D(49000)
    assert portfolio.fees_paid == D("0.098") == position.fees_paid  # 0.000002 · 49000

    closed = portfolio.apply_fill(fill(Side.SELL, "0.001998", "50000", "0.0999", "USDT", "2"))
    assert not closed.is_open and portfolio.balance("BTC") == 0
    assert portfolio.balance("USDT") == D(9902) + D("99.9") - D("0.0999")
    assert portfolio.realized_pnl == D("1.998")  # 0.001998 · (50000 - 49000)


def test_fees_in_other_assets_are_still_refused() -> None:
    portfolio = Portfolio("USDT", {"USDT": D(10000)})
    with pytest.raises(ValueError, match="fee in BNB, expected USDT"):
        portfolio.apply_fill(fill(Side.BUY, "0.002", "49000", "0.0001", "BNB", "1"))
    futures = Portfolio("USDT", {"USDT": D(10000)}, MarketKind.FUTURES)
    with pytest.raises(ValueError, match="fee in BTC, expected USDT"):
        futures.apply_fill(fill(Side.BUY, "0.002", "49000", "0.000002", "BTC", "1"))
    assert portfolio.balance("USDT") == D(10000) and portfolio.fees_paid == 0
