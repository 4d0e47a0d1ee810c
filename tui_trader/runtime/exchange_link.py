"""The trader's link to its venue (VENUE: Binance, Upbit or Alpaca): at open,
the venue's public market data replaces the simulated market when it answers; when it
does not, the fallback is said out loud and the venue is tried again with backoff
(exchange_retry.py, venue_connect.py). On testnet/demo with keys,
or after the live gate, the venue's broker replaces the paper broker, the account is taken
from the exchange, and reconciliation keeps the two in agreement (new entries blocked
while they are not). On futures, funding settlements are booked into the account and
journaled, and the exchange's liquidation prices are shown with the positions.
python-binance is imported only when a Binance link is configured."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from tui_trader.core.ledger import Portfolio
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.orders import Order
from tui_trader.domain.portfolio import Position
from tui_trader.market.feed import MarketFeed
from tui_trader.runtime.book_audit import BookAudit
from tui_trader.runtime.core_parts import market_parts
from tui_trader.runtime.exchange_account import (
    account_start,
    account_tag,
    restore_exchange_portfolio,
)
from tui_trader.runtime.exchange_retry import ExchangeRetry, close_parts
from tui_trader.runtime.guard_keeper import GuardTiming
from tui_trader.runtime.guard_link import GuardLink
from tui_trader.runtime.restore import reconcile_unfinished
from tui_trader.runtime.shadow import ShadowPaper
from tui_trader.runtime.venue_connect import (
    charges_since,
    connect_venue,
    market_hours,
    retry_backoff,
    start_live_venue,
    venue_caption,
    venue_name,
    venue_reconciler,
)
from tui_trader.runtime.views import mode_label
from tui_trader.runtime.warmup import warm_up
from tui_trader.safety.trading_state import HoldReason, TradingMode
from tui_trader.snapshot import OrderStreamView

if TYPE_CHECKING:
    from tui_trader.alpaca.venue_parts import AlpacaTiming
    from tui_trader.binance.client import Endpoints
    from tui_trader.binance.futures_account import AccountUpdate
    from tui_trader.binance.venue_parts import Timing
    from tui_trader.execution.broker import Broker
    from tui_trader.execution.divergence import DivergenceReport
    from tui_trader.execution.reconcile import Reconciler
    from tui_trader.runtime.exchange_retry import LinkParts
    from tui_trader.runtime.trader_port import TraderPort
    from tui_trader.runtime.venue_connect import LiveBroker
    from tui_trader.upbit.venue_parts import UpbitTiming

Connector = Callable[[], Awaitable["LinkParts"]]


@dataclass(frozen=True, slots=True)
class ExchangeSetup:
    """Use the venue at all (None: simulated market or replay), and where: tests point
    `endpoints` at the Binance double and shrink `timing` (`upbit`, `alpaca`: those
    venues' timing; their addresses are settings)."""

    endpoints: "Endpoints | None" = None
    timing: "Timing | None" = None
    guard_timing: GuardTiming | None = None
    upbit: "UpbitTiming | None" = None
    alpaca: "AlpacaTiming | None" = None


@dataclass(slots=True)
class LoadedAccount:
    """Everything read from Binance and the journal before the trader adopts an account."""

    portfolio: Portfolio
    positions: Mapping[str, Position]
    open_orders: list[Order]


class ExchangeLink:
    def __init__(self, trader: "TraderPort", setup: ExchangeSetup | None) -> None:
        self.trader, self.setup = trader, setup
        self.parts: LinkParts | None = None
        self.broker: LiveBroker | None = None
        self.reconciler: Reconciler | None = None
        self.retry: ExchangeRetry | None = None  # the venue unreachable: trying again
        self.venue = venue_name(trader.settings.venue)
        timing = setup.guard_timing if setup is not None else None
        self.guards = GuardLink(trader, timing)  # the exchange's stops (USD-M account)
        self.shadow: ShadowPaper | None = None  # paper measured against the venue
        every = trader.settings.audit_every_min
        linked = lambda: self.reconciler is not None  # noqa: E731
        self.audit = BookAudit(self.reconcile, linked, every, trader.wall_clock)
        # Account updates that arrive before an account is adopted wait here: applied
        # to the paper account they would corrupt it.
        self._early: list[AccountUpdate] = []

    @property
    def mode(self) -> str:
        return mode_label(self.trader.settings, live=self.broker is not None)

    @property
    def venue_label(self) -> str:
        return venue_caption(self.trader.settings, simulated=self.setup is None)

    @property
    def run_mode(self) -> str:
        """What the run really does, for the journal: paper until an exchange account
        is traded (TRADING_MODE=live alone trades nothing live)."""
        return self.mode.lower()

    @property
    def defers_unfinished(self) -> bool:
        """Live behind the gate and not live yet: a journaled intent without a final state
        may be a live order, so it is asked of the live broker at go_live, never answered
        by the paper broker (which would call it never sent)."""
        settings = self.trader.settings
        live_gate = settings.trading_mode == "live" and settings.binance_env == "mainnet"
        return live_gate and self.broker is None

    @property
    def retry_detail(self) -> str:
        return self.retry.detail() if self.retry is not None else ""

    @property
    def feed_note(self) -> str:
        """Added to the feed's name wherever it is shown while the venue is retried."""
        return f" ({self.venue} unreachable)" if self.retry is not None else ""

    async def open(self) -> bool:
        """Connect at start; True when a Binance broker now replaces the paper broker
        (the account then comes from the exchange, not the paper journal)."""
        if self.setup is None:
            return False
        parts: LinkParts | None = None
        try:
            parts = await self._connect()
            loaded = await self._load_account(parts.broker) if parts.broker else None
        except Exception as exc:  # unreachable, refused, a reply that makes no sense
            if parts is not None:
                await close_parts(parts)
            self._fall_back(exc)
            return False
        self.parts = parts
        # The demo's simulated past warmed the strategies at build time: on Binance they
        # start afresh, so no simulated price leaks into a decision on real ones.
        symbols = tuple(self.trader.core.parts.market.symbols)
        self.trader.reset_market_parts(market_parts(self.trader.settings, symbols))
        self._install(parts, "")
        if parts.broker is None or loaded is None:
            return False
        paper = self._adopt(parts.broker, loaded)
        await paper.close()  # the paper broker stops matching
        await self.guards.book_fired()
        return True

    def _fall_back(self, exc: Exception) -> None:
        """Say plainly that this is the simulated market, and keep trying the venue."""
        assert self.setup is not None
        message = (
            f"{exc}; paper trading on the SIMULATED market, not on live prices; "
            f"trying {self.venue} again"
        )
        self._safety(Severity.CRITICAL, SafetyKind.EXCHANGE_UNREACHABLE, message)
        self.retry = ExchangeRetry(
            self._connect,
            self._switch,
            self._switch_blocker,
            clock=self.trader.wall_clock,
            report=self._safety,
            touch=self.trader.touch,
            backoff=retry_backoff(self.trader.settings.venue, self.setup),
            venue=self.venue,
        )

    def _install(self, parts: "LinkParts", note: str) -> None:
        """The venue's feed and filters from now on."""
        feed: MarketFeed = parts.feed
        metrics = self.trader.metrics
        if metrics is not None:
            from tui_trader.ops.metered_feed import MeteredFeed

            feed = MeteredFeed(feed, metrics)
        self.trader.replace_feed(feed)
        self.trader.install_rules(parts.rules)
        warm_up(self.trader.core, parts.history)  # the venue's recent closed candles
        self._safety(Severity.INFO, SafetyKind.EXCHANGE_CONNECTED, parts.label + note)

    def _switch_blocker(self) -> str:
        """What a move from the simulated market to Binance waits for ("" for nothing):
        a trade must never open on one market's prices and close on another's."""
        core = self.trader.core
        if self.trader.engine_running:
            return "the engine is stopped"
        if core.parts.orders.open_orders():
            return "no order is open"
        if core.parts.portfolio.positions:
            return "no position is open"
        return ""

    async def _switch(self, parts: "LinkParts") -> None:
        """Binance answers again and nothing is at stake: leave the simulated market.
        What can fail (reading the account) happens first, with entries blocked; then
        the trader moves in one step. The price-learning parts of the core start afresh
        on Binance's data. Raises (changing nothing) when the account cannot be read."""
        trader = self.trader
        trading = trader.core.state
        to = f"to {self.venue}"
        trading.hold(HoldReason.SWITCHING_VENUE, TradingMode.REDUCING, to, "exchange")
        try:
            loaded = await self._load_account(parts.broker) if parts.broker else None
        finally:
            trading.release(HoldReason.SWITCHING_VENUE, "exchange")
        simulated, paper = trader.feed, trader.broker
        symbols = tuple(trader.core.parts.market.symbols)
        trader.reset_market_parts(market_parts(trader.settings, symbols))
        self.parts, self.retry = parts, None
        self._install(parts, "; switched from the simulated market")
        trader.record_run_venue()
        if parts.broker is not None and loaded is not None:
            self._adopt(parts.broker, loaded)
        trader.touch()
        try:  # switched: what follows must not undo it
            await simulated.close()  # the feed loop moves on to the new feed
            if self.broker is not None:
                await paper.close()
                await self.reconcile(f"switch {to}")
        except Exception as exc:
            self._safety(Severity.WARNING, SafetyKind.EXCHANGE_SWITCH, f"after the switch: {exc!r}")

    async def _connect(self) -> "LinkParts":
        assert self.setup is not None
        return await connect_venue(
            self.trader,
            self.setup,
            report=self._safety,
            reference_price=self._price,
            on_account=self._on_account,
        )

    async def _load_account(self, broker: "LiveBroker") -> LoadedAccount:
        """The account as the venue holds it and the journal knows it (exchange_account.py):
        network and journal reads only, nothing in the trader changes."""
        self._early.clear()
        journal, settings = self.trader.journal, self.trader.settings
        ours = {settings.quote_asset} | {settings.base_asset(s) for s in settings.symbols}
        held = {a: b.total for a, b in (await broker.balances()).items() if a in ours}
        positions = await broker.positions()
        now = self.trader.wall_clock.now()
        start = await account_start(journal, settings, now, held, positions)
        settled = await charges_since(settings, broker, start.at)
        portfolio = await restore_exchange_portfolio(journal, settings, start, settled)
        orders = await journal.open_orders(account=account_tag(settings))
        return LoadedAccount(portfolio, positions, orders)

    def _adopt(self, broker: "LiveBroker", loaded: LoadedAccount) -> "Broker":
        """Trade through `broker` with `loaded` from now on, in one step (no await: no
        event sees half an account). Returns the paper broker, for the caller to close."""
        from tui_trader.binance.book import CoreBook

        trader, settings = self.trader, self.trader.settings
        paper = trader.replace_broker(broker)
        self.broker = broker
        # Its own day start and peak, not those of the paper account it replaces.
        trader.adopt_account(loaded.portfolio, loaded.open_orders, account_tag(settings))
        self._show_liquidation(loaded.positions)
        self.guards.adopt(broker)
        for status in broker.order_streams():  # a stream going up or down is shown at once
            status.on_change = trader.touch
        if settings.shadow_paper:
            self._shadow(broker)
        self.reconciler = venue_reconciler(trader, broker, CoreBook(trader.core, trader.journal))
        early, self._early = self._early, []
        for update in early:
            self._on_account(update)
        trader.touch()
        return paper

    def _shadow(self, broker: "LiveBroker") -> None:
        """A paper exchange with this account's balances gets the same orders."""
        trader, rules = self.trader, self.trader.core.parts.rules
        balances = {asset: b.total for asset, b in broker.last_balances.items()}
        step = lambda symbol: rules[symbol].step_size  # noqa: E731
        shadow = ShadowPaper(trader.settings, balances, step, trader.journal, trader.market_clock)
        broker.subscribe(shadow.on_broker_event)
        trader.use_shadow(shadow)
        self.shadow = shadow

    def order_streams(self) -> tuple[OrderStreamView, ...]:
        """How fills reach the trader per venue connection (issue 17): none on paper."""
        if self.broker is None:
            return ()
        return tuple(status.view() for status in self.broker.order_streams())

    def divergence(self) -> "DivergenceReport | None":
        return self.shadow.report() if self.shadow is not None else None

    async def reconcile(self, reason: str) -> None:
        if self.reconciler is not None:
            await self.reconciler(reason)

    async def go_live(self) -> None:
        """After the live gate: the venue's live broker (keyring keys that cannot
        withdraw), then the account from the exchange. Raises ValueError with the reason."""
        from tui_trader.execution.broker import BrokerError, QueuingVenue

        self._check_can_go_live()
        assert self.setup is not None and self.parts is not None
        broker = await start_live_venue(
            self.trader,
            self.setup,
            self.parts.rules,
            reference_price=self._price,
            on_account=self._on_account,
            market_open=market_hours(self.parts),
        )
        try:
            loaded = await self._load_account(broker)
        except BrokerError as exc:
            await broker.close()
            raise ValueError(f"live mode refused: {exc}") from None
        paper = self._adopt(broker, loaded)
        await paper.close()
        if isinstance(broker, QueuingVenue):  # exits queued for the open before a restart
            broker.restore_queued(loaded.open_orders)
        now = self.trader.wall_clock.now()  # intents left unfinished at start (crash)
        for event in await reconcile_unfinished(self.trader.journal, broker, broker.settle, now):
            self.trader.record_safety(event)
        self.trader.record_run_venue()  # the run is live from here
        await self.guards.book_fired()
        self._safety(
            Severity.WARNING, SafetyKind.LIVE_MODE, f"{self.mode} trading on {broker.name}"
        )
        await self.reconcile("live start")

    def _check_can_go_live(self) -> None:
        core = self.trader.core
        if self.parts is None:
            raise ValueError(
                f"live mode refused: no {self.venue} market data (simulated market); restart "
                f"without --demo while {self.venue} is reachable"
            )
        if self.broker is not None:
            raise ValueError(f"live mode refused: already trading on {self.broker.name}")
        if self.trader.engine_running:
            raise ValueError("live mode refused: stop the engine first")
        if core.parts.orders.open_orders() or core.parts.portfolio.positions:
            raise ValueError("live mode refused: close the paper orders and positions first")

    async def close(self) -> None:
        if self.broker is not None:
            await self.broker.close()

    def _on_account(self, update: "AccountUpdate") -> None:
        """Futures ACCOUNT_UPDATE (or a positionRisk refresh) from the broker."""
        if self.reconciler is None:  # no exchange account adopted yet
            self._early.append(update)
            return
        for fee in update.funding:
            try:
                self.trader.book_charge(fee)
            except ValueError as exc:  # not our wallet's asset: said, not booked
                self._safety(Severity.WARNING, SafetyKind.FUNDING_NOT_BOOKED, str(exc))
        self._show_liquidation(update.positions)
        if update.funding:
            self.trader.update_account(update.ts)
        self.trader.touch()

    def _show_liquidation(self, positions: "Mapping[str, Position]") -> None:
        """`positions`: every open position on the exchange; the rest have none."""
        parts = self.trader.core.parts
        portfolio = parts.portfolio
        for symbol in parts.market.symbols:
            held = positions.get(symbol)
            if held is None:
                portfolio.set_liquidation(symbol, Decimal(0), None)
            else:
                portfolio.set_liquidation(symbol, held.quantity, held.liquidation_price)

    def _price(self, symbol: str) -> Decimal | None:
        price = self.trader.core.parts.market.price(symbol)
        return price if price > 0 else None

    def _safety(self, severity: Severity, kind: SafetyKind, message: str) -> None:
        now = self.trader.wall_clock.now()
        self.trader.record_safety(SafetyEvent(now, severity, kind, message))
