"""Upbit's order and account replies read into our orders, fills and balances.

Upbit's order states: `wait` (working), `watch` (a stop-limit waiting for its trigger),
`done` (fully executed), `cancel` (cancelled, possibly after partial executions). A
market buy by amount (`ord_type=price`) ends in `cancel` once its amount is spent (the
unspendable remainder is returned), so with executions it is FILLED; its quantity is
then the volume it bought. The single-order reply lists the order's trades; list
replies do not (fills are then found by querying the order). Fees come as one total
(`paid_fee`, in the quote currency): each trade gets its share by value.
Every reply is input like any other: an unusable one raises ParseError."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance
from tui_trader.numbers import optional_amount, required_amount

SIDES = {"bid": Side.BUY, "ask": Side.SELL}
MARKET_TYPES = ("price", "market")  # market buy by amount, market sell by volume
ZERO = Decimal(0)


class ParseError(Exception):
    """An Upbit reply that does not read as what it should be."""


@dataclass(frozen=True, slots=True)
class UpbitTrade:
    trade_id: str
    price: Decimal
    volume: Decimal
    funds: Decimal
    ts: datetime


@dataclass(frozen=True, slots=True)
class UpbitOrder:
    client_order_id: str  # our identifier; Upbit's uuid for an order placed without one
    exchange_order_id: str
    symbol: str
    quote: str
    side: Side
    ord_type: str
    price: Decimal | None  # the limit price (a market buy's `price` is its amount)
    volume: Decimal | None  # None for a market buy by amount
    state: str
    executed: Decimal
    paid_fee: Decimal
    created_at: datetime
    trades: tuple[UpbitTrade, ...] | None  # None: the reply did not list them
    average: Decimal | None = None  # the average price, when told (the myOrder stream)

    @property
    def status(self) -> OrderStatus:
        if self.state in ("wait", "watch"):
            return OrderStatus.PARTIALLY_FILLED if self.executed > 0 else OrderStatus.NEW
        if self.state == "done" or (self.ord_type == "price" and self.executed > 0):
            return OrderStatus.FILLED
        return OrderStatus.CANCELED

    def to_order(self, known: Order | None) -> Order:
        """The order after this reply: `known` moved on, or a new order for one this
        broker did not send (placed by hand, or before a restart: no intent id)."""
        quantity = self.volume if self.volume is not None else self.executed
        if known is not None and self.volume is None and not self.status.is_final:
            quantity = known.quantity  # a market buy still spending: what we asked for
        average = self._average(known)
        if known is None:
            kind = OrderType.LIMIT if self.ord_type == "limit" else OrderType.MARKET
            venue_type = "" if self.ord_type in ("limit", *MARKET_TYPES) else self.ord_type
            return Order(
                self.client_order_id,
                "",
                self.symbol,
                self.side,
                kind,
                quantity,
                self.price,
                self.status,
                self.created_at,
                self.created_at,
                filled_quantity=self.executed,
                average_price=average,
                exchange_order_id=self.exchange_order_id,
                venue_type=venue_type,
            )
        return known.evolve(
            quantity=quantity,
            status=self.status,
            filled_quantity=self.executed,
            average_price=average,
            exchange_order_id=self.exchange_order_id,
            updated_at=max([known.updated_at, *(t.ts for t in self.trades or ())]),
        )

    def _average(self, known: Order | None) -> Decimal:
        if self.trades and self.executed > 0:
            return sum((t.funds for t in self.trades), ZERO) / self.executed
        if self.average is not None and self.executed > 0:
            return self.average
        return known.average_price if known is not None else ZERO

    def fills(self, fresh: Iterable[UpbitTrade]) -> list[Fill]:
        """Fills for the `fresh` trades of this reply. Each trade's fee is its share of
        `paid_fee` by value over all the order's trades, the last one taking what is left,
        so a trade's fee is the same whenever it is first seen (before or after a restart)."""
        wanted = {t.trade_id for t in fresh}
        trades = self.trades or ()
        value = sum((t.funds for t in trades), ZERO)
        fee_left = self.paid_fee
        found = []
        for number, trade in enumerate(trades, start=1):
            last = number == len(trades)
            share = fee_left if last else _share(self.paid_fee, trade.funds, value)
            fee_left -= share
            if trade.trade_id in wanted:
                found.append(
                    Fill(
                        self.client_order_id,
                        self.symbol,
                        self.side,
                        trade.volume,
                        trade.price,
                        share,
                        self.quote,
                        trade.ts,
                        trade.trade_id,
                    )
                )
        return found


def _share(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    return (total * part / whole).quantize(Decimal("0.00000001")) if whole > 0 else ZERO


def symbol_of(market: str) -> tuple[str, str]:
    """`KRW-BTC` -> (`BTCKRW`, `KRW`)."""
    quote, dash, base = market.partition("-")
    if not dash or not quote.isalnum() or not base.isalnum():
        raise ParseError(f"market {market!r} is not QUOTE-BASE")
    return base + quote, quote


def parse_order(raw: Any) -> UpbitOrder:
    try:
        symbol, quote = symbol_of(str(raw["market"]))
        trades = raw.get("trades")
        order = UpbitOrder(
            client_order_id=str(raw.get("identifier") or raw["uuid"]),
            exchange_order_id=str(raw["uuid"]),
            symbol=symbol,
            quote=quote,
            side=SIDES[raw["side"]],
            ord_type=str(raw["ord_type"]),
            price=optional_amount(raw.get("price")) if raw["ord_type"] != "price" else None,
            volume=optional_amount(raw.get("volume")),
            state=str(raw["state"]),
            executed=optional_amount(raw["executed_volume"]) or ZERO,
            paid_fee=optional_amount(raw.get("paid_fee")) or ZERO,
            created_at=_time(raw["created_at"]),
            trades=None if trades is None else tuple(_trade(t) for t in trades),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as exc:
        raise ParseError(f"unreadable Upbit order ({exc!r}): {str(raw)[:160]}") from None
    if order.state not in ("wait", "watch", "done", "cancel"):
        raise ParseError(f"unknown Upbit order state {order.state!r}")
    return order


def parse_balances(raw: Any) -> dict[str, Balance]:
    """GET /v1/accounts: one row per currency held."""
    try:
        return {
            str(row["currency"]): Balance(
                str(row["currency"]),
                required_amount(row["balance"]),
                required_amount(row["locked"]),
            )
            for row in raw
        }
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise ParseError(f"unreadable Upbit accounts ({exc!r}): {str(raw)[:160]}") from None


def _trade(raw: Any) -> UpbitTrade:
    price, volume = required_amount(raw["price"]), required_amount(raw["volume"])
    funds = optional_amount(raw.get("funds")) or price * volume
    return UpbitTrade(str(raw["uuid"]), price, volume, funds, _time(raw["created_at"]))


def _time(value: Any) -> datetime:
    """Upbit's times carry their offset (KST, +09:00)."""
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"time without offset {value!r}")
    return moment.astimezone(UTC)
