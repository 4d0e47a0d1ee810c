"""The Alpaca trading double's account: orders by id and client_order_id, a simple
matcher on prices the test sets, cash and positions, and every order event as the
`trade_updates` frame Alpaca would send (docs.alpaca.markets, "Websocket streaming").

Matching: a market order fills at once at the symbol's price (or waits for a price);
a buy limit fills when the price is at or below it, a sell limit at or above; a stop
sells at the price once it is at or below its stop (buys at or above). An OCO is a
take-profit limit parent with one stop leg: one filling cancels the other. `trade()`
fills part of a working order by hand. Refusals come as Alpaca's error body."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.doubles.alpaca_fees import FeeDesk

Body = dict[str, Any]


class Refusal(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def now_text() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def plain(number: Decimal) -> str:
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class BookOrder:
    client_order_id: str
    symbol: str
    side: str
    type: str
    qty: Decimal
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: str = "day"
    order_class: str = "simple"
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "new"
    filled_qty: Decimal = Decimal(0)
    filled_value: Decimal = Decimal(0)
    created_at: str = field(default_factory=now_text)
    updated_at: str = field(default_factory=now_text)
    legs: list["BookOrder"] = field(default_factory=list)
    parent: "BookOrder | None" = None
    notional: Decimal | None = None

    @property
    def working(self) -> bool:
        return self.status in ("new", "partially_filled", "accepted", "held")

    def wire(self, nested: bool = True) -> Body:
        average = self.filled_value / self.filled_qty if self.filled_qty else None
        return {
            "id": self.id,
            "client_order_id": self.client_order_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "submitted_at": self.created_at,
            "filled_at": None,
            "expired_at": None,
            "canceled_at": None,
            "failed_at": None,
            "replaced_at": None,
            "replaced_by": None,
            "replaces": None,
            "asset_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, self.symbol)),
            "symbol": self.symbol,
            "asset_class": "us_equity",
            "notional": None if self.notional is None else plain(self.notional),
            "qty": None if self.notional is not None else plain(self.qty),
            "filled_qty": plain(self.filled_qty),
            "filled_avg_price": None if average is None else plain(average),
            "order_class": self.order_class,
            "order_type": self.type,
            "type": self.type,
            "side": self.side,
            "time_in_force": self.time_in_force,
            "limit_price": None if self.limit_price is None else plain(self.limit_price),
            "stop_price": None if self.stop_price is None else plain(self.stop_price),
            "status": self.status,
            "extended_hours": False,
            "legs": [leg.wire() for leg in self.legs] if nested and self.legs else None,
            "trail_percent": None,
            "trail_price": None,
            "hwm": None,
        }


@dataclass
class Account:
    cash: Decimal = Decimal(100_000)
    prices: dict[str, Decimal] = field(default_factory=lambda: {"AAPL": Decimal("190.00")})
    positions: dict[str, Decimal] = field(default_factory=dict)
    costs: dict[str, Decimal] = field(default_factory=dict)
    status: str = "ACTIVE"
    trading_blocked: bool = False
    account_blocked: bool = False
    multiplier: str = "1"
    daytrade_count: int = 0
    equity_override: Decimal | None = None
    fractionable: set[str] = field(default_factory=lambda: {"AAPL"})
    orders: dict[str, BookOrder] = field(default_factory=dict)
    placed: list[str] = field(default_factory=list)  # client ids, in order
    listeners: list[Callable[[Body], None]] = field(default_factory=list)
    fees: FeeDesk = field(default_factory=FeeDesk)  # regulatory fees on sales

    @property
    def equity(self) -> Decimal:
        if self.equity_override is not None:
            return self.equity_override
        held = sum(
            (q * self.prices.get(s, Decimal(0)) for s, q in self.positions.items()), Decimal(0)
        )
        return self.cash + held

    def by_client(self, client_order_id: str) -> BookOrder | None:
        return next((o for o in self.orders.values() if o.client_order_id == client_order_id), None)

    # --- placing ----------------------------------------------------------------------
    def place(self, body: Body) -> BookOrder:
        cid = str(body.get("client_order_id") or uuid.uuid4())
        if self.by_client(cid) is not None:
            raise Refusal(422, 40010001, "client_order_id must be unique")
        if self.trading_blocked or self.account_blocked:
            raise Refusal(403, 40310000, "account is not allowed to trade")
        order = self._order(body, cid)
        if order.side == "buy" and order.order_class != "oco":
            price = order.limit_price or self.prices.get(order.symbol, Decimal(0))
            if order.qty * price > self.cash:
                raise Refusal(403, 40310000, "insufficient buying power")
        elif order.side == "sell" and order.qty > self.available(order.symbol):
            raise Refusal(
                403,
                40310000,
                f"insufficient qty available for order (requested: {plain(order.qty)}, "
                f"available: {plain(self.available(order.symbol))})",
            )
        self._add(order)
        self.placed.append(cid)
        self.match()
        return order

    def _order(self, body: Body, cid: str) -> BookOrder:
        symbol = str(body["symbol"])
        if symbol not in self.prices:
            raise Refusal(422, 40010001, f"asset {symbol} not found")
        notional = _number(body.get("notional"))
        if notional is not None:  # a market order for a dollar amount: fractional shares
            if body.get("qty") is not None or body["type"] != "market":
                raise Refusal(422, 40010001, "notional is for market orders without qty")
            qty = (notional / self.prices[symbol]).quantize(Decimal("0.000000001"))
        else:
            qty = Decimal(str(body["qty"]))
        if qty % 1 and symbol not in self.fractionable:
            raise Refusal(422, 40010001, "fractional orders are not supported for this asset")
        kind, order_class = str(body["type"]), str(body.get("order_class") or "simple")
        order = BookOrder(
            cid,
            symbol,
            str(body["side"]),
            kind,
            qty,
            _number(body.get("limit_price")),
            _number(body.get("stop_price")),
            str(body.get("time_in_force", "day")),
            order_class,
            notional=notional,
        )
        if order_class == "oco":
            take, stop = body["take_profit"], body["stop_loss"]
            order.limit_price = Decimal(str(take["limit_price"]))
            leg = BookOrder(
                str(uuid.uuid4()),
                symbol,
                order.side,
                "stop",
                qty,
                stop_price=Decimal(str(stop["stop_price"])),
                time_in_force=order.time_in_force,
                order_class="oco",
                parent=order,
            )
            order.legs.append(leg)
        elif order_class == "bracket":
            exit_side = "sell" if order.side == "buy" else "buy"
            take, stop = body["take_profit"], body["stop_loss"]
            for kind_, price_key, source in (
                ("limit", "limit_price", take),
                ("stop", "stop_price", stop),
            ):
                leg = BookOrder(
                    str(uuid.uuid4()),
                    symbol,
                    exit_side,
                    kind_,
                    qty,
                    time_in_force=order.time_in_force,
                    order_class="bracket",
                    status="held",
                    parent=order,
                )
                setattr(leg, price_key, Decimal(str(source[price_key])))
                order.legs.append(leg)
        return order

    def _add(self, order: BookOrder) -> None:
        self.orders[order.id] = order
        for leg in order.legs:
            self.orders[leg.id] = leg
        self._tell("new", order)

    def available(self, symbol: str) -> Decimal:
        """Shares held minus those held for working sell orders; an OCO or a bracket's
        exit legs hold them once (the legs of a bracket only once its entry filled)."""
        held = Decimal(0)
        for root in self.orders.values():
            if root.symbol != symbol or root.parent is not None:
                continue
            selling = [
                o.qty - o.filled_qty
                for o in (root, *root.legs)
                if o.side == "sell" and o.working and o.status != "held"
            ]
            held += max(selling, default=Decimal(0))
        return self.positions.get(symbol, Decimal(0)) - held

    # --- matching ---------------------------------------------------------------------
    def set_price(self, symbol: str, price: Decimal) -> None:
        self.prices[symbol] = price
        self.match()

    def match(self) -> None:
        for order in list(self.orders.values()):
            if order.working and order.status != "held":
                price = self.prices.get(order.symbol)
                if price is not None and self._marketable(order, price):
                    self.trade(order, order.qty - order.filled_qty, price)

    @staticmethod
    def _marketable(order: BookOrder, price: Decimal) -> bool:
        buy = order.side == "buy"
        if order.type == "market":
            return True
        if order.type == "limit":
            assert order.limit_price is not None
            return price <= order.limit_price if buy else price >= order.limit_price
        assert order.stop_price is not None
        return price >= order.stop_price if buy else price <= order.stop_price

    def trade(self, order: BookOrder, qty: Decimal, price: Decimal) -> None:
        order.filled_qty += qty
        order.filled_value += qty * price
        order.status = "filled" if order.filled_qty >= order.qty else "partially_filled"
        order.updated_at = now_text()
        sign = Decimal(1) if order.side == "buy" else Decimal(-1)
        self.cash -= sign * qty * price
        if order.side == "sell":
            self.fees.on_sale(order.symbol, qty, price)
            if not self.fees.hold:
                self.cash -= self.fees.post()
        self.positions[order.symbol] = self.positions.get(order.symbol, Decimal(0)) + sign * qty
        if not self.positions[order.symbol]:
            del self.positions[order.symbol]
        self._tell("fill" if order.status == "filled" else "partial_fill", order, qty, price)
        if order.status == "filled":
            self._after_fill(order)

    def _after_fill(self, order: BookOrder) -> None:
        if order.order_class == "bracket" and order.parent is None:
            for leg in order.legs:
                leg.status = "new"
                self._tell("new", leg)
        elif order.order_class == "oco" or order.parent is not None:
            family = order.parent or order
            for other in (family, *family.legs):
                if other is not order and other.working:
                    self.cancel(other)

    def reject(self, order: BookOrder, why: str = "rejected by the exchange") -> None:
        """Alpaca accepted it, then the market refused it: a `rejected` event."""
        order.status, order.updated_at = "rejected", now_text()
        self._tell("rejected", order)

    def cancel(self, order: BookOrder) -> None:
        order.status, order.updated_at = "canceled", now_text()
        self._tell("canceled", order)
        for leg in order.legs:
            if leg.working:
                self.cancel(leg)

    # --- what the API shows -----------------------------------------------------------
    def account_wire(self) -> Body:
        return {
            "id": "00000000-0000-4000-8000-000000000001",
            "account_number": "PA0DOUBLE",
            "status": self.status,
            "crypto_status": "ACTIVE",
            "currency": "USD",
            "cash": plain(self.cash),
            "buying_power": plain(self.cash * Decimal(self.multiplier)),
            "portfolio_value": plain(self.equity),
            "equity": plain(self.equity),
            "last_equity": plain(self.equity),
            "pattern_day_trader": False,
            "daytrade_count": self.daytrade_count,
            "trading_blocked": self.trading_blocked,
            "transfers_blocked": False,
            "account_blocked": self.account_blocked,
            "trade_suspended_by_user": False,
            "multiplier": self.multiplier,
            "shorting_enabled": False,
            "created_at": "2026-01-02T15:00:00Z",
        }

    def positions_wire(self) -> list[Body]:
        return [
            {
                "asset_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, symbol)),
                "symbol": symbol,
                "exchange": "NASDAQ",
                "asset_class": "us_equity",
                "avg_entry_price": plain(self.prices[symbol]),
                "qty": plain(abs(qty)),
                "side": "long" if qty > 0 else "short",
                "cost_basis": plain(abs(qty) * self.prices[symbol]),
            }
            for symbol, qty in self.positions.items()
        ]

    def asset_wire(self, symbol: str) -> Body:
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, symbol)),
            "class": "us_equity",
            "exchange": "NASDAQ",
            "symbol": symbol,
            "name": f"{symbol} Inc.",
            "status": "active",
            "tradable": True,
            "marginable": True,
            "shortable": True,
            "easy_to_borrow": True,
            "fractionable": symbol in self.fractionable,
            "min_order_size": "1",
            "min_trade_increment": "0.000000001",
            "price_increment": "0.01",
        }

    def _tell(
        self, event: str, order: BookOrder, qty: Decimal | None = None, price: Decimal | None = None
    ) -> None:
        data: Body = {"event": event, "order": order.wire(), "timestamp": now_text()}
        if qty is not None and price is not None:
            data |= {
                "execution_id": str(uuid.uuid4()),
                "qty": plain(qty),
                "price": plain(price),
                "position_qty": plain(self.positions.get(order.symbol, Decimal(0))),
            }
        for listener in self.listeners:
            listener({"stream": "trade_updates", "data": data})


def _number(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))
