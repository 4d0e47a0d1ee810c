"""BinanceSpotBroker: spot orders with python-binance (rules in broker_core.py), user
data over the WebSocket API subscription, and the REST polling fallback while that
stream is silent."""

from collections.abc import Sequence
from typing import Any

from tui_trader.binance.aio import Backoff
from tui_trader.binance.broker_core import Calls, PriceSource, SafetyListener
from tui_trader.binance.broker_sync import ReconcilingBroker
from tui_trader.binance.client import ClientSpec
from tui_trader.binance.parse import ParseError
from tui_trader.binance.parse_account import parse_account_balances, parse_account_position
from tui_trader.binance.parse_orders import parse_execution_report
from tui_trader.binance.user_stream import SpotUserStream
from tui_trader.binance.user_watch import UserDataTasks, UserDataWatch
from tui_trader.brokers.base import BrokerError
from tui_trader.clock import Clock
from tui_trader.domain.enums import MarketKind, OrderType, Severity
from tui_trader.domain.orders import Order
from tui_trader.domain.portfolio import Balance, Position


class BinanceSpotBroker(ReconcilingBroker):
    name = "binance-spot"
    market = MarketKind.SPOT
    calls = Calls(
        place="create_order",
        get="get_order",
        cancel="cancel_order",
        open_orders="get_open_orders",
        trades="get_my_trades",
        exchange_info="get_exchange_info",
    )

    def __init__(
        self,
        spec: ClientSpec,
        symbols: Sequence[str],
        *,
        clock: Clock,
        on_safety: SafetyListener | None = None,
        reference_price: PriceSource | None = None,
        request_timeout_s: float = 10.0,
        backoff: Backoff | None = None,
        ws_api_timeout_s: float = 5.0,
        silence_s: float = 60.0,
        poll_s: float = 15.0,
    ) -> None:
        """`silence_s`: user data silence (while orders work) after which open orders
        and the account are polled over REST every `poll_s` until events flow again."""
        super().__init__(
            spec,
            symbols,
            clock=clock,
            on_safety=on_safety,
            reference_price=reference_price,
            request_timeout_s=request_timeout_s,
        )
        self._backoff, self._ws_timeout_s = backoff, ws_api_timeout_s
        self._silence_s, self._poll_s = silence_s, poll_s
        self._user: UserDataTasks | None = None

    async def start(self) -> None:
        """Connect, load the filters and subscribe to user data. Raises BrokerError if
        a symbol is unknown to the exchange."""
        try:
            await self._connect()
        except BaseException:
            await self.close()
            raise
        stream = SpotUserStream(
            self._client,
            self._on_user_event,
            self._on_resubscribed,
            backoff=self._backoff,
            timeout_s=self._ws_timeout_s,
        )
        watch = UserDataWatch(
            busy=self._busy,
            poll=self.poll,
            restart=stream.restart,
            report=self._report,
            silence_s=self._silence_s,
            poll_s=self._poll_s,
        )
        self._user = UserDataTasks(stream, watch, self.name, self._report)
        await self._user.start(self._ws_timeout_s)

    async def close(self) -> None:
        if self._user is not None:
            await self._user.close()
        await self._close_client()

    async def balances(self) -> dict[str, Balance]:
        reply = await self._call("get_account")
        try:
            self._balances = parse_account_balances(reply)
        except ParseError as exc:
            raise BrokerError(f"unreadable account reply: {exc}") from None
        return dict(self._balances)

    async def positions(self) -> dict[str, Position]:
        return {}

    def _order_params(self, order: Order) -> dict[str, str]:
        params = {
            "symbol": order.symbol,
            "side": order.side.value,
            "type": order.order_type.value,
            "quantity": f"{order.quantity:f}",
            "newClientOrderId": order.client_order_id,
            "newOrderRespType": "FULL",
        }
        if order.order_type is OrderType.LIMIT and order.price is not None:
            params |= {"price": f"{order.price:f}", "timeInForce": "GTC"}
        return params

    def _on_user_event(self, event: dict[str, Any]) -> None:
        if self._user is not None:
            self._user.watch.alive()
        try:
            if event.get("e") == "executionReport":
                self._emit(self._tracker.apply(parse_execution_report(event)))
            elif event.get("e") == "outboundAccountPosition":
                self._balances |= parse_account_position(event)
        except ParseError as exc:
            message = f"dropped user data event: {exc}"
            self._report(Severity.WARNING, "bad_user_event", message, {})
