"""Strategy plug-ins: a file in the strategies folder or a package's entry point, loaded
by name and checked like a built-in; a broken one is one line and the rest still loads;
a configured strategy that failed to load stops `run` with the plug-in's reason."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.trader_support import START, entry_groups, make_settings, running_engine
from tui_trader.app.strategies_cli import list_strategies
from tui_trader.cli import main
from tui_trader.config import ConfigError, with_strategy_params
from tui_trader.domain.enums import Severity, SignalAction
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.market import Candle
from tui_trader.runtime.build_trader import build_trader
from tui_trader.strategies.plugins import load_plugins
from tui_trader.strategies.registry import (
    available_strategies,
    create_strategy,
    plugin_problems,
)

GOOD = '''
from tui_trader.strategies.base import BUY, HOLD, Bar, Decision, Strategy, StrategyParams


class UpCloseParams(StrategyParams):
    min_move_pct: float = 0.0


class UpCloseStrategy(Strategy):
    """BUY when a candle closes above its open by more than min_move_pct."""

    name = "up_close"
    Params = UpCloseParams

    def _setup(self) -> None:
        pass

    @property
    def warmup_period(self) -> int:
        return 1

    def _decide(self, bar: Bar) -> Decision | None:
        move = (bar.close / bar.open - 1) * 100
        if move > self.params.min_move_pct:
            return BUY, 0.7, f"buy: closed {move:.2f}% up", None
        return HOLD, 0.0, "hold", None
'''
# Written against candles (e.g. it needs exact Decimal prices): gets every Candle.
ON_CANDLES = GOOD.replace("up_close", "up_close_exact").replace(
    "def _decide(self, bar: Bar) -> Decision | None:", "def _step(self, bar) -> Decision | None:"
)
BROKEN = {
    "syntax.py": "def oops(:\n",
    "missing_import.py": "import not_a_module_anyone_has\n",
    "taken.py": GOOD.replace('name = "up_close"', 'name = "rsi"'),
    "nothing.py": "VALUE = 1\n",
    "no_decision.py": GOOD.replace("def _decide(", "def decide_later("),
    "bad_params.py": GOOD.replace("(StrategyParams)", "").replace("min_move_pct: float", "x: int"),
    "bad_defaults.py": GOOD.replace("min_move_pct: float = 0.0", "min_move_pct: float"),
    "exits.py": "import sys\nsys.exit(3)\n",
}


def folder(data_dir: Path, files: dict[str, str]) -> Path:
    strategies = data_dir / "strategies"
    strategies.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (strategies / name).write_text(text, encoding="utf-8")
    return strategies


def candle(i: int, open_: str, close: str) -> Candle:
    at = datetime(2026, 12, 2, tzinfo=UTC) + timedelta(minutes=i)
    o, c = Decimal(open_), Decimal(close)
    end = at + timedelta(minutes=1)
    return Candle("BTCUSDT", at, end, o, max(o, c), min(o, c), c, Decimal(1))


def test_a_strategy_file_is_loaded_by_name_and_trades_like_a_built_in(tmp_path: Path) -> None:
    folder(tmp_path, {"up_close.py": GOOD})
    found = load_plugins(tmp_path, packages=False)
    assert [p.cls.name for p in found.plugins] == ["up_close"] and found.problems == ()
    assert "up_close" in available_strategies()
    strategy = create_strategy("up_close", "BTCUSDT", {"min_move_pct": 0.5})
    assert strategy.on_candle(candle(0, "100", "101")).action is SignalAction.BUY
    assert strategy.on_candle(candle(1, "100", "100.2")).action is SignalAction.HOLD
    assert strategy.decides_on_bars  # the backtester may skip quiet candles for it


def test_a_plugin_written_against_candles_gets_every_candle(tmp_path: Path) -> None:
    folder(tmp_path, {"exact.py": ON_CANDLES})
    load_plugins(tmp_path, packages=False)
    strategy = create_strategy("up_close_exact", "BTCUSDT", {})
    assert not strategy.decides_on_bars
    assert strategy.on_candle(candle(0, "100", "101")).action is SignalAction.BUY


def test_every_broken_plugin_is_one_line_and_the_good_one_still_loads(tmp_path: Path) -> None:
    folder(tmp_path, {"up_close.py": GOOD, **BROKEN})
    found = load_plugins(tmp_path, packages=False)
    assert [p.cls.name for p in found.plugins] == ["up_close"]
    reasons = {Path(p.source).name: p.reason for p in found.problems}
    assert set(reasons) == set(BROKEN)
    assert reasons["syntax.py"].startswith("SyntaxError")
    assert reasons["missing_import.py"].startswith("ModuleNotFoundError")
    assert reasons["taken.py"] == "ValueError: the name 'rsi' is taken by another strategy"
    assert reasons["nothing.py"] == "ValueError: defines no Strategy subclass"
    assert "defines neither _decide(bar) nor _step(candle)" in reasons["no_decision.py"]
    assert "Params must subclass StrategyParams" in reasons["bad_params.py"]
    assert "min_move_pct" in reasons["bad_defaults.py"]
    assert reasons["exits.py"] == "SystemExit: 3"
    assert all("\n" not in reason for reason in reasons.values())
    assert len(plugin_problems()) == len(BROKEN)


def test_a_configured_strategy_that_failed_to_load_stops_run_with_its_reason(
    tmp_path: Path,
) -> None:
    folder(tmp_path, {"missing_import.py": BROKEN["missing_import.py"]})
    settings = make_settings(tmp_path, strategy="missing_import")
    with pytest.raises(ConfigError, match=r"unknown strategy 'missing_import'.*ModuleNotFound"):
        with_strategy_params(settings, {})
    assert with_strategy_params(make_settings(tmp_path), {}).strategy == "conservative"


def test_strategies_list_shows_sources_parameters_and_problems(tmp_path: Path) -> None:
    folder(tmp_path, {"up_close.py": GOOD, "syntax.py": BROKEN["syntax.py"]})
    lines: list[str] = []
    assert list_strategies(tmp_path, lines.append) == 0
    text = "\n".join(lines)
    assert "  ema_cross        fast_period=9 slow_period=21" in text
    assert "up_close         min_move_pct=0.0" in text and "up_close.py]" in text
    assert "logistic_model" in text and "entry point logistic_model" in text  # installed
    assert "WARN strategy plug-in" in text and "syntax.py: SyntaxError" in text


async def test_the_trader_starts_and_says_which_plugin_failed(tmp_path: Path) -> None:
    folder(tmp_path, {"syntax.py": BROKEN["syntax.py"]})
    settings = with_strategy_params(make_settings(tmp_path), {})
    async with running_engine(build_trader(settings, start=START, **entry_groups())) as trader:
        [event] = [e for e in trader.history.safety if e.kind is SafetyKind.PLUGIN]
        assert event.severity is Severity.WARNING and "syntax.py: SyntaxError" in event.message


def test_backtest_help_lists_the_plugins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder(tmp_path, {"up_close.py": GOOD})
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["backtest", "--help"]) == 0
    assert "up_close" in capsys.readouterr().out
