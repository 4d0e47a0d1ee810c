"""Alpaca's market data stream v2 in JSON mode: what a text frame holds, as our types.

Every frame is a JSON array of messages, each an object with `T` its kind:
`success` (`connected`, `authenticated`), `error` (`code`, `msg`: 402 auth failed,
406 connection limit exceeded, 429, ...), `subscription` (what is now subscribed), and
the minute bar `b`: `{"T": "b", "S": "AAPL", "o", "h", "l", "c", "v", "t", "n", "vw"}`
with `t` the bar's open time in RFC 3339. Numbers are read straight into Decimal by
the JSON parser (`parse_float=Decimal`), so no price ever passes through a float.

A message that reads as nothing Alpaca sends raises FrameError for the feed to count and
report; one bad message in an array does not spoil the others."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tui_trader.domain.market import VenueBar

AUTH_FAILED, CONNECTION_LIMIT, TOO_MANY = 402, 406, 429


class FrameError(ValueError):
    """Something Alpaca does not send."""


@dataclass(frozen=True, slots=True)
class Status:
    """`success` or `subscription`: the connection's own news."""

    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class StreamError:
    code: int
    message: str


@dataclass(frozen=True, slots=True)
class MinuteBar:
    ticker: str
    bar: VenueBar


Message = Status | StreamError | MinuteBar


def auth(key_id: str, secret: str) -> str:
    return json.dumps({"action": "auth", "key": key_id, "secret": secret})


def subscribe(tickers: list[str]) -> str:
    return json.dumps({"action": "subscribe", "bars": tickers})


def parse_frame(data: str | bytes) -> list[Message | FrameError]:
    """The messages of one frame, each parsed or the reason it is not understood."""
    try:
        found = json.loads(data, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        return [FrameError(f"not JSON ({type(exc).__name__}): {_cut(data)}")]
    if not isinstance(found, list):
        return [FrameError(f"not a JSON array: {_cut(data)}")]
    return [_message(item) for item in found]


def _message(item: Any) -> Message | FrameError:
    if not isinstance(item, dict):
        return FrameError(f"not a message: {str(item)[:80]}")
    kind = item.get("T")
    try:
        if kind == "b":
            return MinuteBar(str(item["S"]), _bar(item))
        if kind == "error":
            return StreamError(int(item["code"]), str(item.get("msg", ""))[:120])
        if kind in ("success", "subscription"):
            return Status(kind, str(item.get("msg", item.get("bars", "")))[:120])
    except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
        return FrameError(f"{kind} message not understood ({type(exc).__name__}): {str(item)[:80]}")
    return FrameError(f"unknown message kind {str(kind)[:20]!r}")


def _bar(item: dict[str, Any]) -> VenueBar:
    o, h, low, c, v = (Decimal(item[k]) for k in ("o", "h", "l", "c", "v"))
    vwap = Decimal(item.get("vw", c))
    opened = datetime.fromisoformat(str(item["t"]).replace("Z", "+00:00"))
    if opened.tzinfo is None:
        raise ValueError("bar time without a zone")
    if not all(n.is_finite() for n in (o, h, low, c, v)) or min(o, h, low, c) <= 0 or v < 0:
        raise ValueError("prices must be positive")
    if not low <= min(o, c) <= max(o, c) <= h:
        raise ValueError("high and low do not hold open and close")
    return VenueBar(opened.astimezone(UTC), o, h, low, c, v, vwap * v, int(item.get("n", 0)))


def _cut(data: str | bytes) -> str:
    text = data if isinstance(data, str) else data[:80].decode("utf-8", "replace")
    return text[:80]
