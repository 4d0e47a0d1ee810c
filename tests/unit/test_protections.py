"""Protections: cooldown after a losing exit, the stop-loss guard, the drawdown pause and
the low-profit pair pause; each ends on time; off unless configured."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tui_trader.domain.enums import IntentPurpose
from tui_trader.risk.protections import ClosedTrade, Protections, ProtectionSettings

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
STOP, SIGNAL = IntentPurpose.STOP_LOSS, IntentPurpose.EXIT_SIGNAL


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def trade(
    minutes: float, pnl: str, purpose: IntentPurpose = SIGNAL, symbol: str = "BTCUSDT"
) -> ClosedTrade:
    return ClosedTrade(symbol, at(minutes), Decimal(pnl), Decimal(1000), purpose)


def test_nothing_is_paused_by_default() -> None:
    p = Protections(ProtectionSettings())
    assert not p.enabled
    assert p.trade_closed(trade(0, "-50", STOP)) == []
    assert p.equity(at(0), Decimal(100)) is None and p.equity(at(1), Decimal(1)) is None
    assert p.blocking("BTCUSDT", at(1)) is None


def test_a_losing_exit_cools_its_symbol_down_and_only_it() -> None:
    p = Protections(ProtectionSettings(cooldown_min=30))
    [pause] = p.trade_closed(trade(0, "-5"))
    assert pause.until == at(30) and "BTCUSDT cooldown" in pause.text()
    assert p.blocking("BTCUSDT", at(29)) == pause
    assert p.blocking("ETHUSDT", at(1)) is None
    assert p.blocking("BTCUSDT", at(30)) is None
    assert p.trade_closed(trade(40, "5")) == []  # a winning exit: no cooldown


def test_the_stoploss_guard_pauses_everything_after_n_stop_outs_in_the_window() -> None:
    p = Protections(
        ProtectionSettings(stoploss_count=2, stoploss_window_min=60, stoploss_pause_min=45)
    )
    assert p.trade_closed(trade(0, "-5", STOP)) == []
    assert p.trade_closed(trade(10, "-5", SIGNAL)) == []  # not a stop-out
    assert p.trade_closed(trade(70, "-5", STOP, "ETHUSDT")) == []  # the first left the window
    [pause] = p.trade_closed(trade(80, "-2", IntentPurpose.TRAILING_STOP))
    assert pause.until == at(125) and "2 stop-outs in 60 min" in pause.why
    assert p.blocking("SOLUSDT", at(100)) == pause == p.global_pause(at(100))
    assert p.blocking("SOLUSDT", at(125)) is None and p.global_pause(at(125)) is None


def test_the_drawdown_pause_measures_from_the_highest_equity_in_the_window() -> None:
    p = Protections(ProtectionSettings(max_drawdown_pct=Decimal(10), drawdown_window_min=60))
    assert p.equity(at(0), Decimal(1000)) is None
    assert p.equity(at(10), Decimal(950)) is None  # 5%
    pause = p.equity(at(20), Decimal(899))
    assert pause is not None and "drawdown 10.10% ≥ 10%" in pause.why
    assert p.equity(at(21), Decimal(800)) is None  # already paused: said once
    later = Protections(ProtectionSettings(max_drawdown_pct=Decimal(10), drawdown_window_min=60))
    later.equity(at(0), Decimal(1000))
    assert later.equity(at(61), Decimal(899)) is None  # the peak left the window


def test_a_symbol_that_earns_too_little_is_paused() -> None:
    settings = ProtectionSettings(low_profit_trades=3, low_profit_pct=Decimal("0.5"))
    p = Protections(settings)
    assert p.trade_closed(trade(0, "4")) == [] and p.trade_closed(trade(5, "-2")) == []
    [pause] = p.trade_closed(trade(10, "1"))  # 3 / 3000 = 0.1% < 0.5%
    assert "BTCUSDT low profit 0.10% < 0.5% over 3 trades" in pause.why
    assert p.blocking("BTCUSDT", at(11)) == pause and p.blocking("ETHUSDT", at(11)) is None
    good = Protections(settings)
    for minute in (0, 5, 10):
        assert good.trade_closed(trade(minute, "10")) == []  # 1% each: fine
