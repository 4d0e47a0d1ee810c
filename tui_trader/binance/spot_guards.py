"""Guards on spot: a STOP_LOSS_LIMIT sell for a position's stop, or, where the symbol
allows OCO, one order list holding the stop below and a LIMIT_MAKER take-profit above
(the base asset can be locked only once, so the two must be one list).

A stop-limit needs a limit price: STOP_LIMIT_GAP under the stop, so it still fills when
the price gaps through. The legs' client ids are the guard's id plus "-s" (stop) and
"-t" (take-profit); the list's own id is the guard's. Every leg is reported to the guard
listeners as its guard's state: filled → DONE, cancelled → CANCELED, the other leg of a
filled list → EXPIRED (the DONE was said already)."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from tui_trader.binance.errors import ErrorKind, ExchangeCallFailed
from tui_trader.binance.guarded_broker import tell_listeners
from tui_trader.domain.enums import Side
from tui_trader.domain.guards import GuardKind, GuardOrder, GuardStatus, is_guard_id
from tui_trader.domain.rules import SymbolRules
from tui_trader.execution.broker import BrokerError, GuardListener

Call = Callable[..., Awaitable[Any]]
STOP_LIMIT_GAP = Decimal("0.01")  # the stop-limit's limit: 1% past its stop
STOP_LEG, TAKE_LEG = "-s", "-t"
_STATUS = {
    "NEW": GuardStatus.OPEN,
    "PARTIALLY_FILLED": GuardStatus.TRIGGERED,
    "FILLED": GuardStatus.DONE,
    "CANCELED": GuardStatus.CANCELED,
    "PENDING_CANCEL": GuardStatus.CANCELED,
    "REJECTED": GuardStatus.REJECTED,
    "EXPIRED": GuardStatus.EXPIRED,
    "EXPIRED_IN_MATCH": GuardStatus.EXPIRED,
}


def guard_of_leg(client_id: str) -> str:
    """The guard a leg belongs to (a lone stop is its own guard)."""
    for suffix in (STOP_LEG, TAKE_LEG):
        if client_id.endswith(suffix):
            return client_id.removesuffix(suffix)
    return client_id


class SpotGuards:
    def __init__(
        self,
        call: Call,
        symbols: Sequence[str],
        rules: Callable[[str], SymbolRules | None],
        symbol_info: Callable[[str], dict[str, Any]],
    ) -> None:
        self._call, self._symbols = call, tuple(symbols)
        self._rules, self._info = rules, symbol_info
        self._listeners: list[GuardListener] = []
        self.held: dict[str, GuardOrder] = {}  # working guards by client id

    def subscribe(self, listener: GuardListener) -> None:
        self._listeners.append(listener)

    def kinds(self, symbol: str) -> frozenset[GuardKind]:
        info = self._info(symbol)
        if "STOP_LOSS_LIMIT" not in info.get("orderTypes", ()):
            return frozenset()
        if info.get("ocoAllowed") is True:
            return frozenset({GuardKind.STOP, GuardKind.BRACKET})
        return frozenset({GuardKind.STOP})

    def open_for(self, symbol: str) -> list[GuardOrder]:
        return [g for g in self.held.values() if g.symbol == symbol]

    # --- placing and cancelling ---------------------------------------------------------
    async def place(self, guard: GuardOrder) -> GuardOrder:
        try:
            if guard.kind is GuardKind.BRACKET:
                await self._call("create_oco_order", **self._oco_params(guard))
            else:
                await self._call("create_order", **self._stop_params(guard))
        except ExchangeCallFailed as exc:
            if exc.error.kind is not ErrorKind.REJECTED:
                raise
            return self._emit(
                replace(guard, status=GuardStatus.REJECTED, reason=exc.error.describe())
            )
        return self._emit(replace(guard, status=GuardStatus.OPEN))

    def _limit(self, guard: GuardOrder) -> Decimal:
        rules = self._rules(guard.symbol)
        limit = guard.trigger * (1 - STOP_LIMIT_GAP)
        return rules.round_price(limit, Side.BUY) if rules is not None else limit

    def _stop_params(self, guard: GuardOrder) -> dict[str, str]:
        return {
            "symbol": guard.symbol,
            "side": guard.side.value,
            "type": "STOP_LOSS_LIMIT",
            "quantity": f"{guard.quantity:f}",
            "stopPrice": f"{guard.trigger:f}",
            "price": f"{self._limit(guard):f}",
            "timeInForce": "GTC",
            "newClientOrderId": guard.client_id,
            "newOrderRespType": "ACK",
        }

    def _oco_params(self, guard: GuardOrder) -> dict[str, str]:
        assert guard.take_profit is not None
        return {
            "symbol": guard.symbol,
            "side": guard.side.value,
            "quantity": f"{guard.quantity:f}",
            "listClientOrderId": guard.client_id,
            "aboveType": "LIMIT_MAKER",
            "abovePrice": f"{guard.take_profit:f}",
            "aboveClientOrderId": guard.client_id + TAKE_LEG,
            "belowType": "STOP_LOSS_LIMIT",
            "belowStopPrice": f"{guard.trigger:f}",
            "belowPrice": f"{self._limit(guard):f}",
            "belowTimeInForce": "GTC",
            "belowClientOrderId": guard.client_id + STOP_LEG,
        }

    async def cancel(self, guard: GuardOrder) -> GuardOrder | None:
        try:
            if guard.kind is GuardKind.BRACKET:
                await self._call(
                    "v3_delete_order_list", symbol=guard.symbol, listClientOrderId=guard.client_id
                )
            else:
                await self._call(
                    "cancel_order", symbol=guard.symbol, origClientOrderId=guard.client_id
                )
        except ExchangeCallFailed as exc:
            if exc.error.kind is ErrorKind.NOT_FOUND:
                self.held.pop(guard.client_id, None)
                return None
            raise
        return self._emit(replace(guard, status=GuardStatus.CANCELED))

    # --- reading ------------------------------------------------------------------------
    async def open(self) -> list[GuardOrder]:
        """Our working guards, rebuilt from the open orders' guard legs."""
        rows = await self._call("get_open_orders")
        if not isinstance(rows, list):
            raise BrokerError(f"unreadable open orders reply: {type(rows).__name__}")
        legs: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            cid = row.get("clientOrderId") if isinstance(row, dict) else None
            if isinstance(cid, str) and is_guard_id(cid) and row.get("symbol") in self._symbols:
                legs.setdefault(guard_of_leg(cid), []).append(row)
        try:
            guards = [_from_legs(cid, group) for cid, group in legs.items()]
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise BrokerError(f"unreadable protective order: {exc}") from None
        self.held = {g.client_id: g for g in guards}
        return guards

    async def fired_since(self, since_ms: int) -> list[str]:
        """Client ids of our guard legs that traded since `since_ms`."""
        fired = []
        for symbol in self._symbols:
            rows = await self._call("get_all_orders", symbol=symbol, startTime=since_ms)
            if not isinstance(rows, list):
                raise BrokerError(f"unreadable order history: {type(rows).__name__}")
            for row in rows:
                cid = row.get("clientOrderId") if isinstance(row, dict) else None
                executed = row.get("executedQty", "0") if isinstance(row, dict) else "0"
                if isinstance(cid, str) and is_guard_id(cid) and Decimal(str(executed)) > 0:
                    fired.append(cid)
        return fired

    def on_report(self, event: dict[str, Any]) -> None:
        """An executionReport of a guard leg: its guard's new state."""
        cid = str(event.get("C") or event.get("c"))
        guard = self.held.get(guard_of_leg(cid))
        status = _STATUS.get(str(event.get("X")))
        if guard is None or status is None:
            return  # not one we hold (already finished) or a state that changes nothing
        if status is GuardStatus.EXPIRED and guard.kind is GuardKind.BRACKET:
            return  # the other leg filled: its DONE was said
        if status is not GuardStatus.OPEN:
            self._emit(replace(guard, status=status, reason=str(event.get("r") or "")))

    def _emit(self, guard: GuardOrder) -> GuardOrder:
        if guard.status.working:
            self.held[guard.client_id] = guard
        else:
            self.held.pop(guard.client_id, None)
        return tell_listeners(self._listeners, guard)


def _from_legs(cid: str, legs: list[dict[str, Any]]) -> GuardOrder:
    stop = next(r for r in legs if r["type"] == "STOP_LOSS_LIMIT")
    take = next((r for r in legs if r["type"] == "LIMIT_MAKER"), None)
    return GuardOrder(
        client_id=cid,
        symbol=str(stop["symbol"]),
        kind=GuardKind.BRACKET if take is not None else GuardKind.STOP,
        side=Side(stop["side"]),
        quantity=Decimal(str(stop["origQty"])) - Decimal(str(stop["executedQty"])),
        trigger=Decimal(str(stop["stopPrice"])),
        take_profit=Decimal(str(take["price"])) if take is not None else None,
    )
