"""The one trading state: the strictest hold decides, every change is heard once."""

from tui_trader.domain.enums import IntentPurpose
from tui_trader.safety.trading_state import (
    HoldReason,
    TradingChange,
    TradingMode,
    TradingState,
)

ENTRY, STOP, CLOSE = IntentPurpose.ENTRY, IntentPurpose.STOP_LOSS, IntentPurpose.MANUAL_CLOSE


def heard() -> tuple[TradingState, list[TradingChange]]:
    changes: list[TradingChange] = []
    return TradingState(changes.append), changes


def test_no_hold_is_active_and_lets_everything_through() -> None:
    state, _ = heard()
    assert state.mode is TradingMode.ACTIVE and state.headline == "ACTIVE"
    assert all(state.refusal(p) is None for p in IntentPurpose)


def test_reducing_lets_exits_and_closes_through_but_not_entries() -> None:
    state, _ = heard()
    state.hold(HoldReason.RECONCILING, TradingMode.REDUCING, "with Binance", "exchange")
    assert state.refusal(ENTRY) == "REDUCING: reconciling: with Binance"
    assert state.refusal(STOP) is None and state.refusal(CLOSE) is None
    assert not state.entries_allowed and state.exits_allowed
    assert state.headline == "REDUCING: reconciling: with Binance"


def test_halted_lets_only_the_operators_closes_through() -> None:
    state, _ = heard()
    state.hold(HoldReason.KILL_SWITCH, TradingMode.HALTED, "cli: test", "cli")
    assert state.refusal(STOP) == "HALTED: kill switch: cli: test"
    assert state.refusal(ENTRY) is not None
    assert state.refusal(CLOSE) is None and state.refusal(IntentPurpose.FLATTEN) is None
    assert not state.exits_allowed


def test_the_strictest_hold_wins_and_releasing_it_falls_back() -> None:
    state, changes = heard()
    state.hold(HoldReason.STOPPED, TradingMode.REDUCING, source="operator")
    state.hold(HoldReason.KILL_SWITCH, TradingMode.HALTED, source="tui")
    assert state.mode is TradingMode.HALTED
    assert state.headline == "HALTED: kill switch (+1)"
    state.release(HoldReason.KILL_SWITCH, source="operator")
    assert state.mode is TradingMode.REDUCING
    assert [c.summary for c in changes] == [
        "ACTIVE → REDUCING: held engine not running by operator",
        "REDUCING → HALTED: held kill switch by tui",
        "HALTED → REDUCING: released kill switch by operator",
    ]


def test_the_same_hold_twice_is_heard_once_and_an_unknown_release_not_at_all() -> None:
    state, changes = heard()
    state.hold(HoldReason.JOURNAL_FAILED, TradingMode.REDUCING, "disk full")
    state.hold(HoldReason.JOURNAL_FAILED, TradingMode.REDUCING, "disk full")
    state.release(HoldReason.CIRCUIT_BREAKER)
    assert len(changes) == 1 and not changes[0].released


def test_a_hold_under_a_stricter_one_is_a_quiet_change() -> None:
    state, changes = heard()
    state.hold(HoldReason.KILL_SWITCH, TradingMode.HALTED, "cli: crash", "kill")
    state.hold(HoldReason.STOPPED, TradingMode.REDUCING, source="engine")
    assert [c.noticeable for c in changes] == [True, False]
    assert changes[-1].headline == "HALTED: kill switch: cli: crash (+1)"


def test_a_changed_detail_is_heard_while_the_mode_stays() -> None:
    state, changes = heard()
    state.hold(HoldReason.EXCHANGE_DISAGREES, TradingMode.REDUCING, "BTC balance")
    state.hold(HoldReason.EXCHANGE_DISAGREES, TradingMode.REDUCING, "ETH balance")
    assert changes[-1].summary == "still REDUCING: held exchange disagrees: ETH balance"
    assert changes[-1].noticeable
