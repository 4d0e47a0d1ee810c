"""The Alpaca broker's memory of orders: applies reports from REST replies and the
trade_updates stream in any order, any number of times, and says what is new.

Alpaca tells executions as running totals on the order (`filled_qty`,
`filled_avg_price`); the stream adds the execution's own price and size. A fill here is
"the total grew": its quantity is the new total minus what was booked, its trade id
`<alpaca order id>:<new total>` whichever source tells it, so a stream event, a late or
duplicated copy of it and a poll that saw the same total all book it once, and a late
event with a smaller total books nothing. Its price is the execution's when the stream
told exactly that growth, else what the averages imply (value now minus value booked,
over the growth). Fees: Alpaca charges no commission on stocks (the regulatory fees
come later as account activities: fee_activities.py), so every fill's fee is 0 USD.
An order never moves back: a final order stays final; the one exception is an order we
marked REJECTED without hearing from Alpaca (no id): if Alpaca reports it, it is right."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from tui_trader.alpaca.parse_orders import QUOTE, AlpacaOrder
from tui_trader.domain.enums import OrderStatus
from tui_trader.domain.orders import Fill, Order
from tui_trader.execution.broker import BrokerEvent

ZERO = Decimal(0)
PRICE_PLACES = Decimal("0.00000001")


def trade_id(exchange_order_id: str, total: Decimal) -> str:
    return f"{exchange_order_id}:{total.normalize():f}"


def _advances(known: Order, report: AlpacaOrder) -> bool:
    if known.status.is_final:
        return not known.exchange_order_id and known.status is OrderStatus.REJECTED
    if report.filled != known.filled_quantity:
        return report.filled > known.filled_quantity
    return report.status is not known.status or not known.exchange_order_id


class OrderMemory:
    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._booked: dict[str, Decimal] = {}  # Alpaca order id -> total booked as fills
        self._value: dict[str, Decimal] = {}  # Alpaca order id -> value of those fills

    def remember(self, orders: Iterable[Order], trade_ids: Iterable[str]) -> None:
        """Seed what the journal knows after a restart: orders, and the totals already
        booked (read back from the trade ids), so nothing is booked twice."""
        for order in orders:
            self._orders.setdefault(order.client_order_id, order)
        for tid in trade_ids:
            oid, colon, total = tid.rpartition(":")
            if colon and oid:
                try:
                    booked = Decimal(total)
                except ArithmeticError:
                    continue
                self._booked[oid] = max(self._booked.get(oid, ZERO), booked)
        for order in self._orders.values():
            oid = order.exchange_order_id
            if oid in self._booked and oid not in self._value:
                self._value[oid] = self._booked[oid] * order.average_price

    def add(self, order: Order) -> None:
        self._orders[order.client_order_id] = order

    def get(self, client_order_id: str) -> Order | None:
        return self._orders.get(client_order_id)

    def open_orders(self) -> list[Order]:
        return [order for order in self._orders.values() if order.is_open]

    def fill_gaps(self) -> list[Order]:
        """Orders filled further than the fills booked of them (fills missed while the
        process was down come with a query of the order)."""
        return [
            o
            for o in self._orders.values()
            if o.filled_quantity > self._booked.get(o.exchange_order_id, ZERO)
        ]

    def apply(
        self,
        report: AlpacaOrder,
        execution: tuple[Decimal, Decimal, datetime] | None = None,
        client_id: str | None = None,
    ) -> list[BrokerEvent]:
        """Record `report`; returns what is new: the order (if it moved on), then the
        fill of the growth of its total. `execution` (qty, price, time) is the stream's;
        `client_id` names the fill's order when it is not the report's (a guard leg)."""
        events: list[BrokerEvent] = []
        cid = client_id or report.client_order_id
        if client_id is None:
            known = self._orders.get(cid)
            if known is None or _advances(known, report):
                self._orders[cid] = report.to_order(known)
                events.append(self._orders[cid])
        fill = self._fill(report, cid, execution)
        if fill is not None:
            events.append(fill)
        return events

    def _fill(
        self,
        report: AlpacaOrder,
        cid: str,
        execution: tuple[Decimal, Decimal, datetime] | None,
    ) -> Fill | None:
        oid = report.exchange_order_id
        booked = self._booked.get(oid, ZERO)
        growth = report.filled - booked
        if growth <= 0:
            return None
        value = self._value.get(oid, ZERO)
        if execution is not None and execution[0] == growth:
            price, ts = execution[1], execution[2]
        elif report.average is not None:
            price = ((report.average * report.filled - value) / growth).quantize(PRICE_PLACES)
            if price <= 0:  # what was booked is not known exactly (a restart): the average
                price = report.average
            ts = report.updated_at
        else:
            return None  # a total without a price: the next report will carry both
        self._booked[oid], self._value[oid] = report.filled, value + growth * price
        return Fill(cid, report.symbol, report.side, growth, price.normalize(), ZERO, QUOTE,
                    ts, trade_id(oid, report.filled))  # fmt: skip
