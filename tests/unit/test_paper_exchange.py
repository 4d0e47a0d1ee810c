from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from tui_trader.brokers.paper_exchange import PaperExchange
from tui_trader.domain import (
    Balance,
    Candle,
    Fill,
    IntentPurpose,
    MarketKind,
    Order,
    OrderStatus,
    OrderType,
    Side,
    Tick,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
SYMBOL = "BTCUSDT"


def at(second: int) -> datetime:
    return T0 + timedelta(seconds=second)


def tick(second: int, price: str, volume: str = "100", bid: str = "", ask: str = "") -> Tick:
    p = D(price)
    return Tick(SYMBOL, at(second), p, D(bid) if bid else p, D(ask) if ask else p, D(volume))


def order(
    cid: str,
    side: Side,
    qty: str,
    price: str | None = None,
    purpose: IntentPurpose = IntentPurpose.ENTRY,
    symbol: str = SYMBOL,
) -> Order:
    kind = OrderType.MARKET if price is None else OrderType.LIMIT
    return Order(
        client_order_id=cid,
        intent_id=f"i-{cid}",
        symbol=symbol,
        side=side,
        order_type=kind,
        quantity=D(qty),
        price=None if price is None else D(price),
        status=OrderStatus.NEW,
        created_at=T0,
        updated_at=T0,
        purpose=purpose,
    )


def spot(usdt: str = "10000", **extra: D) -> PaperExchange:
    return PaperExchange("USDT", {"USDT": D(usdt), **extra})


def usdt(exchange: PaperExchange) -> Balance:
    return exchange.balances()["USDT"]


def test_limit_buy_fills_only_when_traded_through() -> None:
    ex = spot()
    accepted = ex.submit(order("b1", Side.BUY, "1", "99"), at(0))
    assert accepted.status is OrderStatus.NEW and accepted.exchange_order_id == "paper-1"
    assert usdt(ex) == Balance("USDT", D("9900.901"), D("99.099"))  # 99 × 1.001 locked
    assert ex.on_tick(tick(1, "99")) == []  # touching the limit is not enough
    fill, update = ex.on_tick(tick(2, "98.9"))
    assert fill == Fill(
        "b1", SYMBOL, Side.BUY, D("1"), D("99"), D("0.099"), "USDT", at(2), "b1-1", is_maker=True
    )
    assert isinstance(update, Order) and update.status is OrderStatus.FILLED
    assert update.filled_quantity == 1 and update.average_price == 99
    assert update.updated_at == at(2)
    assert usdt(ex) == Balance("USDT", D("9900.901"), D("0"))
    assert ex.balances()["BTC"] == Balance("BTC", D("1"), D("0"))
    assert ex.open_orders() == [] and ex.get("b1") == update


def test_limit_sell_fills_above_its_price_at_its_price() -> None:
    ex = spot("0", BTC=D("2"))
    ex.submit(order("s1", Side.SELL, "1.5", "101"), at(0))
    assert ex.balances()["BTC"] == Balance("BTC", D("0.5"), D("1.5"))
    assert ex.on_tick(tick(1, "101")) == []
    assert ex.on_tick(tick(2, "100")) == []
    fill, update = ex.on_tick(tick(3, "101.5"))
    assert isinstance(fill, Fill) and fill.price == D("101") and fill.fee == D("0.1515")
    assert isinstance(update, Order) and update.status is OrderStatus.FILLED
    assert usdt(ex).free == D("151.5") - D("0.1515")
    assert ex.balances()["BTC"] == Balance("BTC", D("0.5"), D("0"))


def test_large_limit_fills_partially_by_volume_share() -> None:
    ex = spot()
    ex.submit(order("b1", Side.BUY, "2", "99"), at(0))
    first = ex.on_tick(tick(1, "98", volume="4"))  # 25 % of 4 = 1
    second = ex.on_tick(tick(2, "98", volume="2"))  # 0.5
    third = ex.on_tick(tick(3, "98", volume="10"))  # capacity 2.5, 0.5 left to fill
    fills = [e for e in first + second + third if isinstance(e, Fill)]
    updates = [e for e in first + second + third if isinstance(e, Order)]
    assert [f.quantity for f in fills] == [D("1"), D("0.5"), D("0.5")]
    assert [f.trade_id for f in fills] == ["b1-1", "b1-2", "b1-3"]
    assert [u.status for u in updates] == [
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.FILLED,
    ]
    assert [u.filled_quantity for u in updates] == [D("1"), D("1.5"), D("2")]
    assert sum(f.fee for f in fills) == D("0.198")
    assert usdt(ex) == Balance("USDT", D("10000") - D("198.198"), D("0"))


def test_partial_fill_keeps_the_rest_locked() -> None:
    ex = spot()
    ex.submit(order("b1", Side.BUY, "2", "99"), at(0))
    ex.on_tick(tick(1, "98", volume="4"))
    assert usdt(ex).locked == D("99.099")
    assert ex.get("b1") == ex.open_orders()[0]


def test_volume_share_is_shared_by_resting_orders_first_come_first_served() -> None:
    ex = spot()
    ex.submit(order("a", Side.BUY, "1", "99"), at(0))
    ex.submit(order("b", Side.BUY, "1", "99.5"), at(0))
    events = ex.on_tick(tick(1, "98", volume="4"))  # capacity 1 for both
    assert [(e.client_order_id, e.quantity) for e in events if isinstance(e, Fill)] == [
        ("a", D("1"))
    ]
    events = ex.on_tick(tick(2, "98", volume="2"))
    assert [(e.client_order_id, e.quantity) for e in events if isinstance(e, Fill)] == [
        ("b", D("0.5"))
    ]
    assert ex.on_tick(tick(3, "98", volume="0")) == []  # no traded volume, no fill


def test_market_buy_fills_at_next_tick_ask_with_slippage() -> None:
    ex = spot()
    ex.on_tick(tick(0, "100", bid="99.9", ask="100.1"))
    accepted = ex.submit(order("m1", Side.BUY, "1"), at(0))
    assert accepted.status is OrderStatus.NEW
    assert usdt(ex).locked == D("100.1") * D("1.0005") * D("1.001")
    fill, update = ex.on_tick(tick(1, "100.9", bid="100.8", ask="101"))
    assert isinstance(fill, Fill)
    assert fill.price == D("101.0505")  # 101 × (1 + 5 bps), filled despite a higher ask
    assert fill.fee == D("0.1010505") and fill.is_maker is False and fill.ts == at(1)
    assert isinstance(update, Order) and update.status is OrderStatus.FILLED
    assert update.average_price == D("101.0505")
    assert usdt(ex) == Balance("USDT", D("10000") - D("101.0505") - D("0.1010505"), D("0"))


def test_market_sell_fills_at_next_tick_bid_with_slippage() -> None:
    ex = spot("0", BTC=D("1"))
    ex.on_tick(tick(0, "100"))
    ex.submit(order("m1", Side.SELL, "1"), at(0))
    fill, _ = ex.on_tick(tick(1, "100", bid="100", ask="100.2"))
    assert isinstance(fill, Fill) and fill.price == D("99.95")
    assert usdt(ex).free == D("99.95") - D("0.09995")


def test_market_order_without_a_price_is_rejected() -> None:
    ex = spot()
    rejected = ex.submit(order("m1", Side.BUY, "1"), at(0))
    assert rejected.status is OrderStatus.REJECTED
    assert rejected.reason == "no market price seen yet for BTCUSDT"
    assert ex.get("m1") == rejected


def test_market_buy_the_funds_no_longer_cover_expires_and_releases() -> None:
    ex = spot("100.3")
    ex.on_tick(tick(0, "100"))
    assert ex.submit(order("m1", Side.BUY, "1"), at(0)).status is OrderStatus.NEW
    (expired,) = ex.on_tick(tick(1, "110"))
    assert isinstance(expired, Order) and expired.status is OrderStatus.EXPIRED
    assert "insufficient balance at fill price" in expired.reason
    assert usdt(ex) == Balance("USDT", D("100.3"), D("0"))


def test_insufficient_balance_is_rejected_and_nothing_locked() -> None:
    ex = spot("100")
    rejected = ex.submit(order("b1", Side.BUY, "1", "100"), at(0))
    assert rejected.status is OrderStatus.REJECTED
    assert rejected.reason == "insufficient balance: needs 100.1 USDT, 100 free"
    assert usdt(ex) == Balance("USDT", D("100"), D("0"))
    sell = ex.submit(order("s1", Side.SELL, "1", "100"), at(0))
    assert sell.status is OrderStatus.REJECTED and "BTC" in sell.reason
    assert ex.open_orders() == []


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (order("x", Side.BUY, "0", "100"), "quantity must be positive"),
        (order("x", Side.BUY, "-1", "100"), "quantity must be positive"),
        (order("x", Side.BUY, "NaN", "100"), "quantity must be positive"),
        (order("x", Side.BUY, "1", "0"), "limit order needs a positive price"),
        (order("x", Side.BUY, "1", "1", symbol="ETHBTC"), "not quoted in USDT"),
        (order("", Side.BUY, "1", "1"), "missing client order id"),
    ],
)
def test_invalid_orders_are_rejected_with_reason(bad: Order, reason: str) -> None:
    ex = spot()
    result = ex.submit(bad, at(0))
    assert result.status is OrderStatus.REJECTED and reason in result.reason
    assert usdt(ex) == Balance("USDT", D("10000"), D("0"))


def test_duplicate_client_id_is_rejected_and_original_kept() -> None:
    ex = spot()
    first = ex.submit(order("b1", Side.BUY, "1", "99"), at(0))
    again = ex.submit(order("b1", Side.BUY, "5", "90"), at(1))
    assert again.status is OrderStatus.REJECTED
    assert again.reason == "duplicate client order id b1"
    assert ex.get("b1") == first and usdt(ex).locked == D("99.099")


def test_cancel_releases_funds_and_stops_matching() -> None:
    ex = spot()
    ex.submit(order("b1", Side.BUY, "1", "99"), at(0))
    canceled = ex.cancel("b1", at(5))
    assert canceled is not None and canceled.status is OrderStatus.CANCELED
    assert canceled.updated_at == at(5)
    assert usdt(ex) == Balance("USDT", D("10000"), D("0"))
    assert ex.on_tick(tick(6, "90")) == []
    assert ex.cancel("b1", at(7)) is None and ex.cancel("nope", at(7)) is None
    assert ex.get("b1") == canceled and ex.open_orders() == []


def test_restore_relocks_funds_and_continues_trade_ids() -> None:
    ex = spot()
    ex.submit(order("b1", Side.BUY, "2", "99"), at(0))
    fills = [e for e in ex.on_tick(tick(1, "98", volume="4")) if isinstance(e, Fill)]
    totals = {asset: b.total for asset, b in ex.balances().items()}
    restarted = spot("0")
    restarted.restore(totals, ex.open_orders(), fills=fills)
    assert restarted.balances() == ex.balances()
    assert restarted.open_orders() == ex.open_orders()
    assert restarted.on_tick(tick(2, "98", volume="40")) == ex.on_tick(tick(2, "98", volume="40"))
    assert restarted.get("b1") == ex.get("b1")
    done = restarted.get("b1")
    assert done is not None and done.status is OrderStatus.FILLED


def test_restore_expires_pending_market_orders() -> None:
    ex = spot()
    ex.restore({"USDT": D("10")}, [order("m1", Side.BUY, "1")])
    restored = ex.get("m1")
    assert restored is not None and restored.status is OrderStatus.EXPIRED
    assert ex.open_orders() == [] and usdt(ex).locked == 0


def test_restore_refuses_orders_beyond_funds_and_keeps_state() -> None:
    ex = spot()
    ex.submit(order("b1", Side.BUY, "1", "99"), at(0))
    before = ex.balances()
    with pytest.raises(
        ValueError,
        match=r"cannot restore b3: insufficient balance: needs 99\.099 USDT, 50\.901 free",
    ):
        ex.restore(
            {"USDT": D("150")}, [order("b2", Side.BUY, "1", "99"), order("b3", Side.BUY, "1", "99")]
        )
    with pytest.raises(ValueError, match="not open"):
        ex.restore(
            {"USDT": D("150")}, [order("b4", Side.BUY, "1", "99").evolve(status=OrderStatus.FILLED)]
        )
    assert ex.balances() == before and [o.client_order_id for o in ex.open_orders()] == ["b1"]


def futures(wallet: str = "1000", leverage: int = 10) -> PaperExchange:
    return PaperExchange("USDT", {"USDT": D(wallet)}, market=MarketKind.FUTURES, leverage=leverage)


def test_futures_margin_is_notional_over_leverage_plus_fee() -> None:
    ex = futures()
    assert ex.submit(order("l1", Side.BUY, "50", "100"), at(0)).status is OrderStatus.NEW
    assert usdt(ex) == Balance("USDT", D("495"), D("505"))  # 5000 / 10 + 5 fee
    second = ex.submit(order("l2", Side.BUY, "50", "100"), at(0))
    assert second.reason == "insufficient balance: needs 505 USDT, 495 free"
    ex.on_tick(tick(1, "99", volume="1000"))
    # the wallet paid the fee; the position's margin stays held
    assert usdt(ex) == Balance("USDT", D("495"), D("500"))
    # a market order's margin is priced at the last bid less slippage: 99 × 0.9995
    short = ex.submit(order("s1", Side.SELL, "5", None), at(2))
    assert short.status is OrderStatus.NEW
    assert usdt(ex).locked == D("500") + D("5") * D("98.9505") * (D("0.1") + D("0.001"))
    too_big = ex.submit(order("s2", Side.SELL, "60", None), at(2))
    assert too_big.status is OrderStatus.REJECTED


def test_futures_reduce_only_exits() -> None:
    ex = futures()
    ex.submit(order("l1", Side.BUY, "50", "100"), at(0))
    ex.on_tick(tick(1, "99", volume="1000"))
    grow = ex.submit(order("x1", Side.BUY, "1", "90", IntentPurpose.STOP_LOSS), at(2))
    assert grow.reason == "reduce-only order for 1 would increase the position (50)"
    over = ex.submit(order("x2", Side.SELL, "60", "105", IntentPurpose.TAKE_PROFIT), at(2))
    assert over.status is OrderStatus.REJECTED
    tp1 = ex.submit(order("tp1", Side.SELL, "50", "105", IntentPurpose.TAKE_PROFIT), at(2))
    tp2 = ex.submit(order("tp2", Side.SELL, "50", "108", IntentPurpose.TAKE_PROFIT), at(2))
    assert tp1.status is tp2.status is OrderStatus.NEW
    assert usdt(ex).locked == D("500") + D("5.25") + D("5.4")  # exits lock only their fee
    fill, update = ex.on_tick(tick(3, "106", volume="1000"))
    assert isinstance(fill, Fill) and fill.fee == D("5.25")
    assert isinstance(update, Order) and update.status is OrderStatus.FILLED
    # wallet 1000 - 5 fee + (105 - 100) × 50 - 5.25 fee; tp2 is left, still locked
    assert usdt(ex) == Balance("USDT", D("1239.75") - D("5.4"), D("5.4"))
    (expired,) = ex.on_tick(tick(4, "109", volume="1000"))
    assert isinstance(expired, Order) and expired.status is OrderStatus.EXPIRED
    assert expired.reason == "reduce-only: no position left to reduce"
    assert usdt(ex) == Balance("USDT", D("1239.75"), D("0"))


def test_futures_short_entry_and_position_restore() -> None:
    ex = futures(leverage=2)
    ex.on_tick(tick(0, "100"))
    ex.submit(order("s1", Side.SELL, "2"), at(0))
    fill, _ = ex.on_tick(tick(1, "100"))
    assert isinstance(fill, Fill) and fill.price == D("99.95")
    margin = D("2") * D("99.95") / 2
    assert usdt(ex).locked == margin
    restarted = futures(leverage=2)
    cover = order("c1", Side.BUY, "2", "90", IntentPurpose.TAKE_PROFIT)
    position = ex.position(SYMBOL)
    restarted.restore({"USDT": usdt(ex).total}, [cover], positions=[position])
    assert usdt(restarted).locked == margin + D("0.18")


def candle(second: int, o: str, h: str, low: str, c: str, vol: str, closed: bool = True) -> Candle:
    return Candle(SYMBOL, at(second - 60), at(second), D(o), D(h), D(low), D(c), D(vol), closed)


def test_fill_on_candles_matches_candles_and_ignores_ticks() -> None:
    ex = PaperExchange("USDT", {"USDT": D("10000")}, fill_on_candles=True)
    ex.on_tick(tick(0, "100"))
    assert ex.submit(order("m1", Side.BUY, "1"), at(0)).status is OrderStatus.REJECTED
    ex.on_candle(candle(60, "100", "102", "99", "101", "10"))
    ex.submit(order("m2", Side.BUY, "1"), at(61))
    ex.submit(order("l1", Side.BUY, "2", "99"), at(61))
    assert ex.on_tick(tick(62, "90")) == []
    assert ex.on_candle(candle(90, "101", "101", "98", "99", "10", closed=False)) == []
    events = ex.on_candle(candle(120, "101", "103", "99", "102", "10"))
    assert len(events) == 2  # the market order fills at the open; the limit was only touched
    assert isinstance(events[0], Fill) and events[0].price == D("101.0505")
    assert events[0].ts == at(120)
    fill, update = ex.on_candle(candle(180, "100", "100", "98.5", "99", "2"))
    assert isinstance(fill, Fill) and fill.quantity == D("0.5") and fill.price == D("99")
    assert isinstance(update, Order) and update.status is OrderStatus.PARTIALLY_FILLED


def test_candles_do_not_match_when_filling_on_ticks() -> None:
    ex = spot()
    ex.submit(order("b1", Side.BUY, "1", "99"), at(0))
    assert ex.on_candle(candle(60, "100", "100", "90", "95", "100")) == []


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="partial_fill_share"):
        PaperExchange("USDT", {"USDT": D(1)}, partial_fill_share=D(0))
    with pytest.raises(ValueError, match="no leverage"):
        PaperExchange("USDT", {"USDT": D(1)}, leverage=3)
