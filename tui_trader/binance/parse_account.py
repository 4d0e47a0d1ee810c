"""Account payloads (balances, futures positions) → domain."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tui_trader.binance.parse import WIRE_ERRORS, ParseError, dec
from tui_trader.domain.portfolio import Balance, Position
from tui_trader.numbers import quote

ONE_WAY = "BOTH"  # the positionSide of every one-way position


class PositionModeError(ParseError):
    """A hedge-mode position (positionSide LONG or SHORT) where one-way mode is
    expected: merging its rows by symbol would lose one side."""


def one_way_position(symbol: str, side: object, seen: Mapping[str, object]) -> None:
    """Refuse a hedge-mode row and a second row for one symbol (never "last row wins")."""
    if side != ONE_WAY:
        raise PositionModeError(
            f"{symbol} has a hedge-mode position (positionSide {quote(side)}); "
            "this trader needs One-way Position Mode"
        )
    if symbol in seen:
        raise PositionModeError(f"{symbol} has more than one position row")


def parse_account_position(event: Mapping[str, Any]) -> dict[str, Balance]:
    """Spot `outboundAccountPosition`: the balances that changed."""
    try:
        return {str(b["a"]): Balance(str(b["a"]), dec(b["f"]), dec(b["l"])) for b in event["B"]}
    except WIRE_ERRORS as exc:
        raise ParseError(f"outboundAccountPosition: {exc}") from None


def parse_account_balances(data: Mapping[str, Any]) -> dict[str, Balance]:
    """GET /api/v3/account; assets with nothing in them are left out."""
    try:
        balances = (
            Balance(str(b["asset"]), dec(b["free"]), dec(b["locked"])) for b in data["balances"]
        )
        return {b.asset: b for b in balances if b.total != 0}
    except WIRE_ERRORS as exc:
        raise ParseError(f"account reply: {exc}") from None


def parse_account_update(event: Mapping[str, Any]) -> tuple[dict[str, Balance], list[Position]]:
    """USD-M `ACCOUNT_UPDATE`: wallet balances and the positions that changed. The
    mark price is recovered from unrealized PnL (`up`) where the position is open."""
    try:
        account = event["a"]
        balances = {str(b["a"]): Balance(str(b["a"]), dec(b["wb"])) for b in account["B"]}
        positions: dict[str, Position] = {}
        for p in account["P"]:
            qty, entry, upnl = dec(p["pa"]), dec(p["ep"]), dec(p["up"])
            side, symbol = p.get("ps", ONE_WAY), str(p["s"])
            if qty == 0 and side != ONE_WAY:
                continue  # the empty side of a hedge-mode pair says nothing here
            one_way_position(symbol, side, positions)
            mark = entry + upnl / qty if qty else Decimal(0)
            positions[symbol] = Position(symbol, qty, entry, mark_price=mark)
        return balances, list(positions.values())
    except PositionModeError as exc:
        raise PositionModeError(f"ACCOUNT_UPDATE: {exc}") from None
    except WIRE_ERRORS as exc:
        raise ParseError(f"ACCOUNT_UPDATE: {exc}") from None
