"""Start-up recovery: rebuild the paper account from the journal, then reconcile every
journaled intent that has no final state with the broker, before anything new is sent."""

import json
import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from tui_trader.brokers.paper import PaperBroker
from tui_trader.config import Settings
from tui_trader.core.ledger import Portfolio
from tui_trader.core.trading_core import TradingCore
from tui_trader.domain.enums import OrderStatus, Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.orders import Order
from tui_trader.execution.broker import Broker, BrokerError
from tui_trader.execution.commands import order_from_intent
from tui_trader.journal.reader import PAPER_ACCOUNT
from tui_trader.journal.store import Journal

log = logging.getLogger("tui_trader.runtime.restore")

PAPER_BALANCES_KEY = "paper_initial_balances"
DAY_START_KEY = "day_start"
MARKET_TIME_KEY = "market_time"


async def restore_paper(
    journal: Journal, broker: PaperBroker, core: TradingCore, settings: Settings
) -> tuple[datetime, Decimal] | None:
    """Rebuild the paper account exactly from its journaled fills and re-rest its open
    orders. Returns the journaled start-of-day equity (so a restart cannot reset the
    daily loss limit), if any."""
    initial = await paper_initial_balances(
        journal, {settings.quote_asset: settings.paper_quote_balance}
    )
    fills = await journal.fills(account=PAPER_ACCOUNT)  # not an exchange account's
    portfolio = Portfolio.replay(
        settings.quote_asset,
        initial,
        fills,
        settings.market_type,
        settings.base_asset,
        leverage=settings.max_leverage,
    )
    core.adopt_portfolio(portfolio)
    open_orders = await journal.open_orders(account=PAPER_ACCOUNT)
    broker.exchange.restore(
        {asset: balance.total for asset, balance in portfolio.balances().items()},
        open_orders,
        positions=portfolio.positions.values(),
        fills=fills,
    )
    for order in open_orders:
        core.parts.orders.apply(order)
        if order.purpose.is_exit:  # one exit per position: it is already working
            core.parts.exits.mark_in_flight(order.symbol)
    stored = await journal.get_meta(DAY_START_KEY)
    if stored is None:
        return None
    day, equity = stored.split("|")
    return datetime.fromisoformat(day), Decimal(equity)


async def market_time_reached(journal: Journal) -> datetime | None:
    """The latest market time the journal knows (its mark, or a recent order's time):
    market time never runs backwards across a restart."""
    stored = await journal.get_meta(MARKET_TIME_KEY)
    times = [order.updated_at for order in await journal.orders(limit=50)]
    if stored is not None:
        times.append(datetime.fromisoformat(stored))
    return max(times) if times else None


async def paper_initial_balances(
    journal: Journal, configured: dict[str, Decimal]
) -> dict[str, Decimal]:
    """The paper account's opening balances are fixed by its first run, so changing
    PAPER_QUOTE_BALANCE later cannot rewrite an existing account's history."""
    stored = await journal.get_meta(PAPER_BALANCES_KEY)
    if stored is None:
        journal.set_meta(PAPER_BALANCES_KEY, json.dumps({k: str(v) for k, v in configured.items()}))
        return dict(configured)
    return {asset: Decimal(value) for asset, value in json.loads(stored).items()}


async def reconcile_unfinished(
    journal: Journal,
    broker: Broker,
    on_order: Callable[[Order], None],
    now: datetime,
) -> list[SafetyEvent]:
    """Ask the broker about every journaled intent without a final order state.
    Found → adopt the broker's state. Unknown → it never reached the broker: record it
    as REJECTED so it is final, and never send it again."""
    events: list[SafetyEvent] = []
    for intent, coid in await journal.unfinished_intents():
        try:
            found = await broker.query(coid)
        except BrokerError as exc:
            events.append(_event(now, Severity.CRITICAL, coid, f"cannot reconcile: {exc}"))
            continue
        if found is not None:
            on_order(found)
            events.append(_event(now, Severity.INFO, coid, f"adopted broker state {found.status}"))
            continue
        lost = order_from_intent(intent, coid, _fixed(now)).evolve(
            status=OrderStatus.REJECTED, reason="never reached the broker (found at restart)"
        )
        on_order(lost)
        events.append(_event(now, Severity.WARNING, coid, "journaled but never sent; closed"))
    return events


class _fixed:
    def __init__(self, when: datetime) -> None:
        self._when = when

    def now(self) -> datetime:
        return self._when


def _event(now: datetime, severity: Severity, coid: str, message: str) -> SafetyEvent:
    log.log(logging.WARNING if severity is not Severity.INFO else logging.INFO, message)
    return SafetyEvent(
        now,
        severity,
        SafetyKind.RECONCILIATION,
        f"order {coid}: {message}",
        data={"client_order_id": coid},
    )
