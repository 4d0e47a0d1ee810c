"""A tiny spot matching engine for the Binance exchange double: orders, balances and
the JSON Binance answers with (REST replies and user-data events).

LIMIT orders rest unless they cross the configured market price; MARKET orders fill at
that price at once. Commission is 0.1% of what the account receives. Orders placed
outside the trader (`place_foreign`: STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT, LIMIT_MAKER, OCO
legs with their orderListId) rest with their stopPrice as Binance shows them."""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

FEE_RATE = Decimal("0.001")
_CID = re.compile(r"^[a-zA-Z0-9-_]{1,36}$")


def num(value: Decimal) -> str:
    return f"{value:.8f}"


class ExchangeError(Exception):
    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status


@dataclass(frozen=True)
class SymbolSpec:
    base: str
    quote: str
    tick: Decimal = Decimal("0.01")
    step: Decimal = Decimal("0.00001")
    min_qty: Decimal = Decimal("0.00001")
    max_qty: Decimal = Decimal("9000")
    min_notional: Decimal = Decimal("5")
    max_notional: Decimal = Decimal("9000000")
    status: str = "TRADING"
    oco_allowed: bool = True

    def filters(self) -> list[dict[str, Any]]:
        return [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": num(self.tick),
                "maxPrice": "1000000.00000000",
                "tickSize": num(self.tick),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": num(self.min_qty),
                "maxQty": num(self.max_qty),
                "stepSize": num(self.step),
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": num(self.min_notional),
                "applyMinToMarket": True,
                "maxNotional": num(self.max_notional),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        ]


@dataclass
class DoubleOrder:
    order_id: int
    cid: str
    symbol: str
    side: str
    type: str
    qty: Decimal
    price: Decimal  # 0 for MARKET
    reserve_price: Decimal  # the price its quote reservation was made at
    time_ms: int
    status: str = "NEW"
    executed: Decimal = Decimal(0)
    quote: Decimal = Decimal(0)
    update_ms: int = 0
    fills: list[dict[str, Any]] = field(default_factory=list)
    stop: Decimal = Decimal(0)  # stopPrice of STOP_LOSS(_LIMIT) / TAKE_PROFIT(_LIMIT)
    list_id: int = -1  # orderListId of an OCO leg

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.executed

    def json(self, *, cancel_id: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": self.list_id,
            "clientOrderId": cancel_id or self.cid,
            "price": num(self.price),
            "stopPrice": num(self.stop),
            "icebergQty": "0.00000000",
            "origQty": num(self.qty),
            "executedQty": num(self.executed),
            "origQuoteOrderQty": "0.00000000",
            "cummulativeQuoteQty": num(self.quote),
            "status": self.status,
            "timeInForce": "GTC",
            "type": self.type,
            "side": self.side,
            "workingTime": self.time_ms,
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "time": self.time_ms,
            "updateTime": self.update_ms or self.time_ms,
        }
        if cancel_id:
            body["origClientOrderId"] = self.cid
            body["transactTime"] = self.update_ms
        return body

    def report(
        self, now_ms: int, exec_type: str, trade: dict[str, Any] | None = None, cancel_id: str = ""
    ) -> dict[str, Any]:
        """An executionReport event as the user data stream carries it."""
        last = trade or {}
        return {
            "e": "executionReport",
            "E": now_ms,
            "s": self.symbol,
            "c": cancel_id or self.cid,
            "S": self.side,
            "o": self.type,
            "f": "GTC",
            "q": num(self.qty),
            "p": num(self.price),
            "P": num(self.stop),
            "F": "0.00000000",
            "g": self.list_id,
            "C": self.cid if cancel_id else "",
            "x": exec_type,
            "X": self.status,
            "r": "NONE",
            "i": self.order_id,
            "l": last.get("qty", "0.00000000"),
            "z": num(self.executed),
            "L": last.get("price", "0.00000000"),
            "n": last.get("commission", "0"),
            "N": last.get("commissionAsset"),
            "T": now_ms,
            "t": last.get("tradeId", -1),
            "I": self.order_id * 10,
            "w": self.status == "NEW",
            "m": bool(last.get("maker", False)),
            "M": False,
            "O": self.time_ms,
            "Z": num(self.quote),
            "Y": "0.00000000",
            "Q": "0.00000000",
            "W": self.time_ms,
            "V": "EXPIRE_MAKER",
        }


class SpotEngine:
    def __init__(self, specs: dict[str, SymbolSpec], balances: dict[str, Decimal]) -> None:
        self.specs = specs
        self.prices: dict[str, Decimal] = {}
        self.free = dict(balances)
        self.locked: dict[str, Decimal] = {}
        self.orders: dict[int, DoubleOrder] = {}
        self._next_order = 1000
        self._next_trade = 5000
        self.can_withdraw = False

    # --- queries ------------------------------------------------------------------
    def find(self, symbol: str, order_id: str | None, cid: str | None) -> DoubleOrder:
        for order in self.orders.values():
            if order.symbol == symbol and (
                str(order.order_id) == order_id or (cid is not None and order.cid == cid)
            ):
                return order
        raise ExchangeError(-2013, "Order does not exist.")

    def by_cid(self, cid: str) -> DoubleOrder:
        for order in self.orders.values():
            if order.cid == cid:
                return order
        raise KeyError(cid)

    def open_orders(self, symbol: str | None) -> list[DoubleOrder]:
        return [
            o
            for o in self.orders.values()
            if o.status in ("NEW", "PARTIALLY_FILLED") and symbol in (None, o.symbol)
        ]

    def account(self, now_ms: int) -> dict[str, Any]:
        assets = sorted(set(self.free) | set(self.locked))
        return {
            "makerCommission": 10,
            "takerCommission": 10,
            "canTrade": True,
            "canWithdraw": self.can_withdraw,
            "canDeposit": False,
            "updateTime": now_ms,
            "accountType": "SPOT",
            "permissions": ["SPOT"],
            "balances": [
                {
                    "asset": a,
                    "free": num(self.free.get(a, Decimal(0))),
                    "locked": num(self.locked.get(a, Decimal(0))),
                }
                for a in assets
            ],
        }

    def my_trades(self, symbol: str, order_id: str | None) -> list[dict[str, Any]]:
        """GET /api/v3/myTrades rows, oldest first."""
        rows = [
            {
                "symbol": o.symbol,
                "id": t["tradeId"],
                "orderId": o.order_id,
                "orderListId": -1,
                "price": t["price"],
                "qty": t["qty"],
                "quoteQty": num(Decimal(t["price"]) * Decimal(t["qty"])),
                "commission": t["commission"],
                "commissionAsset": t["commissionAsset"],
                "time": t["time"],
                "isBuyer": o.side == "BUY",
                "isMaker": t["maker"],
                "isBestMatch": True,
            }
            for o in self.orders.values()
            if o.symbol == symbol and order_id in (None, str(o.order_id))
            for t in o.fills
        ]
        return sorted(rows, key=lambda row: int(row["id"]))

    def position_event(self, now_ms: int, assets: set[str]) -> dict[str, Any]:
        return {
            "e": "outboundAccountPosition",
            "E": now_ms,
            "u": now_ms,
            "B": [
                {
                    "a": a,
                    "f": num(self.free.get(a, Decimal(0))),
                    "l": num(self.locked.get(a, Decimal(0))),
                }
                for a in sorted(assets)
            ],
        }

    # --- placing ------------------------------------------------------------------
    def _validate(self, p: dict[str, str]) -> tuple[SymbolSpec, Decimal, Decimal]:
        spec = self.specs.get(p.get("symbol", ""))
        if spec is None:
            raise ExchangeError(-1121, "Invalid symbol.")
        if p.get("side") not in ("BUY", "SELL") or p.get("type") not in ("LIMIT", "MARKET"):
            raise ExchangeError(-1116, "Invalid orderType.")
        if not _CID.match(p.get("newClientOrderId", "")):
            raise ExchangeError(
                -1100,
                "Illegal characters found in parameter "
                "'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.",
            )
        qty = Decimal(p["quantity"])
        if p["type"] == "LIMIT":
            if "price" not in p or "timeInForce" not in p:
                raise ExchangeError(
                    -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed."
                )
            price = Decimal(p["price"])
        else:
            price = self.prices[spec.base + spec.quote]
        if p["type"] == "LIMIT" and price % spec.tick != 0:
            raise ExchangeError(-1013, "Filter failure: PRICE_FILTER")
        if not spec.min_qty <= qty <= spec.max_qty or qty % spec.step != 0:
            raise ExchangeError(-1013, "Filter failure: LOT_SIZE")
        if not spec.min_notional <= qty * price <= spec.max_notional:
            raise ExchangeError(-1013, "Filter failure: NOTIONAL")
        return spec, qty, price

    def _reserve(self, spec: SymbolSpec, side: str, qty: Decimal, price: Decimal) -> None:
        asset, amount = (spec.quote, qty * price) if side == "BUY" else (spec.base, qty)
        if self.free.get(asset, Decimal(0)) < amount:
            raise ExchangeError(-2010, "Account has insufficient balance for requested action.")
        self.free[asset] -= amount
        self.locked[asset] = self.locked.get(asset, Decimal(0)) + amount

    def place(self, p: dict[str, str], now_ms: int) -> tuple[DoubleOrder, list[dict[str, Any]]]:
        if any(o.cid == p.get("newClientOrderId") for o in self.open_orders(None)):
            raise ExchangeError(-2010, "Duplicate order sent.")
        spec, qty, price = self._validate(p)
        self._reserve(spec, p["side"], qty, price)
        self._next_order += 1
        limit = price if p["type"] == "LIMIT" else Decimal(0)
        order = DoubleOrder(
            self._next_order,
            p["newClientOrderId"],
            p["symbol"],
            p["side"],
            p["type"],
            qty,
            limit,
            price,
            now_ms,
            update_ms=now_ms,
        )
        self.orders[order.order_id] = order
        events = [order.report(now_ms, "NEW")]
        market = self.prices.get(order.symbol)
        crosses = market is not None and (
            p["type"] == "MARKET"
            or (order.side == "BUY" and price >= market)
            or (order.side == "SELL" and price <= market)
        )
        if crosses and market is not None:
            events += self.fill(order.cid, qty, market, now_ms, maker=False)
        return order, events

    def place_foreign(
        self,
        cid: str,
        kind: str,
        side: str,
        qty: Decimal,
        now_ms: int,
        *,
        price: Decimal = Decimal(0),
        stop: Decimal = Decimal(0),
        list_id: int = -1,
        symbol: str = "BTCUSDT",
    ) -> list[dict[str, Any]]:
        """An order placed outside the trader (the web UI, another bot), left resting:
        STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT, LIMIT_MAKER, ... `list_id` makes it an OCO
        leg; the list's quantity is reserved by its first leg only."""
        spec = self.specs[symbol]
        if not any(o.list_id == list_id for o in self.orders.values()) or list_id == -1:
            self._reserve(spec, side, qty, price or stop)
        self._next_order += 1
        order = DoubleOrder(
            self._next_order, cid, symbol, side, kind, qty, price, price or stop, now_ms,
            update_ms=now_ms, stop=stop, list_id=list_id,
        )  # fmt: skip
        self.orders[order.order_id] = order
        return [order.report(now_ms, "NEW")]

    def fill(
        self, cid: str, qty: Decimal, price: Decimal, now_ms: int, maker: bool = True
    ) -> list[dict[str, Any]]:
        order = self.by_cid(cid)
        spec = self.specs[order.symbol]
        assert order.status in ("NEW", "PARTIALLY_FILLED") and qty <= order.remaining
        quote = qty * price
        if order.side == "BUY":
            fee, fee_asset = qty * FEE_RATE, spec.base
            self.locked[spec.quote] -= qty * order.reserve_price
            self.free[spec.quote] += qty * (order.reserve_price - price)
            self.free[spec.base] = self.free.get(spec.base, Decimal(0)) + qty - fee
        else:
            fee, fee_asset = quote * FEE_RATE, spec.quote
            self.locked[spec.base] -= qty
            self.free[spec.quote] = self.free.get(spec.quote, Decimal(0)) + quote - fee
        self._next_trade += 1
        trade = {
            "price": num(price),
            "qty": num(qty),
            "commission": num(fee),
            "commissionAsset": fee_asset,
            "tradeId": self._next_trade,
            "maker": maker,
            "time": now_ms,
        }
        order.fills.append(trade)
        order.executed += qty
        order.quote += quote
        order.status = "FILLED" if order.remaining == 0 else "PARTIALLY_FILLED"
        order.update_ms = now_ms
        return [
            order.report(now_ms, "TRADE", trade),
            self.position_event(now_ms, {spec.base, spec.quote}),
        ]

    def cancel(self, order: DoubleOrder, cancel_id: str, now_ms: int) -> list[dict[str, Any]]:
        if order.status not in ("NEW", "PARTIALLY_FILLED"):
            raise ExchangeError(-2011, "Unknown order sent.")
        spec = self.specs[order.symbol]
        if order.side == "BUY":
            asset, amount = spec.quote, order.remaining * order.reserve_price
        else:
            asset, amount = spec.base, order.remaining
        self.locked[asset] -= amount
        self.free[asset] += amount
        order.status, order.update_ms = "CANCELED", now_ms
        return [
            order.report(now_ms, "CANCELED", cancel_id=cancel_id),
            self.position_event(now_ms, {asset}),
        ]
