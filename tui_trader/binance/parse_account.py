"""Account payloads (balances, futures positions) → domain."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tui_trader.binance.parse import WIRE_ERRORS, ParseError, dec
from tui_trader.domain.portfolio import Balance, Position


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
        positions = []
        for p in account["P"]:
            qty, entry, upnl = dec(p["pa"]), dec(p["ep"]), dec(p["up"])
            mark = entry + upnl / qty if qty else Decimal(0)
            positions.append(Position(str(p["s"]), qty, entry, mark_price=mark))
        return balances, positions
    except WIRE_ERRORS as exc:
        raise ParseError(f"ACCOUNT_UPDATE: {exc}") from None
