"""The charts' series in the snapshot history stay bounded, and a snapshot built for a
tick reuses them (the same objects) until a candle closes."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tui_trader.domain.market import Candle
from tui_trader.runtime.views import CHART_CANDLES, EQUITY_POINTS, History

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def candle(symbol: str, minute: int, closed: bool = True) -> Candle:
    price = Decimal(100 + minute % 7)
    return Candle(
        symbol=symbol,
        open_time=T0 + timedelta(minutes=minute),
        close_time=T0 + timedelta(minutes=minute + 1),
        open=price,
        high=price + 1,
        low=price - 1,
        close=price,
        volume=Decimal(1),
        closed=closed,
    )


def test_candles_and_equity_stay_bounded() -> None:
    history = History()
    minutes = 3 * max(CHART_CANDLES, EQUITY_POINTS)
    for minute in range(minutes):
        for symbol in ("BTCUSDT", "ETHUSDT"):
            history.add_candle(candle(symbol, minute), Decimal(10_000 + minute))
    series = history.candle_series()
    assert [s.symbol for s in series] == ["BTCUSDT", "ETHUSDT"]
    for one in series:
        assert len(one.candles) == CHART_CANDLES
        assert one.candles[-1].open_time == T0 + timedelta(minutes=minutes - 1)  # newest kept
    curve = history.equity_curve()
    assert len(curve) == EQUITY_POINTS  # one sample per close time, not per symbol
    assert curve[-1].equity == Decimal(10_000 + minutes - 1)
    assert [p.ts for p in curve] == sorted({p.ts for p in curve})


def test_series_are_rebuilt_only_when_a_candle_closed() -> None:
    history = History()
    history.add_candle(candle("BTCUSDT", 0), Decimal(10_000))
    history.add_candle(candle("ETHUSDT", 0), Decimal(10_001))
    first, curve = history.candle_series(), history.equity_curve()
    assert history.candle_series() is first and history.equity_curve() is curve
    history.add_candle(candle("BTCUSDT", 1, closed=False), Decimal(1))  # still forming
    assert history.candle_series() is first
    history.add_candle(candle("BTCUSDT", 1), Decimal(10_002))
    second = history.candle_series()
    assert second is not first
    assert second[1] is first[1]  # ETHUSDT did not change: its series object is reused
    assert len(second[0].candles) == 2
    assert [p.equity for p in history.equity_curve()] == [Decimal(10_001), Decimal(10_002)]
