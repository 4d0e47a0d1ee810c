"""The core's protection watch: closed trades from fills (fees of both sides counted),
a pause of every entry held on the trading state (REDUCING: protection) and released on
time, a per-symbol pause said once as a safety event."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tui_trader.core.protection_watch import ProtectionWatch
from tui_trader.domain.enums import IntentPurpose, Side
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.orders import Fill
from tui_trader.domain.portfolio import Position
from tui_trader.risk.protections import Protections, ProtectionSettings
from tui_trader.safety.trading_state import HoldReason, TradingMode, TradingState

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
FLAT = Position("BTCUSDT", Decimal(0), Decimal(0))


def fill(minutes: float, side: Side) -> Fill:
    ts = T0 + timedelta(minutes=minutes)
    return Fill(
        "tt-x", "BTCUSDT", side, Decimal(1), Decimal(100), Decimal("0.1"), "USDT", ts, str(minutes)
    )


def round_trip(watch: ProtectionWatch, start: float, pnl: str, purpose: IntentPurpose) -> None:
    """Open 1 BTCUSDT at 100 (fee 0.1), close it with `pnl` realized (fee 0.1)."""
    opened = Position("BTCUSDT", Decimal(1), Decimal(100), T0, Decimal(0), Decimal("0.1"))
    watch.after_fill(FLAT, opened, fill(start, Side.BUY), IntentPurpose.ENTRY)
    closed = Position("BTCUSDT", Decimal(0), Decimal(0), None, Decimal(pnl), Decimal("0.2"))
    watch.after_fill(opened, closed, fill(start + 1, Side.SELL), purpose)


def test_two_stop_outs_hold_the_state_at_reducing_until_the_pause_ends() -> None:
    state, said = TradingState(), list[SafetyEvent]()
    settings = ProtectionSettings(stoploss_count=2, stoploss_window_min=60, stoploss_pause_min=30)
    watch = ProtectionWatch(Protections(settings), state, said.append)
    round_trip(watch, 0, "-1", IntentPurpose.STOP_LOSS)
    assert state.mode is TradingMode.ACTIVE
    round_trip(watch, 5, "-1", IntentPurpose.TRAILING_STOP)
    assert state.mode is TradingMode.REDUCING
    [hold] = state.holds
    assert hold.reason is HoldReason.PROTECTION and "2 stop-outs in 60 min" in hold.detail
    [event] = said
    assert event.kind is SafetyKind.PROTECTION and event.message.startswith(
        "every new entry paused"
    )
    assert not watch.may_enter("ETHUSDT", T0 + timedelta(minutes=20), Decimal(1000))
    watch.release_expired(T0 + timedelta(minutes=36))
    assert state.mode is TradingMode.ACTIVE


def test_fees_make_a_small_gain_a_loss_and_the_symbol_cools_down_once() -> None:
    state, said = TradingState(), list[SafetyEvent]()
    watch = ProtectionWatch(Protections(ProtectionSettings(cooldown_min=15)), state, said.append)
    round_trip(watch, 0, "0.15", IntentPurpose.EXIT_SIGNAL)  # +0.15 realized, 0.2 fees
    assert not watch.may_enter("BTCUSDT", T0 + timedelta(minutes=10), Decimal(1000))
    assert watch.may_enter("ETHUSDT", T0 + timedelta(minutes=10), Decimal(1000))
    assert watch.may_enter("BTCUSDT", T0 + timedelta(minutes=16), Decimal(1000))
    assert [e.symbol for e in said] == ["BTCUSDT"] and state.mode is TradingMode.ACTIVE
