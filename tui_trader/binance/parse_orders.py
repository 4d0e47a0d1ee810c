"""Order and fill payloads (REST replies and user-data events) → domain.

The exchange does not know our intent id, purpose or creation time, so an order
payload becomes an `OrderReport`, which is applied on top of the order we sent."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tui_trader.binance.parse import WIRE_ERRORS, ParseError, dec, ms_to_utc
from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.domain.orders import Fill, Order
from tui_trader.numbers import quote

_STATUS = {
    "NEW": OrderStatus.NEW,
    "PENDING_NEW": OrderStatus.NEW,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
    "EXPIRED_IN_MATCH": OrderStatus.EXPIRED,
}
_TYPES = {"LIMIT": OrderType.LIMIT, "LIMIT_MAKER": OrderType.LIMIT, "MARKET": OrderType.MARKET}


@dataclass(frozen=True, slots=True)
class OrderReport:
    """The exchange's view of one order at one moment, plus the fills it reports."""

    client_order_id: str
    exchange_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None
    status: OrderStatus
    filled_quantity: Decimal
    average_price: Decimal
    ts: datetime
    reason: str = ""
    fills: tuple[Fill, ...] = ()

    def to_order(self, known: Order | None) -> Order:
        """The order after this report: `known` evolved, or a new order for one we did
        not send (placed by hand or before a restart: no intent id)."""
        if known is None:
            return Order(
                client_order_id=self.client_order_id,
                intent_id="",
                symbol=self.symbol,
                side=self.side,
                order_type=self.order_type,
                quantity=self.quantity,
                price=self.price,
                status=self.status,
                created_at=self.ts,
                updated_at=self.ts,
                filled_quantity=self.filled_quantity,
                average_price=self.average_price,
                exchange_order_id=self.exchange_order_id,
                reason=self.reason,
            )
        return known.evolve(
            status=self.status,
            filled_quantity=self.filled_quantity,
            average_price=self.average_price,
            exchange_order_id=self.exchange_order_id or known.exchange_order_id,
            updated_at=max(self.ts, known.updated_at),
            reason=self.reason or known.reason,
        )


def _pick(table: Mapping[str, Any], value: Any, what: str) -> Any:
    if value not in table:
        raise ValueError(f"unsupported {what} {quote(value)}")
    return table[value]


def _price(raw: Any) -> Decimal | None:
    price = dec(raw)
    return price if price > 0 else None  # MARKET orders carry "0"


def _average(filled: Decimal, quote: Decimal) -> Decimal:
    return quote / filled if filled > 0 else Decimal(0)


def _reason(event: Mapping[str, Any]) -> str:
    reject = event.get("r")
    if reject and reject != "NONE":
        return str(reject)
    return str(event.get("eR") or "") if event.get("X") == "EXPIRED" else ""


def parse_execution_report(event: Mapping[str, Any]) -> OrderReport:
    """Spot `executionReport`. On a cancel, `c` is the cancel request's id and `C`
    the original client order id, which is the one we track."""
    try:
        cid = str(event.get("C") or event["c"])
        symbol, side = str(event["s"]), Side(event["S"])
        ts = ms_to_utc(event.get("T") or event["E"])
        fills: tuple[Fill, ...] = ()
        if event["x"] == "TRADE":
            fee_asset = str(event.get("N") or "")
            fill = Fill(
                cid,
                symbol,
                side,
                dec(event["l"]),
                dec(event["L"]),
                dec(event["n"]),
                fee_asset,
                ts,
                str(event["t"]),
                event.get("m") is True,
            )
            fills = (fill,)
        filled = dec(event["z"])
        return OrderReport(
            cid,
            str(event["i"]),
            symbol,
            side,
            _pick(_TYPES, event["o"], "order type"),
            dec(event["q"]),
            _price(event["p"]),
            _pick(_STATUS, event["X"], "order status"),
            filled,
            _average(filled, dec(event["Z"])),
            ts,
            _reason(event),
            fills,
        )
    except WIRE_ERRORS as exc:
        raise ParseError(f"executionReport: {exc}") from None


def parse_order_trade_update(event: Mapping[str, Any]) -> OrderReport:
    """USD-M `ORDER_TRADE_UPDATE`; the order sits under `o`, average price in `ap`."""
    try:
        o = event["o"]
        cid, symbol, side = str(o["c"]), str(o["s"]), Side(o["S"])
        ts = ms_to_utc(o.get("T") or event["T"])
        fills: tuple[Fill, ...] = ()
        if o["x"] == "TRADE":
            fee = dec(o.get("n") or "0")
            fill = Fill(
                cid,
                symbol,
                side,
                dec(o["l"]),
                dec(o["L"]),
                fee,
                str(o.get("N") or ""),
                ts,
                str(o["t"]),
                o.get("m") is True,
            )
            fills = (fill,)
        return OrderReport(
            cid,
            str(o["i"]),
            symbol,
            side,
            _pick(_TYPES, o["o"], "order type"),
            dec(o["q"]),
            _price(o["p"]),
            _pick(_STATUS, o["X"], "order status"),
            dec(o["z"]),
            dec(o["ap"]),
            ts,
            _reason(o),
            fills,
        )
    except WIRE_ERRORS as exc:
        raise ParseError(f"ORDER_TRADE_UPDATE: {exc}") from None


def _rest_fills(data: Mapping[str, Any], cid: str, side: Side, ts: datetime) -> tuple[Fill, ...]:
    symbol = str(data["symbol"])
    return tuple(
        Fill(
            cid,
            symbol,
            side,
            dec(f["qty"]),
            dec(f["price"]),
            dec(f["commission"]),
            str(f["commissionAsset"]),
            ts,
            str(f["tradeId"]),
        )
        for f in data.get("fills") or ()
    )


def parse_rest_order(data: Mapping[str, Any]) -> OrderReport:
    """A spot or USD-M order reply (place, query or cancel). A cancel reply names our
    id in `origClientOrderId`; `clientOrderId` is then the cancel request's own id."""
    try:
        cid = str(data.get("origClientOrderId") or data["clientOrderId"])
        side = Side(data["side"])
        ts = ms_to_utc(data.get("transactTime") or data.get("updateTime") or data["time"])
        filled = dec(data["executedQty"])
        if "cummulativeQuoteQty" in data:
            average = _average(filled, dec(data["cummulativeQuoteQty"]))
        else:
            average = dec(data["avgPrice"])
        return OrderReport(
            cid,
            str(data["orderId"]),
            str(data["symbol"]),
            side,
            _pick(_TYPES, data["type"], "order type"),
            dec(data["origQty"]),
            _price(data["price"]),
            _pick(_STATUS, data["status"], "order status"),
            filled,
            average,
            ts,
            str(data.get("expiryReason") or ""),
            _rest_fills(data, cid, side, ts),
        )
    except WIRE_ERRORS as exc:
        raise ParseError(f"order reply: {exc}") from None
