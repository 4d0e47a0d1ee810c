"""BinanceSpotBroker: spot orders with python-binance (rules in broker_core.py), user
data over the WebSocket API subscription, and the REST polling fallback while that
stream is silent (broker_sync.py)."""

from typing import Any

from tui_trader.binance.broker_core import Calls
from tui_trader.binance.broker_sync import ReconcilingBroker
from tui_trader.binance.parse_account import parse_account_balances, parse_account_position
from tui_trader.binance.parse_orders import parse_execution_report
from tui_trader.binance.user_stream import SpotUserStream, UserStream
from tui_trader.domain.enums import MarketKind
from tui_trader.domain.orders import Order
from tui_trader.domain.portfolio import Balance, Position


class BinanceSpotBroker(ReconcilingBroker):
    """Built with ExchangeBroker's constructor (broker_core.py)."""

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

    def _user_stream(self) -> UserStream:
        return SpotUserStream(
            self._client,
            self._on_user_event,
            self._on_resubscribed,
            backoff=self._backoff,
            timeout_s=self._ws_timeout_s,
        )

    async def balances(self) -> dict[str, Balance]:
        self._balances = await self._read("get_account", parse_account_balances, "account reply")
        return dict(self._balances)

    async def positions(self) -> dict[str, Position]:
        return {}

    def _market_params(self, order: Order) -> dict[str, str]:
        return {"newOrderRespType": "FULL"}  # the reply then carries the fills

    def _apply_user_event(self, event: dict[str, Any]) -> None:
        if event.get("e") == "executionReport":
            self._take(parse_execution_report(event))
        elif event.get("e") == "outboundAccountPosition":
            self._balances |= parse_account_position(event)
