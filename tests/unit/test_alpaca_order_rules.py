"""Alpaca's order rules, checked locally before anything is sent (order_rules.py): the
tick ($0.01 at or above $1, $0.0001 below), fractional shares (fractionable assets,
market orders, worth $1 or more), whole shares otherwise, no order while the market is
closed, pattern-day-trader protection, and bracket exits in order."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_trader.alpaca.day_trades import DayTradeBook
from tui_trader.alpaca.order_rules import (
    AssetRules,
    DayTrades,
    RefusedLocally,
    bracket_params,
    order_params,
)
from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.domain.orders import Fill, Order

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # 11:00 in New York, a Wednesday
AAPL = AssetRules("AAPLUSD", "AAPL", fractionable=True)
BRK = AssetRules("BRKUSD", "BRK", fractionable=False)
CASH = DayTrades(margin=False, equity=Decimal(5_000), count=0)


def order(
    side: Side, kind: OrderType, qty: str, price: str | None = None, sym: str = "AAPLUSD"
) -> Order:
    return Order(
        "tt-1",
        "i",
        sym,
        side,
        kind,
        Decimal(qty),
        Decimal(price) if price else None,
        OrderStatus.NEW,
        NOW,
        NOW,
    )


def params(
    o: Order,
    asset: AssetRules = AAPL,
    *,
    open_: bool = True,
    trades: DayTrades = CASH,
    last: str | None = "190",
) -> dict[str, str]:
    return order_params(
        o,
        asset,
        now=NOW,
        is_open=lambda now: open_,
        day_trades=trades,
        last_price=Decimal(last) if last else None,
    )


def refused(o: Order, **kwargs: object) -> str:
    with pytest.raises(RefusedLocally) as caught:
        params(o, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


def test_a_limit_order_reads_as_alpaca_s_body_in_exact_strings() -> None:
    assert params(order(Side.BUY, OrderType.LIMIT, "3", "187.50")) == {
        "symbol": "AAPL",
        "side": "buy",
        "type": "limit",
        "limit_price": "187.5",
        "time_in_force": "gtc",
        "qty": "3",
        "client_order_id": "tt-1",
    }


def test_the_tick_is_a_cent_from_a_dollar_up_and_a_hundredth_cent_below() -> None:
    assert "tick 0.01" in refused(order(Side.BUY, OrderType.LIMIT, "1", "187.505"))
    assert params(order(Side.BUY, OrderType.LIMIT, "100", "0.9999"))["limit_price"] == "0.9999"
    assert "tick 0.0001" in refused(order(Side.BUY, OrderType.LIMIT, "100", "0.99995"))
    assert "not a positive price" in refused(order(Side.BUY, OrderType.LIMIT, "1", "0"))


def test_fractional_shares_only_on_fractionable_assets_as_market_orders_worth_a_dollar() -> None:
    assert params(order(Side.BUY, OrderType.MARKET, "0.25"))["qty"] == "0.25"
    assert "not fractionable" in refused(
        order(Side.BUY, OrderType.MARKET, "0.5", sym="BRKUSD"), asset=BRK
    )
    assert "only as a market order" in refused(order(Side.BUY, OrderType.LIMIT, "0.5", "190"))
    assert "below Alpaca's minimum 1 USD" in refused(order(Side.BUY, OrderType.MARKET, "0.005"))
    assert "needs a last price" in refused(order(Side.BUY, OrderType.MARKET, "0.5"), last=None)
    assert params(order(Side.BUY, OrderType.MARKET, "2", sym="BRKUSD"), BRK)["qty"] == "2"
    assert "not positive" in refused(order(Side.BUY, OrderType.MARKET, "0"))


def test_nothing_is_sent_while_the_market_is_closed() -> None:
    """The rule itself sends nothing while closed, whatever the side: the broker holds an
    exit for the next open before it gets here (test_alpaca_exit_queue.py)."""
    for side in Side:
        reason = refused(order(side, OrderType.MARKET, "1"), open_=False)
        assert "market is closed" in reason and "no extended-hours orders" in reason
        assert "an entry is refused, an exit is queued for the next open" in reason


def test_a_fourth_day_trade_is_refused_on_a_small_margin_account() -> None:
    opened = frozenset({("AAPLUSD", Side.BUY)})
    small = DayTrades(margin=True, equity=Decimal(24_999), count=3, opened_today=opened)
    reason = refused(order(Side.SELL, OrderType.MARKET, "1"), trades=small)
    assert "pattern-day-trader protection" in reason and "4th day trade" in reason
    assert params(order(Side.BUY, OrderType.MARKET, "1"), trades=small)  # opening is fine
    for fine in (
        DayTrades(True, Decimal(25_000), 3, opened),  # equity at the line
        DayTrades(False, Decimal(1_000), 9, opened),  # a cash account
        DayTrades(True, Decimal(1_000), 2, opened),  # the 3rd day trade
        DayTrades(True, Decimal(1_000), 3),
    ):  # opened on another day
        assert params(order(Side.SELL, OrderType.MARKET, "1"), trades=fine)


def test_the_day_trade_book_counts_closing_orders_of_today_and_forgets_at_new_york_midnight() -> (
    None
):
    book = DayTradeBook()
    book.account_read(2, margin=True, equity=Decimal(10_000))

    def fill(cid: str, side: Side, at: datetime) -> Fill:
        return Fill(cid, "AAPLUSD", side, Decimal(1), Decimal(190), Decimal(0), "USD", at, cid)

    book.on_fill(fill("overnight", Side.SELL, NOW))  # sells what was bought before today
    assert book.standing(NOW).count == 2
    book.on_fill(fill("buy", Side.BUY, NOW))
    book.on_fill(fill("sell", Side.SELL, NOW + timedelta(minutes=5)))
    book.on_fill(fill("sell", Side.SELL, NOW + timedelta(minutes=6)))  # same order: once
    standing = book.standing(NOW + timedelta(minutes=7))
    assert standing.count == 3 and standing.protected
    assert standing.would_day_trade("AAPLUSD", Side.SELL)
    tomorrow = book.standing(NOW + timedelta(hours=13))  # 00:00 in New York has passed
    assert not tomorrow.would_day_trade("AAPLUSD", Side.SELL) and tomorrow.count == 3
    book.account_read(1, margin=True, equity=Decimal(10_000))  # Alpaca's count rolls off
    assert book.standing(NOW + timedelta(hours=13)).count == 1


def test_a_bracket_entry_carries_its_exits_in_order_and_in_whole_shares() -> None:
    entry = order(Side.BUY, OrderType.LIMIT, "5", "190")
    checks = {
        "now": NOW,
        "is_open": lambda now: True,
        "day_trades": CASH,
        "last_price": Decimal(190),
    }
    body = bracket_params(entry, AAPL, (Decimal("180"), Decimal("205.5")), **checks)  # type: ignore[arg-type]
    assert body["order_class"] == "bracket" and body["time_in_force"] == "gtc"
    assert body["stop_loss"] == {"stop_price": "180"}
    assert body["take_profit"] == {"limit_price": "205.5"}
    with pytest.raises(RefusedLocally, match="out of order"):
        bracket_params(entry, AAPL, (Decimal("205"), Decimal("180")), **checks)  # type: ignore[arg-type]
    with pytest.raises(RefusedLocally, match="whole shares"):
        bracket_params(
            order(Side.BUY, OrderType.MARKET, "0.5"), AAPL, (Decimal(180), Decimal(200)), **checks
        )  # type: ignore[arg-type]


def test_untradable_assets_and_venue_types_are_never_sent() -> None:
    halted = AssetRules("AAPLUSD", "AAPL", tradable=False)
    assert "not tradable" in refused(order(Side.BUY, OrderType.MARKET, "1"), asset=halted)
    stop = Order(
        "tt-2",
        "",
        "AAPLUSD",
        Side.SELL,
        OrderType.MARKET,
        Decimal(1),
        None,
        OrderStatus.NEW,
        NOW,
        NOW,
        venue_type="STOP",
    )
    assert "never sent" in refused(stop)


def test_the_risk_manager_s_percent_exits_for_a_bracket() -> None:
    from tui_trader.alpaca.bracket_entry import percent_exits, rounded_exits

    exits = percent_exits(Decimal(2), Decimal(4))
    assert exits is not None and exits("AAPLUSD", Decimal(190)) == (
        Decimal("186.2"),
        Decimal("197.6"),
    )
    assert percent_exits(Decimal(0), Decimal(4)) is None
    assert rounded_exits(Decimal("186.213"), Decimal("197.609"), Side.BUY) == (
        Decimal("186.22"),
        Decimal("197.6"),
    )
    assert rounded_exits(Decimal("0.50005"), Decimal("0.61119"), Side.BUY) == (
        Decimal("0.5001"),
        Decimal("0.6111"),
    )
