"""The exchange link changes the trader only through its port (trader_port.py), and the
core steps the port uses keep what they promise."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import tui_trader.runtime.exchange_link
from tui_trader.config import Settings
from tui_trader.core.trading_core import TradingCore
from tui_trader.domain.enums import SignalAction
from tui_trader.domain.orders import Signal
from tui_trader.domain.rules import SymbolRules
from tui_trader.runtime.core_parts import build_core, market_parts

SETTINGS = Settings(_env_file=None, symbols=("BTCUSDT", "ETHUSDT"))  # type: ignore[call-arg]


def make_core() -> TradingCore:
    core, _exchange, _risk = build_core(SETTINGS, SETTINGS.symbols, candles_only=False)
    return core


def test_the_exchange_link_assigns_into_nothing_of_the_trader() -> None:
    source = Path(tui_trader.runtime.exchange_link.__file__).read_text()
    assert not re.findall(r"self\.trader\.[\w.]+ = |\bsetattr\(|\.p\.|\bself\.t\b", source)


def test_installed_rules_replace_only_their_symbols() -> None:
    core = make_core()
    btc = SymbolRules("BTCUSDT", tick_size=Decimal("0.1"), step_size=Decimal("0.001"))
    core.install_rules({"BTCUSDT": btc})
    assert core.parts.rules["BTCUSDT"] is btc
    assert core.parts.rules["ETHUSDT"] == SymbolRules("ETHUSDT")


def test_fresh_market_parts_forget_the_old_prices_and_signals() -> None:
    core = make_core()
    old = core.parts.market
    now = datetime(2026, 3, 2, tzinfo=UTC)
    core.last_signals["BTCUSDT"] = Signal("BTCUSDT", SignalAction.BUY, 0.9, "x", now, Decimal(1))
    core.replace_market_parts(**market_parts(SETTINGS, SETTINGS.symbols))
    assert core.parts.market is not old and core.last_signals == {}
    assert set(core.parts.strategies) == set(SETTINGS.symbols)


def test_no_runtime_module_hides_the_trader_behind_a_one_letter_alias() -> None:
    runtime = Path(tui_trader.runtime.exchange_link.__file__).parent
    aliases = {
        path.name: found
        for path in runtime.glob("*.py")
        if (found := re.findall(r"\bself\.(?:p|t)\b|\btrader\.p\b", path.read_text()))
    }
    assert aliases == {}
