"""Warm-up: the count the Signal column shows, and the simulated market's past that warms
the strategies before the first live event without touching anything else."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path

from tests.trader_support import entry_groups
from tui_trader.config import load_settings
from tui_trader.domain.enums import SignalAction
from tui_trader.domain.market import Candle
from tui_trader.market.simulated import DEFAULT_BASE_PRICES, SimulatedMarket
from tui_trader.market.state import MarketState
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.views import symbol_views
from tui_trader.strategies.base import warmup_progress
from tui_trader.strategies.registry import create_strategy
from tui_trader.tui.widgets.prices import signal_label, warmup_note

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
PAIR = ("BTCUSDT", "ETHUSDT")


def candle(i: int, close: float, symbol: str = "BTCUSDT") -> Candle:
    open_time = START + timedelta(minutes=i)
    price = Decimal(str(close))
    return Candle(
        symbol, open_time, open_time + timedelta(seconds=59.999), price, price, price, price,
        Decimal(1),
    )  # fmt: skip


def test_warming_signals_carry_their_count_and_the_view_shows_it() -> None:
    strategy = create_strategy("conservative", "BTCUSDT", {})
    need = strategy.warmup_period
    signals = [strategy.on_candle(candle(i, 100 + i % 3)) for i in range(need + 1)]
    assert warmup_progress(signals[0]) == (1, need)
    assert warmup_progress(signals[6]) == (7, need)
    assert warmup_progress(signals[-1]) is None  # warm: a real HOLD/BUY/SELL
    market = MarketState(("BTCUSDT",))
    (row,) = symbol_views(market, {"BTCUSDT": signals[6]})
    assert (row.signal, row.warmup) == ("WARMUP", (7, need))
    assert signal_label(row) == f"W 7/{need}"
    assert warmup_note((row,)) == f"WARMUP 7/{need}: first signal after {need} candles"
    (warm,) = symbol_views(market, {"BTCUSDT": signals[-1]})
    assert warm.warmup is None and signal_label(warm) == warm.signal
    assert warmup_note((warm,)) == ""


def test_a_reason_that_merely_mentions_warming_up_is_not_a_count() -> None:
    strategy = create_strategy("vwap", "BTCUSDT", {})
    reason = "hold: VWAP session warming up (3/30)"
    signal = strategy.signal(candle(0, 100), SignalAction.HOLD, 0.0, reason)
    assert warmup_progress(signal) is None


def test_history_ends_where_the_live_stream_begins() -> None:
    market = SimulatedMarket(PAIR, seed=42, start=START)
    past = market.history(30)
    assert len(past) == 60 and all(c.closed for c in past)
    for symbol in PAIR:
        mine = [c for c in past if c.symbol == symbol]
        assert len(mine) == 30
        assert [c.open_time for c in mine] == [START - timedelta(minutes=30 - i) for i in range(30)]
        assert mine[-1].close_time == START - timedelta(milliseconds=1)
        assert mine[-1].close == DEFAULT_BASE_PRICES[symbol]  # the live walk starts there
        assert all(c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high for c in mine)
    assert past == SimulatedMarket(PAIR, seed=42, start=START).history(30)  # reproducible
    assert past != SimulatedMarket(PAIR, seed=43, start=START).history(30)
    assert market.history(0) == []


def test_history_leaves_the_live_stream_unchanged() -> None:
    plain = list(islice(SimulatedMarket(PAIR, seed=42, start=START).generate(), 2000))
    market = SimulatedMarket(PAIR, seed=42, start=START)
    market.history(50)
    assert list(islice(market.generate(), 2000)) == plain


def test_the_demo_trader_starts_warm_and_untouched_by_its_past(tmp_path: Path) -> None:
    settings = load_settings(TUI_TRADER_DATA_DIR=tmp_path)
    trader = build_trader(settings, start=START, **entry_groups())
    core = trader.core
    assert set(core.last_signals) == set(settings.symbols)
    assert all(warmup_progress(s) is None for s in core.last_signals.values())
    assert all(s.ts < START for s in core.last_signals.values())
    snapshot = trader.snapshot()
    assert all(row.warmup is None and row.signal != "WARMUP" for row in snapshot.prices)
    # Only the strategies saw the past: no price, breaker, order, fill or event from it.
    assert all(row.last == 0 and not row.closes for row in snapshot.prices)
    assert core.parts.market.last_event_at is None
    assert not core.parts.breaker.tripped
    assert not snapshot.open_orders and not snapshot.fills and not snapshot.positions
    assert not [e for e in snapshot.safety_events if e.ts < START]
    assert snapshot.account.day_pnl == 0  # no day-start equity sampled from the past
    assert trader.parts.market_clock.now() == START


def test_a_replay_has_no_invented_past(tmp_path: Path) -> None:
    csv = tmp_path / "candles.csv"
    csv.write_text("open_time,open,high,low,close,volume\n")
    settings = load_settings(TUI_TRADER_DATA_DIR=tmp_path / "data")
    trader = build_trader(settings, replay=csv, symbol="BTCUSDT", **entry_groups())
    assert trader.core.last_signals == {}
