"""Backfill: the closed klines missed while a stream was down, over REST."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from tui_trader.binance.parse import ParseError, parse_kline_row
from tui_trader.clock import dt_to_ms
from tui_trader.domain.enums import MarketKind
from tui_trader.domain.market import Candle

PAGE = 1000  # Binance's maximum rows per GET /api/v3/klines (/fapi/v1/klines: 1500)


async def missed_klines(
    client: Any,
    symbol: str,
    interval: str,
    after: datetime,
    now: datetime,
    on_bad: Callable[[str], None],
    market: MarketKind = MarketKind.SPOT,
) -> list[Candle]:
    """Closed klines of `symbol` that opened after `after`, oldest first, paging as
    needed. The forming kline (close time not yet passed on the server clock, which is
    `now` plus the client's offset) is left out; unreadable rows are reported to
    `on_bad` and skipped."""
    fetch = client.futures_klines if market is MarketKind.FUTURES else client.get_klines
    found: list[Candle] = []
    start = dt_to_ms(after) + 1
    server_now = dt_to_ms(now) + int(client.timestamp_offset)
    while True:
        rows = await fetch(symbol=symbol, interval=interval, startTime=start, limit=PAGE)
        for row in rows:
            try:
                candle = parse_kline_row(symbol, interval, row, server_now)
            except ParseError as exc:
                on_bad(str(exc))
                continue
            if candle.closed:
                found.append(candle)
        if len(rows) < PAGE or not found or dt_to_ms(found[-1].open_time) < start:
            return found
        start = dt_to_ms(found[-1].open_time) + 1


async def recent_klines(
    client: Any,
    symbols: tuple[str, ...],
    interval: str,
    interval_s: int,
    count: int,
    now: datetime,
    on_bad: Callable[[str], None],
    market: MarketKind = MarketKind.SPOT,
) -> list[Candle]:
    """The last `count` closed klines of every symbol, over REST, oldest first per
    symbol: the history the strategies warm up on before the first live candle."""
    after = now - timedelta(seconds=interval_s * (count + 1))
    found: list[Candle] = []
    for symbol in symbols:
        candles = await missed_klines(client, symbol, interval, after, now, on_bad, market)
        found += candles[-count:]
    return found
