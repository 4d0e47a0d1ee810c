"""Builds the immutable `TraderSnapshot` front ends render, from the core's live objects."""

import re
from collections import deque
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from tui_trader.config import Settings
from tui_trader.core.ledger import Portfolio
from tui_trader.domain.enums import EngineState
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle
from tui_trader.domain.orders import Fill, Signal
from tui_trader.execution.divergence import DivergenceReport
from tui_trader.execution.order_book import OrderBook
from tui_trader.market.feed import MarketFeed
from tui_trader.market.state import MarketState
from tui_trader.risk.account import AccountTracker
from tui_trader.risk.exits import ExitManager
from tui_trader.safety.trading_state import TradingState
from tui_trader.snapshot import (
    AccountView,
    AdviceView,
    CandleSeries,
    DivergenceView,
    EquityPoint,
    FeedStatus,
    KillView,
    OrderStreamView,
    PositionView,
    SymbolView,
    TraderSnapshot,
)
from tui_trader.strategies.base import warmup_progress

if TYPE_CHECKING:
    from tui_trader.runtime.exchange_link import ExchangeLink

SAFETY_HISTORY = 200
REPEAT_WINDOW = timedelta(seconds=60)
REPEATS = "repeats"  # how many times a coalesced safety event happened
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
FILL_HISTORY = 50
CHART_CANDLES = 120  # closed candles kept per symbol for the price chart
EQUITY_POINTS = 240  # equity samples of the session, one per candle close time


def mode_label(settings: Settings, live: bool) -> str:
    if live:
        return "TESTNET" if settings.binance_env != "mainnet" else "LIVE"
    return "PAPER"


def symbol_views(market: MarketState, signals: dict[str, Signal]) -> tuple[SymbolView, ...]:
    views = []
    for symbol, state in market.symbols.items():
        signal = signals.get(symbol)
        warmup = warmup_progress(signal) if signal is not None else None
        views.append(
            SymbolView(
                symbol=symbol,
                last=state.last,
                change_pct=state.change_pct,
                bid=state.bid,
                ask=state.ask,
                spread_pct=(state.ask - state.bid) / state.last * 100 if state.last else Decimal(0),
                closes=tuple(state.closes),
                signal="WARMUP" if warmup or signal is None else signal.action.value,
                signal_confidence=signal.confidence if signal is not None else 0.0,
                updated_at=state.updated_at,
                warmup=warmup,
            )
        )
    return tuple(views)


def position_views(
    portfolio: Portfolio,
    exits: ExitManager,
    exchange_stops: Mapping[str, Decimal] | None = None,
) -> tuple[PositionView, ...]:
    """`exchange_stops`: the trigger of the stop the exchange holds per symbol, or None
    when this account keeps no exchange stops."""
    views = []
    for position in portfolio.positions.values():
        if not position.is_open:
            continue
        levels = exits.levels(position.symbol)
        liquidation = None
        if position.liquidation_price and position.mark_price:
            gap = abs(position.mark_price - position.liquidation_price)
            liquidation = gap / position.mark_price * 100
        views.append(
            PositionView(
                position=position,
                stop_loss=levels.stop_loss if levels else None,
                take_profit=levels.take_profit if levels else None,
                trailing_stop=levels.trailing_stop if levels else None,
                liquidation_distance_pct=liquidation,
                exchange_stop=(exchange_stops or {}).get(position.symbol),
                exchange_guarded=exchange_stops is not None,
            )
        )
    return tuple(views)


def account_view(account: AccountTracker, portfolio: Portfolio) -> AccountView:
    """Day PnL (and its percentage) against the start-of-day equity, drawdown from the
    peak."""
    equity = portfolio.equity()
    peak = account.peak
    drawdown = (peak - equity) / peak * 100 if peak > 0 else Decimal(0)
    start = account.day_start
    day_pnl = equity - start if start else Decimal(0)
    day_pct = day_pnl / start * 100 if start > 0 else Decimal(0)
    return portfolio.account_view(day_pnl, max(drawdown, Decimal(0)), day_pct)


class History:
    """Bounded recent fills, safety events and advice for the panels (newest first), and
    the charts' series: closed candles per symbol and equity samples (oldest first)."""

    def __init__(self) -> None:
        self.safety: deque[SafetyEvent] = deque(maxlen=SAFETY_HISTORY)
        self.fills: deque[Fill] = deque(maxlen=FILL_HISTORY)
        self.advice: dict[str, AdviceView] = {}
        self.advice_history: tuple[AdviceView, ...] = ()  # newest first, bounded
        self.candles: dict[str, deque[Candle]] = {}
        self.equity: deque[EquityPoint] = deque(maxlen=EQUITY_POINTS)
        # The snapshot's tuples, rebuilt only after a candle closed: a snapshot built for
        # a tick reuses them (the same objects, so the chart sees nothing changed).
        self._each: dict[str, CandleSeries] = {}
        self._series: tuple[CandleSeries, ...] | None = None
        self._curve: tuple[EquityPoint, ...] | None = None

    def add_candle(self, candle: Candle, equity: Decimal) -> None:
        """A closed candle, and the equity at its close: one sample per close time (the
        symbols' candles of one minute share it; the last one's equity is kept)."""
        if not candle.closed:
            return
        series = self.candles.get(candle.symbol)
        if series is None:
            series = self.candles[candle.symbol] = deque(maxlen=CHART_CANDLES)
        series.append(candle)
        point = EquityPoint(candle.close_time, equity)
        if self.equity and self.equity[-1].ts == point.ts:
            self.equity[-1] = point
        else:
            self.equity.append(point)
        self._each.pop(candle.symbol, None)
        self._series = self._curve = None

    def candle_series(self) -> tuple[CandleSeries, ...]:
        if self._series is None:
            for symbol, candles in self.candles.items():
                if symbol not in self._each:
                    self._each[symbol] = CandleSeries(symbol, tuple(candles))
            self._series = tuple(self._each[symbol] for symbol in self.candles)
        return self._series

    def equity_curve(self) -> tuple[EquityPoint, ...]:
        if self._curve is None:
            self._curve = tuple(self.equity)
        return self._curve

    def add_safety(self, event: SafetyEvent) -> None:
        """Newest first. The same warning again (same kind, symbol, severity and message
        but for its numbers) within REPEAT_WINDOW takes the previous row's place with a
        count, so one noisy source cannot push every other event out of the panel. The
        journal keeps each one."""
        latest = self.safety[0] if self.safety else None
        if latest is not None and _repeats(latest, event):
            count = int(latest.data.get(REPEATS, 1)) + 1
            self.safety[0] = replace(event, data={**event.data, REPEATS: count})
            return
        self.safety.appendleft(event)


def _repeats(before: SafetyEvent, event: SafetyEvent) -> bool:
    recent = timedelta(0) <= event.ts - before.ts <= REPEAT_WINDOW
    return recent and _shape(before) == _shape(event)


def _shape(e: SafetyEvent) -> tuple[str, str, str, str]:
    return (e.kind, e.symbol, e.severity, _NUMBER.sub("#", e.message))


def build_snapshot(
    *,
    ts: datetime,
    mode: str,
    venue: str,
    settings: Settings,
    engine_state: EngineState,
    kill_reason: str | None,
    kill: KillView | None,
    flat_proof: str,
    trading: TradingState,
    feeds: tuple[FeedStatus, ...],
    market: MarketState,
    signals: dict[str, Signal],
    portfolio: Portfolio,
    exits: ExitManager,
    exchange_stops: Mapping[str, Decimal] | None,
    divergence: DivergenceReport | None,
    orders: OrderBook,
    order_streams: tuple[OrderStreamView, ...] = (),
    account: AccountTracker,
    history: History,
    last_error: str,
    failures: int,
    version: int,
) -> TraderSnapshot:
    return TraderSnapshot(
        ts=ts,
        mode=mode,
        venue=venue,
        market=settings.market_type,
        engine_state=engine_state,
        kill_switch_active=kill_reason is not None,
        kill_reason=kill_reason or "",
        kill=kill,
        trading_mode=trading.mode.name,
        trading_state=trading.headline,
        flat_proof=flat_proof,
        feeds=feeds,
        prices=symbol_views(market, signals),
        positions=position_views(portfolio, exits, exchange_stops),
        open_orders=tuple(orders.open_orders()),
        recent_orders=orders.recent(),
        fills=tuple(history.fills),
        account=account_view(account, portfolio),
        safety_events=tuple(history.safety),
        advice=tuple(history.advice.values()),
        advice_history=history.advice_history,
        candles=history.candle_series(),
        equity_curve=history.equity_curve(),
        divergence=divergence_view(divergence) if divergence is not None else None,
        order_streams=order_streams,
        last_error=last_error,
        failures=failures,
        failure_limit=settings.max_consecutive_failures,
        version=version,
    )


def divergence_view(report: DivergenceReport) -> DivergenceView:
    return DivergenceView(
        total=report.total,
        price=report.price_effect,
        fees=report.fee_effect,
        orders=len(report.rows),
        unmatched=len(report.unmatched_orders),
        headline=report.headline(),
    )


def feed_view(
    feed: MarketFeed, link: "ExchangeLink", finished: bool, market: MarketState, settings: Settings
) -> FeedStatus:
    """The feed as the header shows it: its own status when it has one (Binance), else
    the simulated or replayed feed's, offline while Binance is being retried."""
    status = getattr(feed, "status", None)
    if callable(status):
        result: FeedStatus = status()
        return result
    interval = 60 / max(settings.sim_ticks_per_candle, 1)
    return FeedStatus(
        name=feed.name + link.feed_note,
        connected=not finished and link.retry is None,
        last_event_at=market.last_event_at,
        stale_after_s=3 * interval / settings.sim_speed,
        detail="finished" if finished else link.retry_detail,
    )
