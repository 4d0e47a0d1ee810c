"""The trader's side of reconciliation (reconcile.TraderBook): its open orders and
portfolio from the core, and the fills already booked from its journal."""

from tui_trader.core.trading_core import TradingCore
from tui_trader.domain.enums import MarketKind
from tui_trader.domain.orders import Order
from tui_trader.domain.portfolio import Balance, Position
from tui_trader.journal.store import Journal


class CoreBook:
    def __init__(self, core: TradingCore, journal: Journal) -> None:
        self._core, self._journal = core, journal

    def open_orders(self) -> list[Order]:
        return self._core.parts.orders.open_orders()

    def balances(self) -> dict[str, Balance]:
        return self._core.parts.portfolio.balances()

    def positions(self) -> dict[str, Position]:
        """Futures positions; spot holdings are compared as balances."""
        portfolio = self._core.parts.portfolio  # replaced at restore: read it each time
        return portfolio.positions if portfolio.market is MarketKind.FUTURES else {}

    async def fill_keys(self) -> set[tuple[str, str]]:
        """Fills booked since the oldest open order was made: only those orders' fills
        can come back from the exchange's trade history."""
        orders = self.open_orders()
        if not orders:
            return set()
        since = min(order.created_at for order in orders)
        return {(fill.symbol, fill.trade_id) for fill in await self._journal.fills(since=since)}
