"""Issue 16, items 1 and 4: sizing, exits and protections chosen per strategy, in a
`[settings]` table of the strategy's own parameter file, honoured by run and backtest."""

from decimal import Decimal
from pathlib import Path

import pytest

from tests.unit.test_backtest_runner import settings, walk
from tui_trader.backtest.results import BacktestSpec
from tui_trader.backtest.runner import run_backtest
from tui_trader.config import ConfigError, with_strategy_params


def strategy_file(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "data" / "strategies"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_the_table_sets_this_strategys_sizing_and_protections(tmp_path: Path) -> None:
    strategy_file(
        tmp_path,
        "ema_cross.toml",
        'fast_period = 2\nslow_period = 3\n\n[settings]\nsizing = "atr"\n'
        "ATR_RISK_PCT = 0.5\nprotect_cooldown_min = 30\n",
    )
    chosen = with_strategy_params(settings(tmp_path, strategy_params={}), {})
    assert chosen.sizing == "atr" and chosen.atr_risk_pct == Decimal("0.5")
    assert chosen.protect_cooldown_min == 30
    assert chosen.strategy_params["fast_period"] == 2  # parameters read as before
    other = with_strategy_params(settings(tmp_path, strategy="rsi", strategy_params={}), {})
    assert other.sizing == "fixed" and other.protect_cooldown_min == 0  # only ema_cross's


def test_yaml_files_carry_the_same_table(tmp_path: Path) -> None:
    strategy_file(tmp_path, "rsi.yaml", "period: 9\nsettings:\n  stop_loss_pct: 1.25\n")
    chosen = with_strategy_params(settings(tmp_path, strategy="rsi", strategy_params={}), {})
    assert chosen.stop_loss_pct == Decimal("1.25") and chosen.strategy_params["period"] == 9


def test_a_backtest_sizes_with_the_strategys_choice(tmp_path: Path) -> None:
    data = walk(tmp_path / "walk.csv", 400)
    spec = BacktestSpec(data, "BTCUSDT")
    plain = run_backtest(with_strategy_params(settings(tmp_path), {}), spec)
    strategy_file(tmp_path, "ema_cross.toml", "[settings]\nposition_size_pct = 1\n")
    smaller = run_backtest(with_strategy_params(settings(tmp_path), {}), spec)
    assert plain.fills and smaller.fills
    first, small = plain.fills[0], smaller.fills[0]
    assert first.price == small.price  # the same entry, a fifth of the default 5% size
    assert small.quantity < first.quantity / 4


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("MAX_DAILY_LOSS_PCT = 50", "MAX_DAILY_LOSS_PCT: not a setting a strategy may choose"),
        ("trading_mode = 'live'", "trading_mode: not a setting a strategy may choose"),
        ("no_such_thing = 1", "no_such_thing: not a setting a strategy may choose"),
        ("sizing = 'martingale'", "invalid setting SIZING='martingale'"),
        ("protect_cooldown_min = -5", "invalid setting PROTECT_COOLDOWN_MIN"),
    ],
)
def test_a_bad_table_is_one_line_naming_the_file(tmp_path: Path, table: str, message: str) -> None:
    path = strategy_file(tmp_path, "ema_cross.toml", f"[settings]\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        with_strategy_params(settings(tmp_path), {})
    text = str(caught.value)
    assert text.startswith(f"{path}: [settings]") and message in text and "\n" not in text


def test_a_settings_value_that_is_not_a_table_is_refused(tmp_path: Path) -> None:
    path = strategy_file(tmp_path, "rsi.yaml", "settings: 5\n")
    with pytest.raises(ConfigError, match=f"{path}: \\[settings\\] must be a table"):
        with_strategy_params(settings(tmp_path, strategy="rsi", strategy_params={}), {})
