"""Guards on USD-M: our STOP_MARKET / TAKE_PROFIT_MARKET orders in Binance's Algo Service,
reduce-only, triggered by the mark price (the price the trader's own exits watch on
futures), placed, cancelled and listed under their client id; ALGO_UPDATE events and
placement replies go to the guard listeners (the trader's GuardKeeper)."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from tui_trader.binance.errors import ErrorKind, ExchangeCallFailed
from tui_trader.binance.guarded_broker import tell_listeners
from tui_trader.binance.parse import ParseError, dec
from tui_trader.binance.parse_algo import parse_algo_order, parse_algo_update
from tui_trader.domain.guards import GuardOrder, GuardStatus, is_guard_id
from tui_trader.execution.broker import BrokerError, GuardListener

Call = Callable[..., Awaitable[Any]]


class FuturesGuards:
    def __init__(self, call: Call, symbols: Sequence[str]) -> None:
        self._call, self._symbols = call, tuple(symbols)
        self._listeners: list[GuardListener] = []

    def subscribe(self, listener: GuardListener) -> None:
        self._listeners.append(listener)

    async def place(self, guard: GuardOrder) -> GuardOrder:
        params = {
            "algoType": "CONDITIONAL",
            "symbol": guard.symbol,
            "side": guard.side.value,
            "positionSide": "BOTH",
            "type": guard.kind.value,
            "quantity": f"{guard.quantity:f}",
            "triggerPrice": f"{guard.trigger:f}",
            "reduceOnly": "true",  # never opens or grows a position
            "workingType": "MARK_PRICE",
            "priceProtect": "TRUE",
            "clientAlgoId": guard.client_id,
        }
        try:
            reply = await self._call("futures_create_algo_order", **params)
        except ExchangeCallFailed as exc:
            if exc.error.kind is not ErrorKind.REJECTED:
                raise
            refused = replace(guard, status=GuardStatus.REJECTED, reason=exc.error.describe())
            self._emit(refused)
            return refused
        return self._emit(self._read(reply, guard))

    async def cancel(self, guard: GuardOrder) -> GuardOrder | None:
        try:
            reply = await self._call(
                "futures_cancel_algo_order", symbol=guard.symbol, clientAlgoId=guard.client_id
            )
        except ExchangeCallFailed as exc:
            if exc.error.kind is ErrorKind.NOT_FOUND:
                return None
            raise
        # The cancel reply is only {algoId, clientAlgoId, code, msg}: the state is ours.
        del reply
        return self._emit(replace(guard, status=GuardStatus.CANCELED))

    async def open(self) -> list[GuardOrder]:
        """Our working guards on the traded symbols (other algo orders are not guards)."""
        replies = await self._call("futures_get_open_algo_orders")
        if not isinstance(replies, list):
            raise BrokerError(f"unreadable open algo orders reply: {type(replies).__name__}")
        guards = []
        for reply in replies:
            try:
                guard = parse_algo_order(reply)
            except ParseError as exc:
                raise BrokerError(f"unreadable open algo order: {exc}") from None
            if guard is not None and is_guard_id(guard.client_id) and guard.symbol in self._symbols:
                guards.append(guard)
        return guards

    async def fired_since(self, since_ms: int) -> list[str]:
        """Client ids of our guards that fired (and traded) since `since_ms`, e.g. while
        the trader was down: their market orders' fills are to be booked."""
        fired = []
        for symbol in self._symbols:
            rows = await self._call(
                "futures_get_all_algo_orders", symbol=symbol, startTime=since_ms, limit=100
            )
            if not isinstance(rows, list):
                raise BrokerError(f"unreadable algo order history: {type(rows).__name__}")
            for row in rows:
                try:
                    guard = parse_algo_order(row)
                    traded = dec(row.get("executedQty") or "0") > 0
                except (ParseError, ArithmeticError, ValueError) as exc:
                    raise BrokerError(f"unreadable algo order history: {exc}") from None
                if guard is None or not is_guard_id(guard.client_id):
                    continue  # another kind of conditional order, or not ours
                if guard.status is GuardStatus.DONE and traded:
                    fired.append(guard.client_id)
        return fired

    def on_event(self, event: dict[str, Any]) -> None:
        """An ALGO_UPDATE (ParseError when malformed: the caller drops and reports it)."""
        guard = parse_algo_update(event)
        if guard is not None and is_guard_id(guard.client_id):
            self._emit(guard)

    def _read(self, reply: Any, sent: GuardOrder) -> GuardOrder:
        if not isinstance(reply, dict):
            raise BrokerError(f"unreadable algo order reply: {type(reply).__name__}")
        try:
            guard = parse_algo_order(reply)
        except ParseError as exc:
            raise BrokerError(f"unreadable algo order reply: {exc}") from None
        return guard if guard is not None else sent

    def _emit(self, guard: GuardOrder) -> GuardOrder:
        return tell_listeners(self._listeners, guard)
