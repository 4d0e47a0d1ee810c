"""The backtest runner: fill semantics, gaps, bad rows, ranges and reproducibility."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tui_trader.backtest.export import result_dict, to_json
from tui_trader.backtest.metrics import compute_metrics
from tui_trader.backtest.results import BacktestSpec, Gap
from tui_trader.backtest.runner import run_backtest
from tui_trader.config import Settings, load_settings
from tui_trader.domain.enums import Side, SignalAction
from tui_trader.market.feed import FeedError
from tui_trader.market.replay import read_candles
from tui_trader.strategies.ema_cross import EmaCrossStrategy

T0 = datetime(2024, 3, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
FAST_SLOW = {"fast_period": 2, "slow_period": 3}
Row = tuple[float, float, float, float]  # open, high, low, close


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def write_rows(path: Path, rows: list[Row], minutes: list[int] | None = None) -> Path:
    """Binance 12-column klines, one per minute from T0 (or at the given minutes)."""
    lines = []
    for index, (o, h, low, c) in enumerate(rows):
        start = ms(T0 + (minutes[index] if minutes else index) * MINUTE)
        lines.append(f"{start},{o},{h},{low},{c},100,{start + 59999},0,0,0,0,0\n")
    path.write_text("".join(lines))
    return path


def walk(path: Path, count: int, seed: int = 5) -> Path:
    rng = random.Random(seed)
    price, rows = 100.0, []
    for _ in range(count):
        close = round(price * (1 + rng.gauss(0, 0.004)), 2)
        high = round(max(price, close) * (1 + abs(rng.gauss(0, 0.002))), 2)
        low = round(min(price, close) * (1 - abs(rng.gauss(0, 0.002))), 2)
        rows.append((price, high, low, close))
        price = close
    return write_rows(path, rows)


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "strategy": "ema_cross",
        "strategy_params": FAST_SLOW,
        "symbols": "BTCUSDT",
        "fee_rate": "0.001",
        "slippage_bps": "10",
    }
    values.update(overrides)
    return load_settings(_env_file=None, TUI_TRADER_DATA_DIR=str(tmp_path / "data"), **values)


def signal_candles(path: Path) -> list[tuple[int, SignalAction]]:
    """Indexes of the candles the strategy itself signals on (no runner involved)."""
    strategy = EmaCrossStrategy("BTCUSDT", FAST_SLOW)
    signals = [strategy.on_candle(c).action for c in read_candles(path, "BTCUSDT")]
    return [(i, a) for i, a in enumerate(signals) if a is not SignalAction.HOLD]


# Down for five candles, a turn up (BUY on the 6th), up, then down again (SELL).
V_SHAPE: list[Row] = [
    (100, 101, 99, 100), (100, 100, 98, 99), (99, 99, 97, 98), (98, 98, 96, 97),
    (97, 97, 95, 96), (96, 101, 96, 101), (102, 104, 101, 103), (103, 106, 102, 105),
    (105, 107, 104, 106), (106, 106, 99, 100), (100, 100, 96, 97), (97, 98, 96, 97),
]  # fmt: skip


def test_market_orders_fill_at_the_next_open_plus_slippage(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "v.csv", V_SHAPE)
    (buy_at, buy), (sell_at, sell) = signal_candles(path)[:2]
    assert (buy, sell) == (SignalAction.BUY, SignalAction.SELL)
    result = run_backtest(
        settings(tmp_path, allow_market_orders=True), BacktestSpec(path, "BTCUSDT")
    )
    entry, exit_ = result.fills
    # Sized at 5 % of equity at the signal candle's close, rounded down to the lot step.
    quantity = (Decimal(500) / Decimal(V_SHAPE[buy_at][3])).quantize(
        Decimal("0.00001"), "ROUND_DOWN"
    )
    assert (entry.side, entry.quantity) == (Side.BUY, quantity)
    assert entry.price == Decimal(str(V_SHAPE[buy_at + 1][0])) * Decimal("1.001")
    assert entry.ts == T0 + (buy_at + 2) * MINUTE - timedelta(milliseconds=1)
    assert entry.fee == entry.quantity * entry.price * Decimal("0.001")
    assert (exit_.side, exit_.quantity) == (Side.SELL, quantity)
    assert exit_.price == Decimal(str(V_SHAPE[sell_at + 1][0])) * Decimal("0.999")
    assert result.counts.candles == len(V_SHAPE)
    (trade,) = result.trades
    assert trade.pnl == (exit_.price - entry.price) * quantity - entry.fee - exit_.fee


def test_limit_orders_fill_only_when_traded_through(tmp_path: Path) -> None:
    rows = [
        *V_SHAPE[:6],
        (101, 103, 101, 102),  # touches the 101 limit: no fill
        (102, 104, 100.5, 103),  # trades through it: fill at 101
        (103, 105, 102, 104),
    ]
    path = write_rows(tmp_path / "limit.csv", rows)
    assert signal_candles(path)[0] == (5, SignalAction.BUY)
    result = run_backtest(settings(tmp_path), BacktestSpec(path, "BTCUSDT"))
    (fill,) = result.fills
    assert (fill.side, fill.price, fill.is_maker) == (Side.BUY, Decimal(101), True)
    assert fill.ts == T0 + 8 * MINUTE - timedelta(milliseconds=1)  # candle 7 closes


def test_limit_entry_not_filled_in_time_is_cancelled(tmp_path: Path) -> None:
    touching = [(101, 103, 101, 102), (102, 104, 101, 103), (103, 105, 101, 104)]
    rows = [*V_SHAPE[:6], *touching, (104, 106, 100, 105)]
    result = run_backtest(
        settings(tmp_path), BacktestSpec(write_rows(tmp_path / "c.csv", rows), "BTCUSDT")
    )
    assert result.fills == []  # cancelled after ENTRY_ORDER_TTL_SEC (180 s) untouched
    assert result.counts.cancels == 1


def test_gaps_are_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    minutes = [*range(10), *range(15, 21)]
    path = write_rows(tmp_path / "gap.csv", [(100, 101, 99, 100)] * len(minutes), minutes)
    result = run_backtest(settings(tmp_path), BacktestSpec(path, "BTCUSDT"))
    assert result.gaps == [Gap(T0 + 9 * MINUTE, T0 + 15 * MINUTE, 5)]
    assert result.counts.candles == 16
    assert len(result.curve) == 16


def test_range_cuts_candles_and_gaps(tmp_path: Path) -> None:
    minutes = [*range(10), *range(15, 21)]
    path = write_rows(tmp_path / "gap.csv", [(100, 101, 99, 100)] * len(minutes), minutes)
    spec = BacktestSpec(path, "BTCUSDT", T0 + 2 * MINUTE, T0 + 8 * MINUTE)
    result = run_backtest(settings(tmp_path), spec)
    assert result.counts.candles == 6
    assert result.gaps == []
    assert compute_metrics(result).start == T0 + 2 * MINUTE


def test_bad_row_stops_with_the_file_line(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "bad.csv", V_SHAPE)
    lines = path.read_text().splitlines(keepends=True)
    lines[4] = lines[4].replace(",96,", ",abc,", 1)
    path.write_text("".join(lines))
    with pytest.raises(FeedError, match=r"bad\.csv:5: .*not a number"):
        run_backtest(settings(tmp_path), BacktestSpec(path, "BTCUSDT"))


def test_unusable_rows_are_dropped_and_listed(tmp_path: Path) -> None:
    rows = [*V_SHAPE[:3], (98, 96, 97, 97), *V_SHAPE[4:]]  # high below low
    result = run_backtest(
        settings(tmp_path), BacktestSpec(write_rows(tmp_path / "d.csv", rows), "BTCUSDT")
    )
    assert result.counts.candles == len(V_SHAPE) - 1
    (message,) = result.dropped
    assert "high 96 below low 97" in message
    assert "d.csv:4" in message


def test_two_runs_give_identical_results(tmp_path: Path) -> None:
    path = walk(tmp_path / "walk.csv", 3000)
    first = run_backtest(settings(tmp_path), BacktestSpec(path, "BTCUSDT"))
    second = run_backtest(settings(tmp_path), BacktestSpec(path, "BTCUSDT"))
    assert len(first.fills) > 50, "the walk should make the strategy trade"
    assert first.fills == second.fills
    assert first.curve == second.curve
    assert to_json(result_dict(first, compute_metrics(first))) == to_json(
        result_dict(second, compute_metrics(second))
    )


def test_equity_is_marked_at_each_close(tmp_path: Path) -> None:
    path = walk(tmp_path / "walk.csv", 1500)
    result = run_backtest(
        settings(tmp_path, allow_market_orders=True), BacktestSpec(path, "BTCUSDT")
    )
    cash, held = Decimal(10000), Decimal(0)
    for fill in result.fills:
        sign = 1 if fill.side is Side.BUY else -1
        cash -= sign * fill.quantity * fill.price + fill.fee
        held += sign * fill.quantity
    last_close = list(read_candles(path, "BTCUSDT"))[-1].close
    assert held == result.open_quantity
    assert result.final_equity == cash + held * last_close
    assert result.curve.equity[-1] == pytest.approx(float(result.final_equity), rel=1e-12)
    assert result.fees_paid == sum((f.fee for f in result.fills), Decimal(0))
