"""The fast path's two order walks: compiled on fixed-point figures (fixed_walk.py) where
every figure fits 64 bits, in Decimal (visit.py) past that. Each gives the exact path's
fingerprint; the run says which walked, and the command says so in one line."""

import random
from pathlib import Path

import pytest

from tests.unit.test_backtest_cli import backtest
from tests.unit.test_backtest_fast_parity import agree, fast_settings, refusing_settings
from tests.unit.test_backtest_quiet_parity import write_walk
from tui_trader.backtest.fast import run_fast
from tui_trader.backtest.results import BacktestSpec
from tui_trader.config import Settings

SHORT_FIGURES = {"fee_rate": "0.001", "slippage_bps": "0", "paper_quote_balance": "10000"}
LONG_FIGURES = {"fee_rate": "0.0123", "slippage_bps": "7.5", "paper_quote_balance": "1234.56"}
SIZES = {"position_size_pct": "99", "max_position_pct": "100", "max_daily_loss_pct": "50"}


def walked(settings: Settings, spec: BacktestSpec) -> str:
    """Equal to the exact path; "" when compiled, else why it walked in Decimal."""
    agree(settings, spec)
    outcome = run_fast(settings, spec)
    assert outcome.result is not None
    return outcome.decimal_walk


@pytest.mark.parametrize(
    ("market", "figures", "compiled"),
    [(True, SHORT_FIGURES, True), (False, LONG_FIGURES, True), (True, LONG_FIGURES, False)],
    ids=["market-short", "limit-long", "market-long"],
)
def test_short_figures_walk_compiled_and_long_ones_in_decimal_alike(
    tmp_path: Path, market: bool, figures: dict[str, str], compiled: bool
) -> None:
    """A LIMIT order's price is its tick-rounded limit; a MARKET order's is the open
    slipped, whose extra digits, times a fee of four, outgrow 64 bits in the cash."""
    path = write_walk(tmp_path / "walk.csv", 4000, 21, 0.004, gaps=True)
    spec = BacktestSpec(path, "BTCUSDT", cache=tmp_path / "cache")
    settings = fast_settings(
        random.Random(3), tmp_path / "data", "ema_cross", allow_market_orders=market,
        strategy_params={"fast_period": 3, "slow_period": 8}, **figures, **SIZES,
    )  # fmt: skip
    why = walked(settings, spec)
    assert (why == "") is compiled, why
    assert compiled or "more than 18 digits" in why


def test_every_refusal_and_rejection_happens_on_the_compiled_walk_alike(tmp_path: Path) -> None:
    """The volatile walk of the parity tests, with figures the compiled walk holds: each
    risk check refuses there, the exchange rejects, the breaker trips; never in Decimal."""
    path = write_walk(tmp_path / "walk.csv", 6000, 11, 0.005, gaps=True)
    spec = BacktestSpec(path, "BTCUSDT", cache=tmp_path / "cache")
    seen: dict[str, int] = {}
    for settings in refusing_settings(tmp_path / "data"):
        assert walked(settings, spec) == ""
        result = run_fast(settings, spec).result
        assert result is not None
        for name, count in result.counts.refusals.items():
            seen[name] = seen.get(name, 0) + count
        seen["rejected"] = seen.get("rejected", 0) + result.counts.rejected
    for name in ("position_size", "daily_loss", "orders_per_day", "circuit_breaker", "rejected"):
        assert seen.get(name, 0) > 0, f"{name} should happen on this walk: {seen}"


def test_the_command_says_in_one_line_when_orders_walk_in_decimal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_walk(tmp_path / "walk.csv", 3000, 5, 0.004, gaps=False)
    out = str(tmp_path / "r.json")
    common = ["--data", str(path), "--fast", "--market-orders", "--param", "fast_period=3",
              "--param", "slow_period=8", "--output", "json", "--file", out]  # fmt: skip
    assert backtest(*common, "--fee", "0.001", "--slippage", "0") == 0
    assert "walked in Decimal" not in capsys.readouterr().err
    assert backtest(*common, "--fee", "0.0123", "--slippage", "7.5") == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "walked in Decimal" in line]
    assert len(lines) == 1 and "more than 18 digits" in lines[0], lines
