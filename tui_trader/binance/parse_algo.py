"""USD-M conditional ("algo") orders as guards: the REST shape (POST/GET/DELETE
/fapi/v1/algoOrder, GET /fapi/v1/openAlgoOrders) and the ALGO_UPDATE user-data event.

Since Binance moved STOP_MARKET / TAKE_PROFIT_MARKET to its Algo Service, such an order
lives there under `clientAlgoId` until it fires; then the matching engine gets a market
order under the same client id, whose fill arrives as an ordinary ORDER_TRADE_UPDATE."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tui_trader.binance.parse import WIRE_ERRORS, ParseError, dec
from tui_trader.domain.enums import Side
from tui_trader.domain.guards import GuardKind, GuardOrder, GuardStatus
from tui_trader.numbers import quote

_STATUS = {
    "NEW": GuardStatus.OPEN,
    "TRIGGERING": GuardStatus.TRIGGERED,
    "TRIGGERED": GuardStatus.TRIGGERED,
    "FINISHED": GuardStatus.DONE,
    "CANCELED": GuardStatus.CANCELED,
    "REJECTED": GuardStatus.REJECTED,
    "EXPIRED": GuardStatus.EXPIRED,
}
_KIND = {"STOP_MARKET": GuardKind.STOP, "TAKE_PROFIT_MARKET": GuardKind.TAKE_PROFIT}


@dataclass(frozen=True, slots=True)
class _Fields:
    """Where each field of a guard is, in one of the two shapes Binance sends."""

    kind: str
    client_id: str
    symbol: str
    side: str
    quantity: str
    trigger: str
    status: str
    reason: str | None


_REST = _Fields("orderType", "clientAlgoId", "symbol", "side", "quantity", "triggerPrice",
                "algoStatus", None)  # fmt: skip
_EVENT = _Fields("o", "caid", "s", "S", "q", "tp", "X", "rm")


def parse_algo_order(data: Mapping[str, Any]) -> GuardOrder | None:
    """A REST algo order; None when it is not one of the two guard types (another
    conditional order type, placed by someone else)."""
    try:
        return _guard(data, _REST)
    except WIRE_ERRORS as exc:
        raise ParseError(f"algo order reply: {exc}") from None


def parse_algo_update(event: Mapping[str, Any]) -> GuardOrder | None:
    """An ALGO_UPDATE event's order; None for non-guard types."""
    try:
        return _guard(event["o"], _EVENT)
    except WIRE_ERRORS as exc:
        raise ParseError(f"ALGO_UPDATE: {exc}") from None


def _guard(row: Mapping[str, Any], f: _Fields) -> GuardOrder | None:
    kind = _KIND.get(row[f.kind])
    if kind is None:
        return None
    return GuardOrder(
        client_id=str(row[f.client_id]),
        symbol=str(row[f.symbol]),
        kind=kind,
        side=Side(row[f.side]),
        quantity=_quantity(row.get(f.quantity)),
        trigger=dec(row[f.trigger]),
        status=_status(row[f.status]),
        reason=str(row.get(f.reason) or "") if f.reason else "",
    )


def _status(raw: Any) -> GuardStatus:
    if raw not in _STATUS:
        raise ValueError(f"unsupported algo status {quote(raw)}")
    return _STATUS[raw]


def _quantity(raw: Any) -> Decimal:
    """A close-position order has no quantity ("" or absent): it closes whatever is held."""
    return dec(raw) if raw not in (None, "") else Decimal(0)
