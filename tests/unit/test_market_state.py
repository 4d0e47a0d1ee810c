from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tui_trader.domain.market import Candle, Tick
from tui_trader.market.state import MarketState

T0 = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)


def tick(ts: datetime, price: str) -> Tick:
    p = Decimal(price)
    return Tick("BTCUSDT", ts, p, p - 1, p + 1)


def test_change_is_against_first_price_of_the_utc_day() -> None:
    state = MarketState(("BTCUSDT",))
    state.on_tick(tick(T0, "100"))
    assert state.symbols["BTCUSDT"].change_pct == 0
    state.on_tick(tick(T0 + timedelta(seconds=30), "110"))
    assert state.symbols["BTCUSDT"].change_pct == Decimal(10)
    state.on_tick(tick(T0 + timedelta(minutes=2), "121"))  # next UTC day
    assert state.symbols["BTCUSDT"].change_pct == 0
    state.on_tick(tick(T0 + timedelta(minutes=3), "133.1"))
    assert state.symbols["BTCUSDT"].change_pct == Decimal(10)


def test_candles_keep_the_book_from_ticks_and_feed_the_sparkline() -> None:
    state = MarketState(("BTCUSDT",))
    state.on_tick(tick(T0, "100"))
    candle = Candle(
        "BTCUSDT",
        T0,
        T0 + timedelta(minutes=1),
        Decimal(99),
        Decimal(101),
        Decimal(98),
        Decimal("100.5"),
        Decimal(3),
    )
    symbol = state.on_candle(candle)
    assert (symbol.bid, symbol.ask) == (Decimal(99), Decimal(101))
    assert symbol.last == Decimal("100.5")
    assert list(symbol.closes) == [100.5]


def test_candle_only_feed_uses_close_as_book() -> None:
    state = MarketState(("ETHUSDT",))
    candle = Candle(
        "ETHUSDT",
        T0,
        T0 + timedelta(minutes=1),
        Decimal(10),
        Decimal(12),
        Decimal(9),
        Decimal(11),
        Decimal(3),
    )
    symbol = state.on_candle(candle)
    assert symbol.bid == symbol.ask == Decimal(11)
    assert state.prices() == {"ETHUSDT": Decimal(11)}
