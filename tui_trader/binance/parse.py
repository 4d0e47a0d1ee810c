"""Market data frames → domain objects. Pure and fast (this runs for every frame);
any frame that does not have the shape we rely on raises ParseError, nothing else."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tui_trader.domain.market import Candle, Tick
from tui_trader.numbers import parse_decimal, quote

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# What a malformed frame can raise while we read it: missing keys, wrong types,
# unparsable or NaN numbers (InvalidOperation is an ArithmeticError), absurd times.
WIRE_ERRORS = (KeyError, IndexError, TypeError, ValueError, ArithmeticError, OverflowError)


class ParseError(ValueError):
    """A frame or reply does not have the shape we rely on; drop it and report it."""


def dec(value: Any) -> Decimal:
    """Binance sends every amount as a string; anything else is a malformed frame
    (a float would silently turn into a binary fraction). Every amount parsed from the
    wire comes through here, so here it is bounded too: finite, within the range we
    compute with, at most 18 places (NumberError, a ValueError, quotes ≤ 40 chars)."""
    if value.__class__ is not str:
        raise TypeError(f"expected a decimal string, got {quote(value)}")
    return parse_decimal(value, "amount")


def ms_to_utc(value: Any) -> datetime:
    """Epoch milliseconds → aware UTC datetime, exact (no float rounding)."""
    if value.__class__ is not int:
        raise TypeError(f"expected epoch milliseconds, got {quote(value)}")
    return _EPOCH + timedelta(milliseconds=value)


def _text(value: Any) -> str:
    if value.__class__ is not str or not value:
        raise TypeError(f"expected a non-empty string, got {quote(value)}")
    return str(value)


def _check_candle(candle: Candle) -> Candle:
    low, high = candle.low, candle.high
    if not (
        0 < low <= candle.open <= high
        and low <= candle.close <= high
        and high.is_finite()
        and candle.volume >= 0
        and candle.volume.is_finite()
        and candle.open_time < candle.close_time
    ):
        raise ValueError(f"inconsistent candle {candle.symbol} o={candle.open} h={high} l={low}")
    return candle


def parse_kline(data: Mapping[str, Any]) -> Candle:
    """A kline stream event (`<s>@kline_<i>` payload); `closed` comes from `k.x`."""
    try:
        k = data["k"]
        return _check_candle(
            Candle(
                symbol=_text(k["s"]),
                open_time=ms_to_utc(k["t"]),
                close_time=ms_to_utc(k["T"]),
                open=dec(k["o"]),
                high=dec(k["h"]),
                low=dec(k["l"]),
                close=dec(k["c"]),
                volume=dec(k["v"]),
                closed=k["x"] is True,
                interval=_text(k["i"]),
            )
        )
    except WIRE_ERRORS as exc:
        raise ParseError(f"kline frame: {exc}") from None


def parse_kline_row(symbol: str, interval: str, row: Sequence[Any], server_now_ms: int) -> Candle:
    """One row of GET /api/v3/klines. The last row is usually the forming candle: a
    row counts as closed only once its close time has passed on the server clock."""
    try:
        close_ms = row[6]
        return _check_candle(
            Candle(
                symbol=symbol,
                open_time=ms_to_utc(row[0]),
                close_time=ms_to_utc(close_ms),
                open=dec(row[1]),
                high=dec(row[2]),
                low=dec(row[3]),
                close=dec(row[4]),
                volume=dec(row[5]),
                closed=close_ms < server_now_ms,
                interval=interval,
            )
        )
    except WIRE_ERRORS as exc:
        raise ParseError(f"kline row for {symbol}: {exc}") from None


def parse_book_ticker(data: Mapping[str, Any], received_at: datetime) -> Tick:
    """Spot bookTicker carries no event time, so the tick is stamped on receipt; its
    price is the mid."""
    try:
        symbol = _text(data["s"])
        bid = dec(data["b"])
        ask = dec(data["a"])
        valid = 0 < bid <= ask and ask.is_finite()
    except WIRE_ERRORS as exc:
        raise ParseError(f"bookTicker frame: {exc}") from None
    if not valid:
        raise ParseError(f"bookTicker {symbol}: bid {bid} / ask {ask} is not a valid book")
    return Tick(symbol, received_at, (bid + ask) / 2, bid, ask)


def parse_mark_price(data: Mapping[str, Any]) -> Tick:
    """USD-M markPrice update. There is no book in it, so bid = ask = mark."""
    try:
        symbol = _text(data["s"])
        mark = dec(data["p"])
        ts = ms_to_utc(data["E"])
        valid = mark > 0 and mark.is_finite()
    except WIRE_ERRORS as exc:
        raise ParseError(f"markPrice frame: {exc}") from None
    if not valid:
        raise ParseError(f"markPrice {symbol}: price {mark} is not positive")
    return Tick(symbol, ts, mark, mark, mark)
