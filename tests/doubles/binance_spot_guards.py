"""Protective orders on the spot double, as Binance documents them: a STOP_LOSS_LIMIT
order (POST /api/v3/order), an OCO list (POST /api/v3/orderList/oco: a LIMIT_MAKER above
and a STOP_LOSS_LIMIT below, one quantity reserved for both), its cancel (DELETE
/api/v3/orderList) and GET /api/v3/allOrders for the history.

They rest until the price moves (`on_price`): a stop triggers when the price falls to
its stopPrice and, its limit being under the price, fills at the price; the LIMIT_MAKER
fills at its own price when the price reaches it. When one leg of a list fills, the
other expires. executionReport and listStatus events are returned for pushing."""

from decimal import Decimal
from typing import Any

from tests.doubles.binance_matching import DoubleOrder, ExchangeError, SpotEngine

_STOP, _MAKER = "STOP_LOSS_LIMIT", "LIMIT_MAKER"


class SpotGuardBook:
    def __init__(self, engine: SpotEngine) -> None:
        self.engine = engine
        self.lists: dict[int, tuple[str, list[DoubleOrder]]] = {}  # id → (list cid, legs)
        self.placed = 0  # accepted stop orders and lists, for tests that count requests
        self._next_list = 7000

    # --- placing ------------------------------------------------------------------
    def place_stop(self, p: dict[str, str], now_ms: int) -> tuple[DoubleOrder, list[dict]]:
        """A lone STOP_LOSS_LIMIT (sell): stopPrice, price and timeInForce required."""
        if not all(p.get(k) for k in ("stopPrice", "price", "timeInForce")):
            raise ExchangeError(-1102, "Mandatory parameter 'stopPrice' was not sent.")
        order = self._leg(p, p["newClientOrderId"], _STOP, p["price"], p["stopPrice"], -1, now_ms)
        self.placed += 1
        return order, [order.report(now_ms, "NEW")]

    def place_oco(self, p: dict[str, str], now_ms: int) -> tuple[dict[str, Any], list[dict]]:
        if p.get("aboveType") != _MAKER or p.get("belowType") != _STOP:
            raise ExchangeError(-1116, "Invalid orderType.")
        if any(cid == p.get("listClientOrderId") for cid, _ in self.lists.values()):
            raise ExchangeError(-2010, "Duplicate order sent.")
        self._next_list += 1
        list_id = self._next_list
        above = self._leg(p, p["aboveClientOrderId"], _MAKER, p["abovePrice"], "0", list_id, now_ms)
        below = self._leg(
            p, p["belowClientOrderId"], _STOP, p["belowPrice"], p["belowStopPrice"], list_id,
            now_ms, reserve=False,
        )  # fmt: skip
        legs = [below, above]
        self.lists[list_id] = (p["listClientOrderId"], legs)
        self.placed += 1
        events = [leg.report(now_ms, "NEW") for leg in legs]
        return self._list_json(list_id, "EXEC_STARTED", now_ms), [
            *events,
            self._list_event(list_id, "EXEC_STARTED", now_ms),
        ]

    def _leg(
        self, p: dict[str, str], cid: str, kind: str, price: str, stop: str, list_id: int,
        now_ms: int, *, reserve: bool = True,
    ) -> DoubleOrder:  # fmt: skip
        spec = self.engine.specs.get(p.get("symbol", ""))
        if spec is None:
            raise ExchangeError(-1121, "Invalid symbol.")
        if p.get("side") != "SELL":
            raise ExchangeError(-1116, "Only sell protection is modelled here.")
        qty, limit, trigger = Decimal(p["quantity"]), Decimal(price), Decimal(stop)
        if limit % spec.tick or trigger % spec.tick:
            raise ExchangeError(-1013, "Filter failure: PRICE_FILTER")
        if qty % spec.step or not spec.min_qty <= qty <= spec.max_qty:
            raise ExchangeError(-1013, "Filter failure: LOT_SIZE")
        market = self.engine.prices.get(p["symbol"])
        if market is not None and kind == _STOP and trigger >= market:
            raise ExchangeError(-2010, "Stop price would trigger immediately.")
        if market is not None and kind == _MAKER and limit <= market:
            raise ExchangeError(-2010, "Order would immediately match and take.")
        if reserve:
            self.engine._reserve(spec, "SELL", qty, limit)
        self.engine._next_order += 1
        order = DoubleOrder(
            self.engine._next_order, cid, p["symbol"], "SELL", kind, qty, limit, limit, now_ms,
            update_ms=now_ms, stop=trigger, list_id=list_id,
        )  # fmt: skip
        self.engine.orders[order.order_id] = order
        return order

    # --- cancelling ---------------------------------------------------------------
    def cancel_list(self, p: dict[str, str], now_ms: int) -> tuple[dict[str, Any], list[dict]]:
        found = [
            i for i, (cid, _) in self.lists.items()
            if cid == p.get("listClientOrderId") or str(i) == p.get("orderListId")
        ]  # fmt: skip
        if not found:
            raise ExchangeError(-2011, "Order list does not exist.")
        list_id = found[0]
        _, legs = self.lists[list_id]
        if not any(leg.status == "NEW" for leg in legs):
            raise ExchangeError(-2011, "Unknown order sent.")
        events: list[dict] = []
        for index, leg in enumerate(legs):
            if index == 0:  # the shared reservation is released once
                events += self.engine.cancel(leg, f"cancel{leg.order_id}", now_ms)
            else:
                leg.status, leg.update_ms = "CANCELED", now_ms
                events.append(leg.report(now_ms, "CANCELED", cancel_id=f"cancel{leg.order_id}"))
        events.append(self._list_event(list_id, "ALL_DONE", now_ms))
        return self._list_json(list_id, "ALL_DONE", now_ms), events

    # --- the market moves -----------------------------------------------------------
    def on_price(self, symbol: str, now_ms: int) -> list[dict[str, Any]]:
        price = self.engine.prices[symbol]
        events: list[dict[str, Any]] = []
        for order in [o for o in self.engine.open_orders(symbol) if o.type in (_STOP, _MAKER)]:
            if order.status != "NEW":
                continue  # its list's other leg filled a moment ago
            if order.type == _STOP and price <= order.stop and order.price <= price:
                events += self._fill(order, price, now_ms, maker=False)
            elif order.type == _MAKER and price >= order.price:
                events += self._fill(order, order.price, now_ms, maker=True)
        return events

    def _fill(self, order: DoubleOrder, price: Decimal, now_ms: int, maker: bool) -> list[dict]:
        events = self.engine.fill(order.cid, order.remaining, price, now_ms, maker=maker)
        if order.list_id == -1:
            return events
        _, legs = self.lists[order.list_id]
        for other in legs:
            if other is not order and other.status == "NEW":
                other.status, other.update_ms = "EXPIRED", now_ms
                events.append(other.report(now_ms, "EXPIRED"))
        return [*events, self._list_event(order.list_id, "ALL_DONE", now_ms)]

    def all_orders(self, symbol: str, since_ms: int) -> list[dict[str, Any]]:
        return [
            o.json() for o in self.engine.orders.values()
            if o.symbol == symbol and o.time_ms >= since_ms
        ]  # fmt: skip

    # --- JSON -------------------------------------------------------------------------
    def _list_json(self, list_id: int, status: str, now_ms: int) -> dict[str, Any]:
        cid, legs = self.lists[list_id]
        return {
            "orderListId": list_id,
            "contingencyType": "OCO",
            "listStatusType": status,
            "listOrderStatus": "EXECUTING" if status == "EXEC_STARTED" else "ALL_DONE",
            "listClientOrderId": cid,
            "transactionTime": now_ms,
            "symbol": legs[0].symbol,
            "orders": [
                {"symbol": leg.symbol, "orderId": leg.order_id, "clientOrderId": leg.cid}
                for leg in legs
            ],
            "orderReports": [leg.json() | {"transactTime": now_ms} for leg in legs],
        }

    def _list_event(self, list_id: int, status: str, now_ms: int) -> dict[str, Any]:
        cid, legs = self.lists[list_id]
        return {
            "e": "listStatus",
            "E": now_ms,
            "s": legs[0].symbol,
            "g": list_id,
            "c": "OCO",
            "l": status,
            "L": "EXECUTING" if status == "EXEC_STARTED" else "ALL_DONE",
            "r": "NONE",
            "C": cid,
            "T": now_ms,
            "O": [{"s": leg.symbol, "i": leg.order_id, "c": leg.cid} for leg in legs],
        }
