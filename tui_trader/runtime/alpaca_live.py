"""Alpaca's live broker for the exchange link, after the live gate: the keyring's
`alpaca` keys, the account check (paper or live as the trading URL says, said as a
safety event so the header's log shows which account trades), the broker with the risk
manager's exits sent as brackets when the exchange holds stops, and its reconciler,
which also runs after every reconnection of the trade_updates stream.

Apart from venue_connect.py so that nothing of Alpaca (nor alpaca-py) is imported
unless the venue is Alpaca: every import of the venue's package is inside a function."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.runtime.trader_port import TraderPort

if TYPE_CHECKING:
    from tui_trader.alpaca.broker import AlpacaBroker
    from tui_trader.execution.reconcile import Reconciler, TraderBook


class MarketHours(Protocol):
    def is_open(self, t: datetime) -> bool: ...

    def next_open(self, t: datetime) -> datetime | None: ...


async def start_alpaca_live(
    trader: TraderPort,
    *,
    trading_url: str,
    hours: MarketHours,
    reference_price: Callable[[str], Decimal | None],
) -> "AlpacaBroker":
    """The started live broker; raises ValueError saying why live mode is refused. An
    exit asked for while the market is closed is held for the next open; at the open
    the broker hands it to the execution engine (SendQueued), the single writer."""
    from tui_trader.alpaca.bracket_entry import percent_exits
    from tui_trader.alpaca.key_check import KeyPermissionError
    from tui_trader.alpaca.live_parts import live_keys, start_live_broker
    from tui_trader.execution.broker import BrokerError
    from tui_trader.execution.commands import SendQueued
    from tui_trader.secrets import SecretsError

    settings = trader.settings
    exits = None
    if settings.exchange_stops:
        exits = percent_exits(settings.stop_loss_pct, settings.take_profit_pct)
    try:
        keys = await live_keys(settings)
        broker, check = await start_live_broker(
            keys,
            settings.symbols,
            trading_url=trading_url,
            clock=trader.wall_clock,
            is_open=hours.is_open,
            next_open=hours.next_open,
            on_safety=trader.record_safety,
            last_price=reference_price,
            entry_exits=exits,
        )
    except (KeyPermissionError, BrokerError, SecretsError) as exc:
        raise ValueError(f"live mode refused: {exc}") from None
    broker.send_queued_through(lambda cid: trader.send(SendQueued(cid)))
    message = f"Alpaca key check passed: {check.describe()}"
    now = trader.wall_clock.now()
    trader.record_safety(SafetyEvent(now, Severity.WARNING, SafetyKind.LIVE_MODE, message))
    return broker


def alpaca_reconciler(
    trader: TraderPort, broker: "AlpacaBroker", book: "TraderBook"
) -> "Reconciler":
    """Reconciliation at live start (the caller runs it) and after every reconnection
    of the trade_updates stream (events may have been missed meanwhile); each books the
    fees Alpaca charged since it last looked before comparing the cash."""
    from tui_trader.execution.reconcile import Reconciler

    async def book_fees() -> None:
        for fee in await broker.fees.new():
            trader.book_charge(fee)

    reconciler = Reconciler(
        broker,
        book,
        clock=trader.wall_clock,
        on_safety=trader.record_safety,
        trading=trader.core.state,
        tolerance=trader.settings.balance_mismatch_tolerance,
        charges=book_fees,
    )
    broker.reconcile_on_reconnect(reconciler)
    return reconciler
