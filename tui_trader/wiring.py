"""Builds a Trader from settings: the one factory used by the CLI, the app and tests."""

from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypedDict

from tui_trader.brokers.paper import PaperBroker
from tui_trader.brokers.paper_exchange import PaperExchange
from tui_trader.clock import Clock, SimulatedClock, SystemClock
from tui_trader.config import Settings
from tui_trader.core import CoreConfig, CoreOutputs, CoreParts, TradingCore
from tui_trader.domain.enums import MarketKind
from tui_trader.domain.rules import SymbolRules
from tui_trader.exchange_link import ExchangeSetup
from tui_trader.execution.gate import OrderGate
from tui_trader.execution.idempotency import IdempotencyGuard
from tui_trader.execution.order_book import OrderBook
from tui_trader.journal.store import Journal
from tui_trader.llm.settings import load_llm_settings
from tui_trader.market.feed import MarketFeed
from tui_trader.market.replay import ReplayFeed
from tui_trader.market.simulated import SimulatedMarket
from tui_trader.market.state import MarketState
from tui_trader.ops.metered_feed import MeteredFeed
from tui_trader.ops.metrics import TraderMetrics
from tui_trader.ops.settings import load_ops_settings
from tui_trader.portfolio import Portfolio
from tui_trader.risk.account import AccountTracker
from tui_trader.risk.anomaly import AnomalyMonitor
from tui_trader.risk.circuit_breaker import CircuitBreaker
from tui_trader.risk.exits import ExitManager
from tui_trader.risk.limits import RiskLimits
from tui_trader.risk.manager import RiskManager
from tui_trader.safety.kill_switch import KillSwitch
from tui_trader.safety.state_machine import EngineStateMachine
from tui_trader.secrets import default_redactor
from tui_trader.strategies.base import Strategy
from tui_trader.strategies.registry import create_strategy
from tui_trader.trader import Trader
from tui_trader.trader_parts import SafetyRelay, TraderParts
from tui_trader.volatility import VolatilityDetector
from tui_trader.warmup import history_needed, warm_up

INTERVAL_SECONDS = {
    "1m": 60,
    "3m": 180,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "4h": 14400,
    "1d": 86400,
}
JOURNAL_FILE = "journal.db"


def journal_path(settings: Settings) -> Path:
    return settings.data_path / JOURNAL_FILE


def risk_limits(settings: Settings) -> RiskLimits:
    """The risk layer's frozen view of the settings (same names, same values)."""
    return RiskLimits(**{f.name: getattr(settings, f.name) for f in fields(RiskLimits)})


def volatility_detector(settings: Settings) -> VolatilityDetector:
    return VolatilityDetector(
        float(settings.mp_delta_pct),
        float(settings.mp_window_sec),
        float(settings.kline_range_pct),
        float(settings.vol_mult),
        settings.vol_lookback,
    )


def build_core(
    settings: Settings, symbols: tuple[str, ...], *, candles_only: bool, track_peak: bool = True
) -> tuple[TradingCore, PaperExchange, RiskManager]:
    """The synchronous core and the paper exchange it trades against (also used as is by
    the backtester and the benchmark). `track_peak=False`: no equity peak (nothing
    decides on it; the backtester computes equity only when a day begins)."""
    quote = settings.quote_asset
    limits = risk_limits(settings)
    rules = {s: SymbolRules(s) for s in symbols}
    balances = {quote: settings.paper_quote_balance}
    portfolio = Portfolio(
        quote, balances, settings.market_type, settings.base_asset, leverage=settings.max_leverage
    )
    exchange = PaperExchange(
        quote,
        balances,
        fee_rate=settings.fee_rate,
        slippage_bps=settings.slippage_bps,
        partial_fill_share=settings.partial_fill_share,
        market=settings.market_type,
        leverage=settings.max_leverage,
        base_of=settings.base_asset,
        fill_on_candles=candles_only,
        step_of=lambda symbol: rules[symbol].step_size,
    )
    parts = CoreParts(
        portfolio=portfolio,
        orders=OrderBook(),
        exits=ExitManager(limits, settings.allow_market_orders),
        rules=rules,
        **market_parts(settings, symbols),
    )
    config = CoreConfig(
        market=settings.market_type,
        position_size_pct=settings.position_size_pct,
        allow_market_orders=settings.allow_market_orders,
        entry_order_ttl=timedelta(seconds=settings.entry_order_ttl_sec),
        shorts_allowed=settings.market_type is MarketKind.FUTURES and settings.futures_enabled,
    )
    outputs = CoreOutputs(safety=lambda _event: None)
    core = TradingCore(config, parts, outputs, account=AccountTracker(track_peak))
    return core, exchange, RiskManager(limits)


class MarketParts(TypedDict):
    market: MarketState
    strategies: Mapping[str, Strategy]
    breaker: CircuitBreaker
    anomaly: AnomalyMonitor
    volatility: VolatilityDetector


def market_parts(settings: Settings, symbols: tuple[str, ...]) -> MarketParts:
    """The core's parts that learn from prices (state, strategies, guards): fresh ones
    when the trader moves from the simulated market to Binance's, so no simulated price
    leaks into a decision on real ones."""
    return {
        "market": MarketState(symbols),
        "strategies": {
            s: create_strategy(settings.strategy, s, settings.strategy_params) for s in symbols
        },
        "breaker": CircuitBreaker(settings.circuit_breaker_pct),
        "anomaly": AnomalyMonitor(
            settings.anomaly_jump_pct,
            settings.anomaly_spread_pct,
            settings.balance_mismatch_tolerance,
            settings.max_consecutive_failures,
        ),
        "volatility": volatility_detector(settings),
    }


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
) -> Trader:
    """A paper trader on the simulated market (default) or a replayed CSV file (as fast
    as possible unless `replay_speed` asks for pacing). With `binance`, the trader
    switches to Binance's market data at open when Binance answers (and to a Binance
    broker on testnet/demo with keys); the simulated market is the fallback."""
    wall = wall_clock or SystemClock()
    symbols = (symbol or settings.symbols[0],) if replay is not None else settings.symbols
    core, exchange, risk = build_core(settings, symbols, candles_only=replay is not None)
    relay = SafetyRelay()
    market_start = start or wall.now()
    ops = load_ops_settings()
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
        llm=load_llm_settings(),
        ops=ops,
        metrics=metrics,
        exchange=binance if replay is None else None,
        resume_feed=None
        if replay is not None
        else lambda when: metered(
            build_feed(settings, relay, replay=None, symbol=None, start=when)
        ),
    )
    return Trader(parts)
