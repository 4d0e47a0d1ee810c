"""Upbit's public WebSocket frames, read into our events: the subscription we send, and
what comes back (ticker, candle.<N>m, the status reply to PING, an error).

Frames arrive as binary JSON (format DEFAULT). Each is input like any other: whatever
does not read as one of the known shapes raises FrameError, and the feed drops it and
reports it. Numbers are exact Decimals, read from the JSON text."""

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from tui_trader.clock import ms_to_dt
from tui_trader.domain.market import Tick, VenueBar
from tui_trader.upbit.quotation import UpbitError, parse_candle, read_json

# Our interval names -> Upbit's candle stream (no daily candle is streamed).
STREAM_UNITS: Mapping[str, str] = {
    "1m": "1m", "3m": "3m", "5m": "5m", "15m": "15m", "30m": "30m", "1h": "60m", "4h": "240m",
}  # fmt: skip


class FrameError(Exception):
    """A frame that is none of the shapes Upbit sends; the message quotes it briefly."""


@dataclass(frozen=True, slots=True)
class CandleFrame:
    market: str
    candle: VenueBar


@dataclass(frozen=True, slots=True)
class ErrorFrame:
    name: str
    message: str


@dataclass(frozen=True, slots=True)
class StatusFrame:
    """`{"status": "UP"}`: the server's answer to our PING text."""

    status: str


Frame = Tick | CandleFrame | ErrorFrame | StatusFrame


def subscription(markets: list[str], interval: str) -> str:
    """The request frame: a fresh ticket, tickers and candles of `markets`."""
    return json.dumps(
        [
            {"ticket": str(uuid.uuid4())},
            {"type": "ticker", "codes": markets},
            {"type": f"candle.{STREAM_UNITS[interval]}", "codes": markets},
            {"format": "DEFAULT"},
        ]
    )


def parse_frame(data: str | bytes, symbols: Mapping[str, str], interval: str) -> Frame:
    """One frame; `symbols` maps Upbit's market codes to ours (KRW-BTC -> BTCKRW)."""
    try:
        body = read_json(data)
    except (ValueError, UnicodeDecodeError):
        raise FrameError(f"not JSON: {_quote(data)}") from None
    if not isinstance(body, dict):
        raise FrameError(f"not an object: {_quote(data)}")
    if "error" in body:
        error = body["error"] if isinstance(body["error"], dict) else {}
        return ErrorFrame(str(error.get("name", "?")), str(error.get("message", "")))
    if "status" in body:
        return StatusFrame(str(body["status"]))
    kind, code = body.get("type"), body.get("code")
    if not isinstance(code, str) or code not in symbols:
        raise FrameError(f"unexpected market {str(code)[:20]!r}: {_quote(data)}")
    if kind == "ticker":
        return _ticker(body, symbols[code], data)
    if kind == f"candle.{STREAM_UNITS[interval]}":
        try:
            return CandleFrame(code, parse_candle(body, code, key="code"))
        except UpbitError as exc:
            raise FrameError(str(exc)) from None
    raise FrameError(f"unexpected type {str(kind)[:20]!r}: {_quote(data)}")


def _ticker(body: dict[str, Any], symbol: str, data: str | bytes) -> Tick:
    try:
        price = Decimal(body["trade_price"])
        volume = Decimal(body.get("trade_volume", 0))
        ts = ms_to_dt(int(body["timestamp"]))
    except (KeyError, TypeError, ValueError, InvalidOperation, OverflowError, OSError):
        raise FrameError(f"unreadable ticker: {_quote(data)}") from None
    # The ticker is the last trade: no book in it, so bid = ask = the trade price.
    return Tick(symbol, ts, price, price, price, volume)


def _quote(data: str | bytes) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return repr(text[:80])
