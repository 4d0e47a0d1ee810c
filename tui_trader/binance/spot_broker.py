"""BinanceSpotBroker: spot orders with python-binance (rules in broker_core.py), user
data over the WebSocket API subscription, the REST polling fallback while that stream is
silent (broker_sync.py), and the position's guards (spot_guards.py): a stop, or an OCO
with the take-profit. A guard locks the base asset, so a sell first cancels the
symbol's guards (the trader's keeper puts them back while a position remains)."""

from typing import Any

from tui_trader.binance.broker_core import Calls
from tui_trader.binance.guarded_broker import GuardedBroker
from tui_trader.binance.parse_account import parse_account_balances, parse_account_position
from tui_trader.binance.parse_orders import parse_execution_report
from tui_trader.binance.spot_guards import SpotGuards
from tui_trader.binance.user_stream import SpotUserStream, UserStream
from tui_trader.domain.enums import MarketKind, Side
from tui_trader.domain.guards import GuardKind, is_guard_id
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance, Position


class BinanceSpotBroker(GuardedBroker):
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """ExchangeBroker's arguments."""
        super().__init__(*args, **kwargs)
        # The filters and exchangeInfo rows are read at connect: looked up when needed.
        self._spot_guards = SpotGuards(
            self._call,
            self._symbols,
            lambda symbol: self._rules.get(symbol),
            lambda symbol: self._symbol_info.get(symbol, {}),
        )
        self._guards = self._spot_guards

    # --- guards (GuardVenue) ------------------------------------------------------------
    def guard_kinds(self, symbol: str) -> frozenset[GuardKind]:
        return self._spot_guards.kinds(symbol)

    async def submit(self, order: Order) -> Order:
        """A sell needs the base asset the guards lock: they go first."""
        if order.side is Side.SELL:
            for guard in self._spot_guards.open_for(order.symbol):
                await self._spot_guards.cancel(guard)
        return await super().submit(order)

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
            report = parse_execution_report(event)
            if not is_guard_id(report.client_order_id):
                self._take(report)
                return
            # A guard leg: its fills are the account's, its order is not the book's.
            self._emit([e for e in self._tracker.apply(report) if isinstance(e, Fill)])
            self._spot_guards.on_report(event)
        elif event.get("e") == "outboundAccountPosition":
            self._balances |= parse_account_position(event)
