"""What the exchange link sees of the trader: parts it may read, and the only ways it may
change them. The link never assigns into the trader or its core; each change below is one
step the trader takes itself (no await inside, so no event sees half of it)."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from tui_trader.clock import Clock
from tui_trader.config import Settings
from tui_trader.core.ledger import Portfolio
from tui_trader.core.trading_core import TradingCore
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.orders import Order
from tui_trader.domain.portfolio import FundingFee, VenueFee
from tui_trader.domain.rules import SymbolRules
from tui_trader.execution.broker import Broker
from tui_trader.execution.commands import EngineCommand
from tui_trader.journal.store import Journal
from tui_trader.market.feed import MarketFeed

if TYPE_CHECKING:
    from tui_trader.ops.metrics import TraderMetrics
    from tui_trader.runtime.core_parts import MarketParts
    from tui_trader.runtime.execution_engine import Mirror


class TraderPort(Protocol):
    # --- read ---------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        """The settings read once at the entry point."""

    @property
    def core(self) -> TradingCore:
        """The pure core: read, and changed only through the methods below."""

    @property
    def journal(self) -> Journal:
        """Where every state change is recorded."""

    @property
    def wall_clock(self) -> Clock:
        """Operator-facing time (safety events, retries)."""

    @property
    def market_clock(self) -> Clock:
        """Market time (the venue's event times): what orders and fills are stamped with."""

    @property
    def metrics(self) -> "TraderMetrics | None":
        """Prometheus metrics, when enabled (a new feed is metered with them)."""

    @property
    def engine_running(self) -> bool:
        """True while the engine lifecycle is RUNNING."""

    @property
    def feed(self) -> MarketFeed:
        """The market feed in use now."""

    @property
    def broker(self) -> Broker:
        """The broker the execution engine sends to now."""

    # --- report -------------------------------------------------------------------------
    def record_safety(self, event: SafetyEvent) -> None:
        """Show, journal and notify a safety event (masked first)."""

    def touch(self) -> None:
        """Something changed: the next snapshot is rebuilt."""

    def update_account(self, ts: datetime) -> None:
        """Equity peak and day start after a change of the account at `ts`."""

    # --- change -------------------------------------------------------------------------
    def send(self, command: EngineCommand) -> None:
        """Queue `command` for the execution engine (the single writer to the broker)."""

    def use_shadow(self, shadow: "Mirror") -> None:
        """Mirror every order (and the market) to `shadow` from now on."""

    def replace_feed(self, feed: MarketFeed) -> MarketFeed:
        """Trade on `feed` from now on (the feed loop follows it); returns the old one."""

    def replace_broker(self, broker: Broker) -> Broker:
        """Send to `broker` and hear its events from now on; returns the old one."""

    def adopt_account(
        self, portfolio: Portfolio, open_orders: Iterable[Order], account_tag: str
    ) -> None:
        """Trade this account (journaled under `account_tag`) with its own day start."""

    def reset_market_parts(self, parts: "MarketParts") -> None:
        """Fresh price-learning parts: nothing learnt on another venue's prices stays."""

    def install_rules(self, rules: Mapping[str, SymbolRules]) -> None:
        """The venue's symbol filters from now on, for every reader."""

    def book_charge(self, fee: FundingFee | VenueFee) -> bool:
        """Book and journal a funding settlement or a venue's charge; False when already
        booked. Raises ValueError for an asset the wallet does not hold."""

    def record_run_venue(self) -> None:
        """The journal's run record names the feed and the mode in use now."""
