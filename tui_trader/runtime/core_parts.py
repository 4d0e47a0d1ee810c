"""The synchronous trading core built from settings: the parts the live trader, the
backtester and the benchmark share, and the price-learning parts the exchange link
replaces when the trader moves to Binance's market."""

from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import timedelta
from decimal import Decimal
from typing import TypedDict

from tui_trader.brokers.paper_exchange import PaperExchange
from tui_trader.config import Settings
from tui_trader.core.ledger import Portfolio
from tui_trader.core.trading_core import CoreConfig, CoreOutputs, CoreParts, TradingCore
from tui_trader.core.volatility import VolatilityDetector
from tui_trader.domain.enums import MarketKind
from tui_trader.domain.rules import SymbolRules
from tui_trader.execution.order_book import OrderBook
from tui_trader.market.state import MarketState
from tui_trader.risk.account import AccountTracker
from tui_trader.risk.anomaly import AnomalyMonitor
from tui_trader.risk.circuit_breaker import CircuitBreaker
from tui_trader.risk.exits import ExitManager
from tui_trader.risk.limits import RiskLimits
from tui_trader.risk.manager import RiskManager
from tui_trader.risk.protections import Protections, ProtectionSettings
from tui_trader.risk.sizing import Sizer, SizingSettings
from tui_trader.strategies.base import Strategy
from tui_trader.strategies.registry import create_strategy

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


def protection_settings(settings: Settings) -> ProtectionSettings:
    s = settings
    return ProtectionSettings(
        cooldown_min=s.protect_cooldown_min,
        stoploss_count=s.protect_stoploss_count,
        stoploss_window_min=s.protect_stoploss_window_min,
        stoploss_pause_min=s.protect_stoploss_pause_min,
        max_drawdown_pct=s.protect_max_drawdown_pct,
        drawdown_window_min=s.protect_drawdown_window_min,
        drawdown_pause_min=s.protect_drawdown_pause_min,
        low_profit_pct=s.protect_low_profit_pct,
        low_profit_trades=s.protect_low_profit_trades,
        low_profit_window_min=s.protect_low_profit_window_min,
        low_profit_pause_min=s.protect_low_profit_pause_min,
    )


def sizing_settings(settings: Settings) -> SizingSettings:
    s = settings
    return SizingSettings(
        mode=s.sizing,
        fixed_pct=s.position_size_pct,
        max_pct=s.sizing_max_pct,
        kelly_trades=s.kelly_trades,
        kelly_min_trades=s.kelly_min_trades,
        kelly_floor_pct=s.kelly_floor_pct,
        atr_risk_pct=s.atr_risk_pct,
        atr_stop_mult=s.atr_stop_mult,
        atr_take_mult=s.atr_take_mult,
    )


def paper_exchange(
    settings: Settings,
    balances: Mapping[str, Decimal],
    step_of: Callable[[str], Decimal],
    *,
    candles_only: bool = False,
) -> PaperExchange:
    """The paper exchange of these settings (fees, slippage, partial fills, market),
    holding `balances`: the trader's, the backtester's and the shadow's are built here."""
    return PaperExchange(
        settings.quote_asset,
        balances,
        fee_rate=settings.fee_rate,
        slippage_bps=settings.slippage_bps,
        partial_fill_share=settings.partial_fill_share,
        market=settings.market_type,
        leverage=settings.max_leverage,
        base_of=settings.base_asset,
        fill_on_candles=candles_only,
        step_of=step_of,
    )


def build_core(
    settings: Settings,
    symbols: tuple[str, ...],
    *,
    candles_only: bool,
    track_peak: bool = True,
    triggers: bool = True,
) -> tuple[TradingCore, PaperExchange, RiskManager]:
    """The synchronous core and the paper exchange it trades against (also used as is by
    the backtester and the benchmark). `track_peak=False`: no equity peak (nothing
    decides on it; the backtester computes equity only when a day begins).
    `triggers=False`: no volatility detector (the backtester: no strategy reads its
    triggers, only the live advice link does)."""
    quote = settings.quote_asset
    limits = risk_limits(settings)
    rules = {s: SymbolRules(s) for s in symbols}
    balances = {quote: settings.paper_quote_balance}
    portfolio = Portfolio(
        quote, balances, settings.market_type, settings.base_asset, leverage=settings.max_leverage
    )
    exchange = paper_exchange(
        settings, balances, lambda symbol: rules[symbol].step_size, candles_only=candles_only
    )
    parts = CoreParts(
        protections=Protections(protection_settings(settings)),
        sizer=Sizer(sizing_settings(settings)),
        portfolio=portfolio,
        orders=OrderBook(),
        exits=ExitManager(limits, settings.allow_market_orders),
        rules=rules,
        **market_parts(settings, symbols, triggers=triggers),
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
    volatility: VolatilityDetector | None


def strategies(settings: Settings, symbols: tuple[str, ...]) -> dict[str, Strategy]:
    """One strategy per symbol; each keeps an ATR of every candle when SIZING=atr."""
    made = {s: create_strategy(settings.strategy, s, settings.strategy_params) for s in symbols}
    if settings.sizing == "atr":
        for strategy in made.values():
            strategy.track_atr(settings.atr_period)
    return made


def market_parts(
    settings: Settings, symbols: tuple[str, ...], *, triggers: bool = True
) -> MarketParts:
    """The core's parts that learn from prices (state, strategies, guards): fresh ones
    when the trader moves from the simulated market to Binance's, so no simulated price
    leaks into a decision on real ones."""
    return {
        "market": MarketState(symbols),
        "strategies": strategies(settings, symbols),
        "breaker": CircuitBreaker(settings.circuit_breaker_pct),
        "anomaly": AnomalyMonitor(
            settings.anomaly_jump_pct,
            settings.anomaly_spread_pct,
            settings.balance_mismatch_tolerance,
            settings.max_consecutive_failures,
        ),
        "volatility": volatility_detector(settings) if triggers else None,
    }
