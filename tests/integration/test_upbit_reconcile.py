"""After a crash, an UpbitBroker in a new process reconciles what the journal believed
with what Upbit holds, by identifier (invariant 1), using the same Reconciler as Binance:
orders placed before the crash are adopted with their fills (each once), an order
journaled but never sent is recorded cancelled, a foreign order is adopted and said,
and no identifier the journal knows is ever sent again."""

from decimal import Decimal

from tests.doubles.upbit_exchange import UpbitExchangeDouble
from tests.upbit_orders_support import an_order, upbit_broker
from tui_trader.clock import SystemClock
from tui_trader.domain.enums import OrderStatus, OrderType, Severity, Side
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance, Position
from tui_trader.execution.reconcile import Reconciler
from tui_trader.safety.trading_state import TradingMode, TradingState


class JournalBook:
    """What the restarted trader believes: the journal's open orders and booked fills,
    and balances that agree with the account."""

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


async def test_a_restart_adopts_upbit_s_orders_by_identifier_and_sends_nothing_again() -> None:
    double = UpbitExchangeDouble()
    resting = an_order("r-limit", Side.BUY, OrderType.LIMIT, "0.002", "89000000")
    bought = an_order("r-market", Side.BUY, OrderType.MARKET, "0.001")
    unsent = an_order("r-unsent", Side.SELL, OrderType.MARKET, "0.001")
    async with upbit_broker(double) as before_crash:  # the process that dies
        await before_crash.broker.submit(resting)
        await before_crash.broker.submit(bought)
        limit = double.account.find(resting.client_order_id)
        assert limit is not None
        double.account.trade(limit, Decimal("0.0005"), resting.created_at)
        first_trade = limit.trades[0].trade_id
    double.account.place({"market": "KRW-BTC", "side": "ask", "ord_type": "limit",
                          "price": "95000000", "volume": "0.001"}, resting.created_at)  # fmt: skip
    posts = len(double.account.placed)
    # The journal: all three open as sent; the limit order's first trade already booked.
    book = JournalBook([resting, bought, unsent], {("BTCKRW", first_trade)},
                       {a: b for a, b in double.account.balances.items()})  # fmt: skip
    async with upbit_broker(double) as restarted:
        restarted.broker.subscribe(book.on_event)
        safety: list[SafetyEvent] = []
        trading = TradingState()
        reconciler = Reconciler(restarted.broker, book, clock=SystemClock(),
                                on_safety=safety.append, trading=trading)  # fmt: skip
        result = await reconciler("start")
        assert book.orders[bought.client_order_id].status is OrderStatus.FILLED
        assert book.orders[resting.client_order_id].status is OrderStatus.PARTIALLY_FILLED
        gone = book.orders[unsent.client_order_id]
        assert (
            gone.status is OrderStatus.CANCELED
            and gone.reason == "unknown to Upbit at reconciliation"
        )
        fills = [f for f in restarted.events if isinstance(f, Fill)]
        assert [(f.client_order_id, f.quantity) for f in fills] == [
            (bought.client_order_id, Decimal("0.001"))
        ]  # the limit's trade was booked already
        messages = [e.message for e in safety]
        assert any("unknown to upbit" in m and unsent.client_order_id in m for m in messages)
        assert any("open on upbit but unknown here" in m for m in messages)  # the foreign one
        assert not result.block_entries and trading.mode is TradingMode.ACTIVE
        assert {e.severity for e in safety} >= {Severity.CRITICAL, Severity.WARNING}
        for order in (resting, bought, unsent):  # the engine trying again: never re-sent
            await restarted.broker.submit(order)
        assert len(double.account.placed) == posts
