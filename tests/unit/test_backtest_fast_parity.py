"""The fast path (compiled decisions, Decimal order path on the candles where money moves)
gives what the exact path gives, on every combination it declares: the whole fingerprint
(every fill, count, refusal, equity sample, gap, dropped row, the final equity) equal.
Outside its subset it declines, naming why, and the exact path runs."""

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_backtest_fast_kernels import random_params
from tests.unit.test_backtest_quiet_parity import T0_MS, assert_same, write_walk
from tui_trader.backtest.fast import run_fast
from tui_trader.backtest.fast.subset import KERNELS
from tui_trader.backtest.fingerprint import first_difference
from tui_trader.backtest.results import BacktestResult, BacktestSpec
from tui_trader.backtest.runner import BacktestRun
from tui_trader.config import Settings, load_settings
from tui_trader.domain.events import SafetyKind


def fast_settings(rng: random.Random, data: Path, strategy: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "symbols": "BTCUSDT",
        "strategy": strategy,
        "strategy_params": random_params(rng, strategy),
        "allow_market_orders": rng.random() < 0.5,
        "entry_order_ttl_sec": rng.choice((60, 180, 900)),
        "partial_fill_share": rng.choice(("0.01", "0.25", "1")),
        "max_slippage_bps": rng.choice(("0", "50")),
        "fee_rate": rng.choice(("0", "0.001", "0.00075", "0.0123")),
        "slippage_bps": rng.choice(("0", "5", "20", "7.5")),
        "position_size_pct": rng.choice(("5", "20", "40", "99")),
        "max_position_pct": rng.choice(("10", "25", "50", "100")),
        "max_orders_per_day": rng.choice((5, 40, 1000)),
        "max_daily_loss_pct": rng.choice(("0.2", "1", "3")),
        "paper_quote_balance": rng.choice(("10000", "250", "1234.56")),
        "circuit_breaker_pct": rng.choice(("0.5", "1.5", "3", "15")),
    }
    values.update(extra)
    return load_settings(_env_file=None, TUI_TRADER_DATA_DIR=str(data), **values)


def refusing_settings(data: Path) -> list[Settings]:
    """On write_walk(..., 6000, 11, 0.005, gaps=True), together: refusals by position size,
    daily loss, the circuit breaker and the orders-per-day cap, the breaker's trips, and
    exchange rejections for want of funds."""
    cases = [("99.9", "100", "50", 1000, "99"), ("30", "25", "50", 1000, "99"),
             ("20", "100", "0.5", 1000, "99"), ("20", "100", "50", 3, "99"),
             ("20", "100", "50", 1000, "2")]  # fmt: skip
    found = []
    for seed, (size, cap, loss, day, breaker) in enumerate(cases):
        found.append(fast_settings(
            random.Random(seed), data, "ema_cross", position_size_pct=size,
            max_position_pct=cap, circuit_breaker_pct=breaker, max_daily_loss_pct=loss,
            max_orders_per_day=day, fee_rate="0.01", slippage_bps="50",
            strategy_params={"fast_period": 3, "slow_period": 8},
        ))  # fmt: skip
    return found


def fast(settings: Settings, spec: BacktestSpec) -> BacktestResult:
    outcome = run_fast(settings, spec)
    assert outcome.result is not None, f"the fast path declined: {outcome.reason}"
    return outcome.result


def agree(settings: Settings, spec: BacktestSpec) -> BacktestResult:
    """The fast path on the columns it reads itself (no cache file yet, or none at all),
    then on the cache file the exact path leaves, both equal to the exact path."""
    first = fast(settings, spec)
    exact = BacktestRun(settings, spec).run()
    for result in (first, fast(settings, spec)):
        assert first_difference(result, exact) is None
        assert_same(result, exact)
    return exact


@pytest.mark.parametrize("seed", range(32))
def test_random_walks_with_random_settings_trade_alike(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    strategy = sorted(KERNELS)[seed % len(KERNELS)]
    path = write_walk(tmp_path / "walk.csv", 3000, seed, rng.choice((0.002, 0.006)), seed % 3 == 0)
    settings = fast_settings(rng, tmp_path / "data", strategy)
    exact = agree(settings, BacktestSpec(path, "BTCUSDT", cache=tmp_path / "cache"))
    assert exact.counts.signals > 0 and exact.counts.intents > 0


def test_a_volatile_walk_refuses_rejects_and_fills_alike(tmp_path: Path) -> None:
    """Refusals by position size, daily loss, the circuit breaker and the orders-per-day
    cap, the breaker's trips and clears, and exchange rejections for want of funds, each
    happen here and are counted alike."""
    path = write_walk(tmp_path / "walk.csv", 6000, 11, 0.005, gaps=True)
    seen: dict[str, int] = {}
    for settings in refusing_settings(tmp_path / "data"):
        exact = agree(settings, BacktestSpec(path, "BTCUSDT", cache=tmp_path / "cache"))
        for name, count in exact.counts.refusals.items():
            seen[name] = seen.get(name, 0) + count
        safety = exact.counts.safety
        for name, count in (("rejected", exact.counts.rejected),
                            ("order_rejected", safety[SafetyKind.ORDER_REJECTED]),
                            ("breaker_events", safety[SafetyKind.CIRCUIT_BREAKER])):  # fmt: skip
            seen[name] = seen.get(name, 0) + count
    names = ("position_size", "daily_loss", "orders_per_day", "rejected", "order_rejected")
    for name in (*names, "circuit_breaker", "breaker_events"):
        assert seen.get(name, 0) > 0, f"{name} should happen on this walk: {seen}"


def test_a_volatile_walk_with_limit_orders_rests_fills_in_parts_and_expires_alike(
    tmp_path: Path,
) -> None:
    path = write_walk(tmp_path / "walk.csv", 6000, 12, 0.005, gaps=True)
    counts = {"cancels": 0, "partial": 0, "exit beside entry": 0}
    cases = [("ema_cross", "0.002", 900), ("rsi", "0.05", 180), ("bollinger", "1", 60)]
    for seed, (strategy, share, ttl) in enumerate(cases):
        params = {"fast_period": 2, "slow_period": 3} if seed == 0 else None
        settings = fast_settings(
            random.Random(seed + 1), tmp_path / "data", strategy, allow_market_orders=False,
            partial_fill_share=share, entry_order_ttl_sec=ttl, position_size_pct="20",
            max_position_pct="50", max_orders_per_day=1000, circuit_breaker_pct="99",
            max_daily_loss_pct="50", **({"strategy_params": params} if params else {}),
        )  # fmt: skip
        exact = agree(settings, BacktestSpec(path, "BTCUSDT", cache=tmp_path / "cache"))
        counts["cancels"] += exact.counts.cancels
        counts["partial"] += sum(1 for fill in exact.fills if not fill.trade_id.endswith("-1"))
        fills = exact.fills  # an entry still filling after its exit began to
        counts["exit beside entry"] += sum(
            1
            for a, b, c in zip(fills, fills[1:], fills[2:], strict=False)
            if a.client_order_id == c.client_order_id and b.side != a.side
        )
    assert all(counts.values()), f"each should happen on this walk: {counts}"


@pytest.mark.parametrize("cut", [(0, 800), (300, 1200), (1500, None), (None, 5), (900, 900)])
def test_ranges_gaps_and_dropped_rows_alike(
    tmp_path: Path, cut: tuple[int | None, int | None]
) -> None:
    path = write_walk(tmp_path / "walk.csv", 2000, 4, 0.004, gaps=True)
    t0 = datetime.fromtimestamp(T0_MS / 1000, UTC)
    start, end = (None if m is None else t0 + m * timedelta(minutes=1) for m in cut)
    settings = fast_settings(random.Random(4), tmp_path / "data", "rsi")
    agree(settings, BacktestSpec(path, "BTCUSDT", start, end, cache=tmp_path / "cache"))


def test_without_a_cache_folder_the_columns_are_read_from_the_file(tmp_path: Path) -> None:
    path = write_walk(tmp_path / "walk.csv", 1500, 8, 0.004, gaps=False)
    agree(
        fast_settings(random.Random(8), tmp_path / "data", "ema_cross"),
        BacktestSpec(path, "BTCUSDT"),
    )


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"strategy": "vwap", "strategy_params": {}}, "vwap has no compiled kernel"),
        ({"sizing": "kelly"}, "SIZING=kelly runs on the exact path"),
        ({"protect_cooldown_min": 5}, "PROTECT_* runs on the exact path"),
        ({"market_type": "futures", "futures_enabled": True}, "futures run on the exact path"),
    ],
)
def test_outside_the_subset_it_declines_naming_why(
    tmp_path: Path, overrides: dict[str, Any], reason: str
) -> None:
    path = write_walk(tmp_path / "walk.csv", 3000, 3, 0.006, gaps=False)
    extra = dict(overrides)
    strategy = extra.pop("strategy", "ema_cross")
    settings = fast_settings(random.Random(3), tmp_path / "data", strategy, **extra)
    outcome = run_fast(settings, BacktestSpec(path, "BTCUSDT"))
    assert outcome.result is None
    assert outcome.reason.startswith(reason)


def test_a_damaged_cache_sends_the_run_to_the_exact_path(tmp_path: Path) -> None:
    path = write_walk(tmp_path / "walk.csv", 1500, 9, 0.004, gaps=False)
    settings = fast_settings(random.Random(9), tmp_path / "data", "ema_cross")
    spec = BacktestSpec(path, "BTCUSDT", cache=tmp_path / "cache")
    agree(settings, spec)
    (target,) = (tmp_path / "cache").glob("*.columns")
    blob = bytearray(target.read_bytes())
    blob[-2000] ^= 0x01  # a close's exponent (the last parts: 5 exponent columns)
    target.write_bytes(bytes(blob))
    outcome = run_fast(settings, spec)
    assert outcome.result is None
    assert outcome.reason == (
        "the cached prices do not match their digest: the exact path reads the file again"
    )
    BacktestRun(settings, spec).run()  # what the command runs then: it caches anew
    assert fast(settings, spec).fills == BacktestRun(settings, spec).run().fills


def test_first_difference_names_the_first_fill_that_differs(tmp_path: Path) -> None:
    path = write_walk(tmp_path / "walk.csv", 2000, 5, 0.004, gaps=False)
    one = fast_settings(
        random.Random(5), tmp_path / "data", "ema_cross", fee_rate="0.001", position_size_pct="5"
    )
    two = one.model_copy(update={"fee_rate": one.fee_rate * 2})
    spec = BacktestSpec(path, "BTCUSDT")
    a, b = BacktestRun(one, spec).run(), BacktestRun(two, spec).run()
    assert a.fills, "the walk should trade"
    assert (first_difference(a, b) or "").startswith("fill #1: Fill(")
    assert first_difference(a, BacktestRun(one, spec).run()) is None
