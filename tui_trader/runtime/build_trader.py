"""Builds a Trader from settings: the one factory used by the CLI, the app and tests."""

from datetime import UTC, datetime
from pathlib import Path

from tui_trader.brokers.paper import PaperBroker
from tui_trader.clock import Clock, SimulatedClock, SystemClock
from tui_trader.config import Settings
from tui_trader.execution.gate import OrderGate
from tui_trader.execution.idempotency import IdempotencyGuard
from tui_trader.journal.store import Journal
from tui_trader.llm.settings import LLMSettings
from tui_trader.market.feed import MarketFeed
from tui_trader.market.replay import ReplayFeed
from tui_trader.market.simulated import SimulatedMarket
from tui_trader.ops.metered_feed import MeteredFeed
from tui_trader.ops.metrics import TraderMetrics
from tui_trader.ops.settings import OpsSettings
from tui_trader.runtime.advice_wiring import AdviceWiring
from tui_trader.runtime.core_parts import INTERVAL_SECONDS, build_core
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.ops_tasks import OpsWiring
from tui_trader.runtime.trader import Trader
from tui_trader.runtime.trader_parts import SafetyRelay, TraderParts
from tui_trader.runtime.warmup import history_needed, warm_up
from tui_trader.safety.kill_switch import KillSwitch
from tui_trader.safety.state_machine import EngineStateMachine
from tui_trader.secrets import default_redactor

JOURNAL_FILE = "journal.db"


def journal_path(settings: Settings) -> Path:
    return settings.data_path / JOURNAL_FILE


def build_feed(
    settings: Settings,
    relay: SafetyRelay,
    *,
    replay: Path | None,
    symbol: str | None,
    start: datetime,
    replay_speed: float = 0.0,
) -> MarketFeed:
    interval = INTERVAL_SECONDS[settings.candle_interval]
    if replay is not None:
        return ReplayFeed(
            replay,
            symbol or settings.symbols[0],
            settings.candle_interval,
            speed=replay_speed,
            on_bad_data=relay,
        )
    return SimulatedMarket(
        settings.symbols,
        settings.sim_seed,
        start,
        interval_sec=interval,
        ticks_per_candle=settings.sim_ticks_per_candle,
        speed=settings.sim_speed if settings.sim_speed < 100000 else 0.0,
        on_bad_data=relay,
    )


def build_trader(
    settings: Settings,
    *,
    replay: Path | None = None,
    symbol: str | None = None,
    wall_clock: Clock | None = None,
    start: datetime | None = None,
    replay_speed: float = 0.0,
    binance: ExchangeSetup | None = None,
    new_account: bool = False,
    llm: LLMSettings | None = None,
    ops: OpsSettings | None = None,
) -> Trader:
    """A paper trader on the simulated market (default) or a replayed CSV file (as fast
    as possible unless `replay_speed` asks for pacing). With `binance`, the trader
    switches to Binance's market data at open when Binance answers (and to a Binance
    broker on testnet/demo with keys); the simulated market is the fallback. `llm` and
    `ops` are the settings the entry point read: without them, no advisor and no
    operations tasks (notifications, Telegram, health endpoint)."""
    wall = wall_clock or SystemClock()
    symbols = (symbol or settings.symbols[0],) if replay is not None else settings.symbols
    core, exchange, risk = build_core(settings, symbols, candles_only=replay is not None)
    relay = SafetyRelay()
    market_start = start or wall.now()
    metrics = TraderMetrics()

    def metered(feed: MarketFeed) -> MarketFeed:
        return MeteredFeed(feed, metrics)

    source = build_feed(
        settings,
        relay,
        replay=replay,
        symbol=symbol,
        start=market_start,
        replay_speed=replay_speed,
    )
    if isinstance(source, SimulatedMarket):  # the demo's past: strategies warm at start
        warm_up(core, source.history(history_needed(core)))
    feed = metered(source)
    data = settings.data_path
    market_clock = SimulatedClock(
        datetime(1970, 1, 1, tzinfo=UTC) if replay is not None else market_start
    )
    parts = TraderParts(
        settings=settings,
        core=core,
        gate=OrderGate(risk, IdempotencyGuard(), core.state),
        broker=PaperBroker(exchange, market_clock),
        feed=feed,
        journal=Journal(
            journal_path(settings),
            data / "logs",
            settings.jsonl_max_bytes,
            settings.jsonl_backups,
            clock=market_clock,
            redact=default_redactor().redact,
            new_account=new_account,
        ),
        kill_switch=KillSwitch(data),
        machine=EngineStateMachine(settings.max_consecutive_failures),
        market_clock=market_clock,
        wall_clock=wall,
        safety_relay=relay,
        advice=AdviceWiring(llm) if llm is not None and llm.llm_enabled else None,
        ops=OpsWiring(ops) if ops is not None else None,
        metrics=metrics,
        exchange=binance if replay is None else None,
        resume_feed=None
        if replay is not None
        else lambda when: metered(
            build_feed(settings, relay, replay=None, symbol=None, start=when)
        ),
    )
    return Trader(parts)
