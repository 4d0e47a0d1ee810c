"""The column path (cached columns, live code only where something can happen) gives what
the whole live code on every candle, streamed from the CSV, gives: every fill, count,
refusal, safety event, equity sample, gap, dropped row and the final equity."""

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tui_trader.backtest.results import BacktestResult, BacktestSpec
from tui_trader.backtest.runner import BacktestRun
from tui_trader.config import load_settings
from tui_trader.domain.events import SafetyKind

T0_MS = int(datetime(2024, 3, 1, 20, tzinfo=UTC).timestamp() * 1000)
STRATEGIES: dict[str, list[dict[str, Any]]] = {
    "ema_cross": [{"fast_period": 3, "slow_period": 8}, {"fast_period": 5, "slow_period": 13}],
    "rsi": [{"period": 6, "oversold": 35.0, "overbought": 65.0}],
    "macd": [{"fast_period": 4, "slow_period": 9, "signal_period": 3}],
    "bollinger": [{"period": 10, "num_std": 1.5, "max_bandwidth_pct": 8.0}],
    "vwap": [{"deviation_pct": 0.5, "session_warmup": 30}],
    "volume_profile": [{"period": 20, "bin_pct": 0.5}],
    "conservative": [{"fast_period": 3, "slow_period": 8, "rsi_buy_max": 80.0, "rsi_sell": 85.0}],
    "grid": [{"spacing_pct": 0.5, "levels": 8}],
    "synthesizer": [{"members": {"rsi": 1.0, "ema_cross": 1.0}, "buy_threshold": 0.3,
                     "member_params": {"ema_cross": {"fast_period": 3, "slow_period": 8}}}],
}  # fmt: skip


def write_walk(path: Path, count: int, seed: int, sigma: float, gaps: bool) -> Path:
    """A random walk over UTC midnights; with `gaps`, some minutes are missing and a few
    rows are unusable (dropped and reported)."""
    rng = random.Random(seed)
    price, lines, minute = 100.0, [], 0
    for _ in range(count):
        minute += rng.choice((1, 1, 1, 1, 2, 7)) if gaps else 1
        close = max(1.0, price * (1 + rng.gauss(0, sigma)))
        high = max(price, close) * (1 + abs(rng.gauss(0, sigma / 2)))
        low = min(price, close) * (1 - abs(rng.gauss(0, sigma / 2)))
        start = T0_MS + minute * 60_000
        if gaps and rng.random() < 0.01:
            high, low = low, high  # high below low: dropped
        lines.append(f"{start},{price:.2f},{high:.2f},{low:.2f},{close:.2f},"
                     f"{rng.uniform(5, 50):.3f},{start + 59_999},0,0,0,0,0\n")  # fmt: skip
        price = float(f"{close:.2f}")
    path.write_text("".join(lines))
    return path


def random_settings(rng: random.Random, data: Path, strategy: str) -> Any:
    return load_settings(
        _env_file=None,
        TUI_TRADER_DATA_DIR=str(data),
        symbols="BTCUSDT",
        strategy=strategy,
        strategy_params=rng.choice(STRATEGIES[strategy]),
        allow_market_orders=rng.random() < 0.5,
        fee_rate=rng.choice(("0", "0.001", "0.00075")),
        slippage_bps=rng.choice(("0", "5", "20")),
        position_size_pct=rng.choice(("5", "20", "40")),
        max_position_pct=rng.choice(("10", "25", "50")),
        circuit_breaker_pct=rng.choice(("0.5", "1.5", "3", "15")),
        entry_order_ttl_sec=rng.choice((60, 180, 900)),
        partial_fill_share=rng.choice(("0.01", "0.25", "1")),
        max_orders_per_day=rng.choice((5, 1000)),
    )


def assert_same(fast: BacktestResult, exact: BacktestResult) -> None:
    assert fast.fills == exact.fills
    assert fast.trades == exact.trades
    assert fast.counts == exact.counts  # signals, intents, orders, cancels, refusals, safety
    assert fast.final_equity == exact.final_equity
    assert fast.fees_paid == exact.fees_paid
    assert fast.open_quantity == exact.open_quantity
    assert fast.curve.start_ms == exact.curve.start_ms
    assert fast.curve.times_ms == exact.curve.times_ms
    assert fast.curve.equity == exact.curve.equity
    assert fast.curve.exposed == exact.curve.exposed
    assert fast.gaps == exact.gaps
    assert fast.dropped == exact.dropped


def both(settings: Any, spec: BacktestSpec) -> tuple[BacktestResult, BacktestResult]:
    fast = BacktestRun(settings, spec)
    result = fast.run()
    if settings.strategy != "grid" and result.counts.candles > 100:
        assert fast.quiet > 0, "some candles should be quiet: skipping is what is compared"
    return result, BacktestRun(settings, spec, every_candle=True).run()


@pytest.mark.parametrize("seed", range(18))
def test_random_walks_with_random_settings_trade_alike(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    strategy = list(STRATEGIES)[seed % len(STRATEGIES)]
    gaps = seed % 3 == 0
    path = write_walk(tmp_path / "walk.csv", 2500, seed, rng.choice((0.002, 0.006)), gaps)
    settings = random_settings(rng, tmp_path / "data", strategy)
    spec = BacktestSpec(path, "BTCUSDT", cache=tmp_path / "cache")
    fast, exact = both(settings, spec)
    assert_same(fast, exact)
    assert_same(BacktestRun(settings, spec).run(), exact)  # the second run reads the cache
    assert exact.counts.signals > 0, f"{strategy} should signal on this walk"


def test_volatile_walk_with_limit_orders_trips_refuses_and_expires_alike(tmp_path: Path) -> None:
    path = write_walk(tmp_path / "walk.csv", 3000, 11, 0.01, gaps=True)
    settings = load_settings(
        _env_file=None,
        TUI_TRADER_DATA_DIR=str(tmp_path / "data"),
        symbols="BTCUSDT",
        strategy="ema_cross",
        strategy_params={"fast_period": 3, "slow_period": 8},
        circuit_breaker_pct="2",
        position_size_pct="20",
        max_position_pct="25",
        partial_fill_share="0.05",
    )
    fast, exact = both(settings, BacktestSpec(path, "BTCUSDT", cache=tmp_path / "cache"))
    assert_same(fast, exact)
    assert exact.counts.safety[SafetyKind.CIRCUIT_BREAKER] > 1, "the breaker should trip"
    assert exact.counts.refusals["circuit_breaker"] > 0
    assert exact.counts.cancels > 0, "some limit entries should expire"
    assert exact.gaps and exact.dropped


@pytest.mark.parametrize("cut", [(0, 800), (300, 1200), (1500, None), (None, 5), (900, 900)])
def test_ranges_report_gaps_and_dropped_rows_alike(
    tmp_path: Path, cut: tuple[int | None, int | None]
) -> None:
    path = write_walk(tmp_path / "walk.csv", 2000, 4, 0.004, gaps=True)
    minute = timedelta(minutes=1)
    t0 = datetime.fromtimestamp(T0_MS / 1000, UTC)
    start, end = (None if m is None else t0 + m * minute for m in cut)
    settings = random_settings(random.Random(4), tmp_path / "data", "ema_cross")
    spec = BacktestSpec(path, "BTCUSDT", start, end, cache=tmp_path / "cache")
    assert_same(*both(settings, spec))
