"""Immutable views of the trader that front ends (TUI, status, notifiers) render.

The UI never touches core objects: it reads a `TraderSnapshot` at a fixed rate and calls
the `TraderCommands` API. Both live here so that front ends import nothing else."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from tui_trader.domain.enums import EngineState, MarketKind
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance, Position


@dataclass(frozen=True, slots=True)
class SymbolView:
    symbol: str
    last: Decimal
    change_pct: Decimal  # vs the first price of the UTC day
    bid: Decimal
    ask: Decimal
    spread_pct: Decimal
    closes: tuple[float, ...]  # recent candle closes, oldest first (sparkline)
    signal: str  # BUY / SELL / HOLD / WARMUP
    signal_confidence: float
    updated_at: datetime | None
    warmup: tuple[int, int] | None = None  # (candles seen, needed) while warming up


@dataclass(frozen=True, slots=True)
class PositionView:
    position: Position
    stop_loss: Decimal | None
    take_profit: Decimal | None
    trailing_stop: Decimal | None
    liquidation_distance_pct: Decimal | None = None
    # The stop the exchange holds for it (USD-M): None without one; `exchange_guarded`
    # says whether this account keeps exchange stops at all (else there is none to show).
    exchange_stop: Decimal | None = None
    exchange_guarded: bool = False


@dataclass(frozen=True, slots=True)
class CandleSeries:
    """One symbol's recent closed candles, oldest first, bounded (the price chart)."""

    symbol: str
    candles: tuple[Candle, ...]


@dataclass(frozen=True, slots=True)
class EquityPoint:
    """The session's equity at a candle close (the equity curve)."""

    ts: datetime
    equity: Decimal


@dataclass(frozen=True, slots=True)
class FeedStatus:
    name: str
    connected: bool
    last_event_at: datetime | None
    stale_after_s: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class OrderStreamView:
    """How fills reach the trader on one venue connection (live or testnet on a venue
    with a private order stream): `state` is streaming, polling (REST while the stream
    is down, refused or silent), reconnecting (subscribing again, or catching up after
    a reconnection) or off; `since` when that began; `detail` why (the venue's or the
    socket's words, shown literally); `reconciled_at` the last catch-up after a drop.
    Not a FeedStatus: an order stream is silent while nothing trades."""

    venue: str
    state: str
    since: datetime | None
    detail: str = ""
    reconciled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccountView:
    quote_asset: str
    equity: Decimal
    cash: Decimal
    day_pnl: Decimal
    drawdown_pct: Decimal
    fees_paid: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    funding: Decimal = Decimal(0)  # futures funding booked (negative: paid)
    day_pnl_pct: Decimal = Decimal(0)  # day PnL against the start-of-day equity
    exposure: Decimal = Decimal(0)  # open positions at mark: sum of |quantity| x mark
    balances: tuple[Balance, ...] = ()  # every asset held, quote first, then by name


@dataclass(frozen=True, slots=True)
class DivergenceView:
    """Live minus paper over the mirrored orders, in the quote asset."""

    total: Decimal
    price: Decimal
    fees: Decimal
    orders: int
    unmatched: int  # orders one side filled differently (not priced)
    headline: str


@dataclass(frozen=True, slots=True)
class AdviceView:
    symbol: str
    action: str
    confidence: float
    reasoning: str
    at: datetime
    latency_ms: float
    valid: bool = True


@dataclass(frozen=True, slots=True)
class LiveCheck:
    """What stands between paper and live mode; `ready` only when all are met."""

    token_file_present: bool
    keys_in_keyring: bool
    detail: str
    venue_trades: bool = True  # False: this venue is paper only in this version (Upbit)

    @property
    def ready(self) -> bool:
        return self.venue_trades and self.token_file_present and self.keys_in_keyring


@dataclass(frozen=True, slots=True)
class KillView:
    """The kill in force, as the dialog that clears it shows it."""

    source: str  # tui, cli, anomaly, telegram, ...
    reason: str
    activated_at: datetime | None  # None when the kill file did not say (empty, corrupt)
    close_positions: bool


@dataclass(frozen=True, slots=True)
class TraderSnapshot:
    ts: datetime
    mode: str  # PAPER / TESTNET / LIVE
    market: MarketKind
    engine_state: EngineState
    kill_switch_active: bool
    kill_reason: str
    feeds: tuple[FeedStatus, ...]
    prices: tuple[SymbolView, ...]
    positions: tuple[PositionView, ...]
    open_orders: tuple[Order, ...]
    recent_orders: tuple[Order, ...]  # newest first, bounded
    fills: tuple[Fill, ...]  # newest first, bounded
    account: AccountView
    safety_events: tuple[SafetyEvent, ...]  # newest first, bounded
    advice: tuple[AdviceView, ...] = field(default_factory=tuple)  # latest per symbol
    advice_history: tuple[AdviceView, ...] = field(default_factory=tuple)  # newest first
    # The one trading state: ACTIVE / REDUCING / HALTED, and the headline with its reason.
    trading_mode: str = "ACTIVE"
    venue: str = ""  # where prices come from and orders would go: Binance, Upbit, sim
    trading_state: str = "ACTIVE"
    # After a kill that closed positions: "FLAT (verified hh:mm:ss)", "NOT FLAT: ..."
    flat_proof: str = ""
    kill: KillView | None = None  # the kill in force, with its source, reason and time
    last_error: str = ""
    failures: int = 0  # consecutive failures counted against the engine's limit
    failure_limit: int = 0  # ERROR when failures reach it (MAX_CONSECUTIVE_FAILURES)
    # Charts: recent closed candles per symbol and the session's equity, oldest first and
    # bounded. A series that did not change is the same tuple object as before.
    candles: tuple[CandleSeries, ...] = ()
    equity_curve: tuple[EquityPoint, ...] = ()
    # Paper measured against the venue (a shadow paper broker got the same orders); None
    # when not trading a venue account.
    divergence: "DivergenceView | None" = None
    # The order path per venue connection: empty on paper (no order stream there).
    order_streams: tuple[OrderStreamView, ...] = ()
    version: int = 0  # increases with every change; equal versions mean nothing changed


class TraderCommands(Protocol):
    """The small command API every front end uses (TUI, Telegram, CLI)."""

    def snapshot(self) -> TraderSnapshot: ...

    async def start(self) -> None: ...

    async def stop(self, flatten: bool = False) -> None: ...

    async def reset(self) -> None: ...

    async def kill(self, close_positions: bool = False, source: str = "operator") -> None: ...

    async def clear_kill(self, source: str = "operator") -> None:
        """Clear the kill switch so `start` works again; raises ValueError with the
        reason when no kill is active or it cannot be cleared."""

    async def close_position(self, symbol: str) -> None: ...

    async def cancel_order(self, client_order_id: str) -> None: ...

    def live_check(self) -> LiveCheck: ...

    async def enable_live(self, phrase: str) -> None:
        """Switch to live trading; raises ValueError with the reason when refused."""
