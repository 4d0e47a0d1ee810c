"""Entry sizing: the fixed fraction, the capped Kelly fraction of recent trades (fixed
until enough have closed, a floor when no edge is measured), and ATR risk sizing; the
backtester sizes the same on the quiet-candle and the every-candle path."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.unit.test_backtest_quiet_parity import assert_same, both
from tests.unit.test_backtest_runner import settings, walk
from tests.unit.test_exits import make_limits
from tui_trader.backtest.results import BacktestSpec
from tui_trader.domain.enums import IntentPurpose
from tui_trader.domain.portfolio import Position
from tui_trader.risk.exits import ExitManager
from tui_trader.risk.protections import ClosedTrade
from tui_trader.risk.sizing import Sizer, SizingSettings

T0 = datetime(2026, 12, 2, tzinfo=UTC)
EQUITY, PRICE = Decimal(10000), Decimal(1000)


def closed(pnl: str) -> ClosedTrade:
    return ClosedTrade("BTCUSDT", T0, Decimal(pnl), Decimal(100), IntentPurpose.EXIT_SIGNAL)


def test_fixed_spends_the_position_size_share() -> None:
    budget = Sizer(SizingSettings(fixed_pct=Decimal(5))).budget(EQUITY, PRICE, None)
    assert (budget.quote, budget.how) == (Decimal(500), "fixed 5%")


def test_kelly_waits_for_enough_trades_then_stakes_its_capped_fraction() -> None:
    sizer = Sizer(SizingSettings(mode="kelly", kelly_min_trades=10, max_pct=Decimal(30)))
    for pnl in ["2"] * 5:
        sizer.trade_closed(closed(pnl))
    assert sizer.budget(EQUITY, PRICE, None).how.startswith("fixed")  # 5 trades < 10
    for pnl in ["-1"] * 4 + ["2"]:
        sizer.trade_closed(closed(pnl))
    # W = 0.6, R = 2% / 1% = 2: f = 0.6 - 0.4 / 2 = 0.4, capped at 30%.
    assert sizer.kelly_fraction() == Decimal("0.4")
    budget = sizer.budget(EQUITY, PRICE, None)
    assert budget.quote == Decimal(3000) and budget.how.startswith("kelly 30.00%")


def test_kelly_without_an_edge_stakes_only_the_floor() -> None:
    sizer = Sizer(SizingSettings(mode="kelly", kelly_min_trades=4, kelly_floor_pct=Decimal("0.5")))
    for pnl in ["1", "-2", "-2", "-2"]:
        sizer.trade_closed(closed(pnl))
    fraction = sizer.kelly_fraction()
    assert fraction is not None and fraction < 0
    assert sizer.budget(EQUITY, PRICE, None).quote == Decimal(50)


def test_atr_sizing_risks_its_share_at_the_stop_distance_within_the_cap() -> None:
    sizer = Sizer(SizingSettings(mode="atr", atr_risk_pct=Decimal(1), atr_stop_mult=Decimal(2)))
    # 1% of 10,000 = 100 at risk; a stop 2 × 100 = 200 away: 0.5 units × 1000 = 500.
    assert sizer.budget(EQUITY, PRICE, 100.0).quote == Decimal(500)
    assert sizer.budget(EQUITY, PRICE, 1.0).quote == Decimal(1000)  # capped at 10%
    assert sizer.budget(EQUITY, PRICE, None).how.startswith("fixed")  # no ATR yet


@pytest.mark.parametrize(
    "overrides",
    [{"sizing": "atr", "atr_risk_pct": "0.5"}, {"sizing": "kelly", "kelly_min_trades": 5}],
)
def test_the_backtester_sizes_alike_on_both_paths_and_unlike_fixed(
    tmp_path: Path, overrides: dict[str, object]
) -> None:
    path = walk(tmp_path / "walk.csv", 3000, seed=11)
    spec = BacktestSpec(path, "BTCUSDT")
    fast, exact = both(settings(tmp_path, **overrides), spec)
    assert_same(fast, exact)
    fixed, _ = both(settings(tmp_path), spec)
    sizes = {f.quantity for f in fast.fills}
    assert fast.fills and sizes != {f.quantity for f in fixed.fills}


def test_atr_sizing_puts_the_stop_where_the_size_was_computed_for() -> None:
    sizer = Sizer(SizingSettings(mode="atr", atr_stop_mult=Decimal(2), atr_take_mult=Decimal(3)))
    assert sizer.exit_distances(50.0) == (Decimal(100), Decimal(150))
    assert sizer.exit_distances(None) is None
    assert Sizer(SizingSettings()).exit_distances(50.0) is None  # fixed sizing: percentages
    exits = ExitManager(make_limits())  # stop-loss 2%, take-profit 4%
    exits.set_distances("BTCUSDT", sizer.exit_distances(50.0))
    long = Position("BTCUSDT", Decimal(1), Decimal(1000), T0)
    levels = exits.levels_for(long)
    assert (levels.stop_loss, levels.take_profit) == (Decimal(900), Decimal(1150))
    short = Position("BTCUSDT", Decimal(-1), Decimal(1000), T0)
    levels = exits.levels_for(short)
    assert (levels.stop_loss, levels.take_profit) == (Decimal(1100), Decimal(850))
    exits.reset("BTCUSDT")  # the position closed: the next one starts from the settings
    assert exits.levels_for(long).stop_loss == Decimal(980)
