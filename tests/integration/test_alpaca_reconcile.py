"""After a crash, an AlpacaBroker in a new process reconciles what the journal believed
with what Alpaca holds, by client_order_id (invariant 1), with the same Reconciler as
Binance and Upbit: orders placed before the crash are adopted with their fills (each
once), an order journaled but never sent is recorded cancelled, a foreign order is
adopted and said, the stocks held agree with the journal's, and no client_order_id the
journal knows is ever sent again."""

import asyncio
from decimal import Decimal

from tests.alpaca_orders_support import alpaca_broker, an_order
from tests.doubles.alpaca_trading import AlpacaTradingDouble
from tui_trader.clock import SystemClock
from tui_trader.domain.enums import OrderStatus, OrderType, Severity, Side
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance, Position
from tui_trader.execution.reconcile import Reconciler
from tui_trader.safety.trading_state import TradingMode, TradingState


class JournalBook:
    def __init__(
        self, orders: list[Order], booked: set[tuple[str, str]], held: dict[str, Decimal]
    ) -> None:
        self.orders = {o.client_order_id: o for o in orders}
        self.booked, self.held = booked, held

    def on_event(self, event: Order | Fill) -> None:
        if isinstance(event, Order):
            self.orders[event.client_order_id] = event
        else:
            self.booked.add((event.symbol, event.trade_id))

    def open_orders(self) -> list[Order]:
        return [o for o in self.orders.values() if o.is_open]

    def balances(self) -> dict[str, Balance]:
        return {asset: Balance(asset, amount) for asset, amount in self.held.items()}

    def positions(self) -> dict[str, Position]:
        return {}

    async def fill_keys(self) -> set[tuple[str, str]]:
        return set(self.booked)


async def test_a_restart_adopts_alpaca_s_orders_by_client_id_and_sends_nothing_again() -> None:
    double = AlpacaTradingDouble()
    resting = an_order("r-limit", Side.BUY, OrderType.LIMIT, "10", "185")
    bought = an_order("r-market", Side.BUY, OrderType.MARKET, "2")
    unsent = an_order("r-unsent", Side.SELL, OrderType.MARKET, "1")
    async with alpaca_broker(double) as before_crash:
        placed = await before_crash.broker.submit(resting)
        await before_crash.broker.submit(bought)
        limit = double.account.by_client(resting.client_order_id)
        assert limit is not None
        double.account.trade(limit, Decimal(4), Decimal("185"))
        placed = await before_crash.broker.query(resting.client_order_id) or placed
        first = [f for f in before_crash.fills if f.client_order_id == resting.client_order_id]
    double.account.place(
        {
            "symbol": "AAPL",
            "side": "sell",
            "type": "limit",
            "qty": "1",
            "limit_price": "250",
            "time_in_force": "gtc",
            "client_order_id": "by-hand-1",
        }
    )
    double.account.trade(limit, Decimal(1), Decimal("184.9"))  # while the trader was down
    posts = len(double.account.placed)
    # The journal: the limit as it stood (4 shares booked), the market order and one
    # never sent as sent (the crash came before their replies were journaled).
    journaled = [placed, bought, unsent]
    book = JournalBook(
        journaled,
        {(f.symbol, f.trade_id) for f in first},
        {"USD": double.account.cash, "AAPL": Decimal(7)},
    )
    async with alpaca_broker(double) as restarted:
        restarted.broker.subscribe(book.on_event)
        safety: list[SafetyEvent] = []
        trading = TradingState()
        reconciler = Reconciler(
            restarted.broker, book, clock=SystemClock(), on_safety=safety.append, trading=trading
        )
        result = await reconciler("start")
        assert book.orders[bought.client_order_id].status is OrderStatus.FILLED
        adopted = book.orders[resting.client_order_id]
        assert adopted.status is OrderStatus.PARTIALLY_FILLED and adopted.filled_quantity == 5
        gone = book.orders[unsent.client_order_id]
        assert gone.status is OrderStatus.CANCELED
        assert gone.reason == "unknown to Alpaca at reconciliation"
        fills = [(f.client_order_id, f.quantity, f.price) for f in restarted.fills]
        assert sorted(fills) == sorted(
            [
                (bought.client_order_id, Decimal(2), Decimal(190)),
                (resting.client_order_id, Decimal(1), Decimal("184.9")),
            ]
        )
        messages = [e.message for e in safety]
        assert any("unknown to alpaca" in m and unsent.client_order_id in m for m in messages)
        assert any("open on alpaca but unknown here" in m and "by-hand-1" in m for m in messages)
        assert not result.block_entries and trading.mode is TradingMode.ACTIVE
        assert {e.severity for e in safety} >= {Severity.CRITICAL, Severity.WARNING}
        for order in (resting, bought, unsent):  # the engine trying again: never re-sent
            await restarted.broker.submit(order)
        assert len(double.account.placed) == posts


async def test_less_stock_on_alpaca_than_believed_blocks_entries() -> None:
    double = AlpacaTradingDouble()
    double.account.positions["AAPL"] = Decimal(3)
    book = JournalBook([], set(), {"USD": double.account.cash, "AAPL": Decimal(5)})
    async with alpaca_broker(double) as run:
        trading = TradingState()
        reconciler = Reconciler(
            run.broker, book, clock=SystemClock(), on_safety=lambda e: None, trading=trading
        )
        result = await reconciler("start")
        assert result.block_entries and trading.mode is TradingMode.REDUCING
        assert any("AAPL: exchange holds 3" in d.message for d in result.differences)


async def test_a_reconnected_stream_reconciles_again() -> None:
    double = AlpacaTradingDouble()
    book = JournalBook([], set(), {"USD": double.account.cash})
    async with alpaca_broker(double, stream=True) as run:
        reasons: list[str] = []
        reconciler = Reconciler(
            run.broker, book, clock=SystemClock(), on_safety=lambda e: None, trading=TradingState()
        )

        async def reconcile(reason: str) -> object:
            reasons.append(reason)
            return await reconciler(reason)

        run.broker.reconcile_on_reconnect(reconcile)
        for _ in range(100):
            if double.sockets:
                break
            await asyncio.sleep(0.02)
        assert reasons == []  # the first connection: live start reconciles already
        double.account.place(
            {
                "symbol": "AAPL",
                "side": "buy",
                "type": "limit",
                "qty": "1",
                "limit_price": "100",
                "time_in_force": "gtc",
                "client_order_id": "by-hand-2",
            }
        )
        await double.drop_stream()
        for _ in range(150):
            if reasons and reconciler.last is not None:
                break
            await asyncio.sleep(0.02)
        assert reasons == ["Alpaca trade updates reconnected"]
        assert reconciler.last is not None
        assert any("by-hand-2" in d.message for d in reconciler.last.differences)
