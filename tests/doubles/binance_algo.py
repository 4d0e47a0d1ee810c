"""Binance's Algo Service for the USD-M double: conditional orders (STOP_MARKET,
TAKE_PROFIT_MARKET) held apart from the order book until the mark price crosses their
trigger, as documented for POST/GET/DELETE /fapi/v1/algoOrder, GET /fapi/v1/openAlgoOrders
and the ALGO_UPDATE user data event.

When one fires it becomes TRIGGERED, its market order goes to the matching engine under
the same client id (so its fill is an ordinary ORDER_TRADE_UPDATE), then FINISHED with
the average price and quantity. A reduce-only one that finds nothing to reduce EXPIRES.
The algo book lives in the exchange, not in the trader: a killed trader's stops still
fire here when the mark moves."""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.doubles.binance_futures_engine import FuturesEngine
from tests.doubles.binance_matching import ExchangeError, num

_CID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
_TYPES = ("STOP_MARKET", "TAKE_PROFIT_MARKET")
_OPEN = ("NEW",)


@dataclass
class AlgoOrder:
    algo_id: int
    cid: str
    symbol: str
    side: str
    type: str
    qty: Decimal
    trigger: Decimal
    reduce_only: bool
    working_type: str
    create_ms: int
    status: str = "NEW"
    update_ms: int = 0
    trigger_ms: int = 0
    actual_order_id: str = ""
    avg: Decimal = Decimal(0)
    executed: Decimal = Decimal(0)
    reason: str = ""

    def fires_at(self, mark: Decimal) -> bool:
        """A stop sells when the mark falls to it (buys when it rises to it); a
        take-profit the other way round."""
        falling = (self.type == "STOP_MARKET") == (self.side == "SELL")
        return mark <= self.trigger if falling else mark >= self.trigger

    def json(self) -> dict[str, Any]:
        return {
            "algoId": self.algo_id,
            "clientAlgoId": self.cid,
            "algoType": "CONDITIONAL",
            "orderType": self.type,
            "symbol": self.symbol,
            "side": self.side,
            "positionSide": "BOTH",
            "timeInForce": "GTC",
            "quantity": num(self.qty),
            "algoStatus": self.status,
            "actualOrderId": self.actual_order_id,
            "executedQty": num(self.executed),
            "avgPrice": num(self.avg),
            "triggerPrice": num(self.trigger),
            "price": "0.00",
            "icebergQuantity": None,
            "tpTriggerPrice": "0.00",
            "tpPrice": "0.00",
            "slTriggerPrice": "0.00",
            "slPrice": "0.00",
            "tpOrderType": "",
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "workingType": self.working_type,
            "priceMatch": "NONE",
            "closePosition": False,
            "priceProtect": True,
            "reduceOnly": self.reduce_only,
            "createTime": self.create_ms,
            "updateTime": self.update_ms or self.create_ms,
            "triggerTime": self.trigger_ms,
            "goodTillDate": 0,
        }

    def event(self, now_ms: int) -> dict[str, Any]:
        return {
            "e": "ALGO_UPDATE",
            "T": now_ms,
            "E": now_ms,
            "o": {
                "caid": self.cid,
                "aid": self.algo_id,
                "at": "CONDITIONAL",
                "o": self.type,
                "s": self.symbol,
                "S": self.side,
                "ps": "BOTH",
                "f": "GTC",
                "q": num(self.qty),
                "X": self.status,
                "ai": self.actual_order_id,
                "ap": num(self.avg),
                "aq": num(self.executed),
                "act": "MARKET" if self.actual_order_id else "0",
                "tp": num(self.trigger),
                "p": "0",
                "V": "EXPIRE_MAKER",
                "wt": self.working_type,
                "pm": "NONE",
                "cp": False,
                "pP": True,
                "R": self.reduce_only,
                "tt": self.trigger_ms,
                "gtd": 0,
                "rm": self.reason,
            },
        }


class AlgoBook:
    def __init__(self, engine: FuturesEngine) -> None:
        self.engine = engine
        self.orders: dict[int, AlgoOrder] = {}
        self.placed = 0  # every accepted placement, for tests that count requests
        self._next_algo = 3_000_000

    def open_orders(self, symbol: str | None = None) -> list[AlgoOrder]:
        return [
            o for o in self.orders.values()
            if o.status in _OPEN and symbol in (None, o.symbol)
        ]  # fmt: skip

    def find(self, symbol: str, algo_id: str | None, cid: str | None) -> AlgoOrder:
        for order in self.orders.values():
            if order.symbol == symbol and (str(order.algo_id) == algo_id or order.cid == cid):
                return order
        raise ExchangeError(-2013, "Order does not exist.")

    def place(self, p: dict[str, str], now_ms: int) -> tuple[AlgoOrder, list[dict[str, Any]]]:
        symbol, side, kind = p.get("symbol", ""), p.get("side", ""), p.get("type", "")
        if p.get("algoType") != "CONDITIONAL":
            raise ExchangeError(-1116, "Invalid algoType.")
        if symbol not in self.engine.symbols:
            raise ExchangeError(-1121, "Invalid symbol.")
        if side not in ("BUY", "SELL") or kind not in _TYPES:
            raise ExchangeError(-1116, "Invalid orderType.")
        cid = p.get("clientAlgoId", "")
        if not _CID.match(cid):
            raise ExchangeError(-1100, "Illegal characters found in parameter 'clientAlgoId'.")
        if any(o.cid == cid for o in self.open_orders()):
            raise ExchangeError(-4116, "ClientOrderId is duplicated.")
        qty, trigger = Decimal(p["quantity"]), Decimal(p["triggerPrice"])
        if qty < Decimal("0.001") or qty % Decimal("0.001") != 0:
            raise ExchangeError(-1111, "Precision is over the maximum defined for this asset.")
        if trigger <= 0 or trigger % Decimal("0.1") != 0:
            raise ExchangeError(-4014, "Price not increased by tick size.")
        reduce_only = p.get("reduceOnly") == "true"
        held, _ = self.engine.position(symbol)
        if reduce_only and (held == 0 or (held > 0) == (side == "BUY")):
            raise ExchangeError(-2022, "ReduceOnly Order is rejected.")
        self._next_algo += 1
        order = AlgoOrder(
            self._next_algo, cid, symbol, side, kind, qty, trigger, reduce_only,
            p.get("workingType", "CONTRACT_PRICE"), now_ms,
        )  # fmt: skip
        mark = self.engine.marks.get(symbol)
        if mark is not None and order.fires_at(mark):
            raise ExchangeError(-2021, "Order would immediately trigger.")
        self.orders[order.algo_id] = order
        self.placed += 1
        return order, [order.event(now_ms)]

    def cancel(self, order: AlgoOrder, now_ms: int) -> list[dict[str, Any]]:
        if order.status not in _OPEN:
            raise ExchangeError(-2011, "Unknown order sent.")
        order.status, order.update_ms = "CANCELED", now_ms
        return [order.event(now_ms)]

    def on_mark(self, symbol: str, now_ms: int) -> list[dict[str, Any]]:
        """The mark moved: fire every open order on `symbol` it crossed, oldest first."""
        mark = self.engine.marks[symbol]
        events: list[dict[str, Any]] = []
        for order in sorted(self.open_orders(symbol), key=lambda o: o.algo_id):
            if order.fires_at(mark):
                events += self._fire(order, now_ms)
        return events

    def _fire(self, order: AlgoOrder, now_ms: int) -> list[dict[str, Any]]:
        order.status, order.trigger_ms, order.update_ms = "TRIGGERED", now_ms, now_ms
        held, _ = self.engine.position(order.symbol)
        reducible = held < 0 if order.side == "BUY" else held > 0
        if order.reduce_only and not reducible:
            order.status, order.reason = "EXPIRED", "Reduce Only reject"
            return [order.event(now_ms)]
        qty = min(order.qty, abs(held)) if order.reduce_only else order.qty
        params = {
            "symbol": order.symbol,
            "side": order.side,
            "type": "MARKET",
            "quantity": num(qty),
            "newClientOrderId": order.cid,
            "reduceOnly": "true" if order.reduce_only else "false",
        }
        placed, fills = self.engine.place(params, now_ms)
        order.actual_order_id = str(placed.order_id)
        events = [order.event(now_ms), *fills]
        order.status, order.avg, order.executed = "FINISHED", placed.average, placed.executed
        return [*events, order.event(now_ms)]
