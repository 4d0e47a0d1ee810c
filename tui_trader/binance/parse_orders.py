"""Order and fill payloads (REST replies and user-data events) → domain.

The exchange does not know our intent id, purpose or creation time, so an order
payload becomes an `OrderReport`, which is applied on top of the order we sent.

Orders the trader did not place (by hand, another bot, the liquidation engine) can be
of any type the venue has: MARKET and LIMIT map one to one, any other well-formed name
is kept as `venue_type` with the nearest domain type (LIMIT when the order has a limit
price, else MARKET). USD-M liquidation and ADL executions (`x=CALCULATED`) carry a
fill like a trade."""

import re
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
    # USD-M liquidation orders as older documentation names them (insurance fund, ADL)
    "NEW_INSURANCE": OrderStatus.NEW,
    "NEW_ADL": OrderStatus.NEW,
}
_TYPES = {"LIMIT": OrderType.LIMIT, "MARKET": OrderType.MARKET}
_VENUE_TYPE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")  # shown literally: no markup, short
_FILL_EXECUTIONS = frozenset({"TRADE", "CALCULATED"})
LIQUIDATION_EXECUTION = "CALCULATED"  # USD-M: liquidation or auto-deleveraging (ADL)
# Client ids the venue gives to every order of a kind; made unique with the order id.
ADL_CLIENT_ID = "adl_autoclose"
_SHARED_IDS = frozenset({"", ADL_CLIENT_ID})


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
    venue_type: str = ""  # the venue's type name when it is not MARKET or LIMIT
    liquidation: bool = False  # a USD-M liquidation or ADL execution (x=CALCULATED)

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
                venue_type=self.venue_type,
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


def _order_type(raw: Any, price: Decimal | None) -> tuple[OrderType, str]:
    """(domain type, venue type): ours map one to one, any other type name is kept."""
    if raw in _TYPES:
        return _TYPES[raw], ""
    if raw.__class__ is not str or not _VENUE_TYPE.fullmatch(raw):
        raise ValueError(f"unsupported order type {quote(raw)}")
    return (OrderType.LIMIT if price is not None else OrderType.MARKET), str(raw)


def _client_id(raw: Any, order_id: Any) -> str:
    cid = str(raw)
    return f"{cid or 'venue'}-{order_id}" if cid in _SHARED_IDS else cid


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
        cid = _client_id(event.get("C") or event["c"], event["i"])
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
        filled, price = dec(event["z"]), _price(event["p"])
        order_type, venue_type = _order_type(event["o"], price)
        return OrderReport(
            cid,
            str(event["i"]),
            symbol,
            side,
            order_type,
            dec(event["q"]),
            price,
            _pick(_STATUS, event["X"], "order status"),
            filled,
            _average(filled, dec(event["Z"])),
            ts,
            _reason(event),
            fills,
            venue_type,
        )
    except WIRE_ERRORS as exc:
        raise ParseError(f"executionReport: {exc}") from None


def _stream_fill(o: Mapping[str, Any], cid: str, side: Side, ts: datetime) -> Fill:
    return Fill(
        cid,
        str(o["s"]),
        side,
        dec(o["l"]),
        dec(o["L"]),
        dec(o.get("n") or "0"),
        str(o.get("N") or ""),
        ts,
        str(o["t"]),
        o.get("m") is True,
    )


def parse_order_trade_update(event: Mapping[str, Any]) -> OrderReport:
    """USD-M `ORDER_TRADE_UPDATE`; the order sits under `o`, average price in `ap`.
    A TRADE or CALCULATED (liquidation, ADL) execution carries one fill."""
    try:
        o = event["o"]
        cid, side = _client_id(o["c"], o["i"]), Side(o["S"])
        ts = ms_to_utc(o.get("T") or event["T"])
        execution = o["x"]
        fills = (_stream_fill(o, cid, side, ts),) if execution in _FILL_EXECUTIONS else ()
        price, quantity, filled = _price(o["p"]), dec(o["q"]), dec(o["z"])
        order_type, venue_type = _order_type(o["o"], price)
        status = _pick(_STATUS, o["X"], "order status")
        if execution == LIQUIDATION_EXECUTION and filled >= quantity:
            status = OrderStatus.FILLED  # executed in full, whatever status it names
        return OrderReport(
            cid,
            str(o["i"]),
            str(o["s"]),
            side,
            order_type,
            quantity,
            price,
            status,
            filled,
            dec(o.get("ap") or "0"),
            ts,
            _reason(o),
            fills,
            venue_type,
            execution == LIQUIDATION_EXECUTION,
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


def _first(data: Mapping[str, Any], *keys: str) -> Any:
    """The value of the first of `keys` present, else None."""
    return next((data[key] for key in keys if key in data), None)


def _rest_progress(data: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """(filled quantity, average price). An unfilled order's reply may leave out
    executedQty / cumQty, avgPrice and cumQuote / cummulativeQuoteQty: nothing filled."""
    executed = _first(data, "executedQty", "cumQty")
    filled = dec(executed) if executed is not None else Decimal(0)
    if "avgPrice" in data:  # USD-M
        return filled, dec(data["avgPrice"])
    spent = _first(data, "cummulativeQuoteQty", "cumQuote")
    return filled, _average(filled, dec(spent)) if spent is not None else Decimal(0)


def parse_rest_order(data: Mapping[str, Any]) -> OrderReport:
    """A spot or USD-M order reply (place, query or cancel). A cancel reply names our
    id in `origClientOrderId`; `clientOrderId` is then the cancel request's own id."""
    try:
        cid = _client_id(data.get("origClientOrderId") or data["clientOrderId"], data["orderId"])
        side = Side(data["side"])
        ts = ms_to_utc(data.get("transactTime") or data.get("updateTime") or data["time"])
        filled, average = _rest_progress(data)
        price = _price(data.get("price") or "0")
        order_type, venue_type = _order_type(data["type"], price)
        return OrderReport(
            cid,
            str(data["orderId"]),
            str(data["symbol"]),
            side,
            order_type,
            dec(data["origQty"]),
            price,
            _pick(_STATUS, data["status"], "order status"),
            filled,
            average,
            ts,
            str(data.get("expiryReason") or ""),
            _rest_fills(data, cid, side, ts),
            venue_type,
        )
    except WIRE_ERRORS as exc:
        raise ParseError(f"order reply: {exc}") from None


def describe_raw_order(data: Any) -> str:
    """Name an order reply that could not be read: its symbol, ids and type, quoted."""
    if not isinstance(data, Mapping):
        return f"not an object: {quote(data)}"
    keys = ("symbol", "orderId", "clientOrderId", "type")
    return " ".join(f"{key}={quote(data.get(key))}" for key in keys if key in data) or "no ids"


def raw_order_key(data: Any) -> str:
    """What identifies an unreadable order between reads (reported once)."""
    if not isinstance(data, Mapping):
        return quote(data)
    return f"{quote(data.get('symbol'))}/{quote(data.get('orderId'))}"
