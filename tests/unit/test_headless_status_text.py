"""The headless status line: the wall time it is printed at, the money, the trading
state (and after a kill the venue's verdict), and the last safety event's text, only its
printable characters, bounded."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from tui_trader.app.headless import status_line
from tui_trader.domain.enums import EngineState, MarketKind, Severity
from tui_trader.domain.events import SafetyEvent
from tui_trader.snapshot import AccountView, TraderSnapshot

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def snapshot_with(message: str) -> TraderSnapshot:
    zero = Decimal(0)
    account = AccountView("USDT", Decimal(10_000), Decimal(10_000), zero, zero, zero, zero, zero)
    event = SafetyEvent(T0, Severity.WARNING, "exchange_error", message)
    return TraderSnapshot(
        T0, "PAPER", MarketKind.SPOT, EngineState.RUNNING, False, "", (), (), (), (), (), (),
        account, (event,),
    )  # fmt: skip


def test_the_last_event_is_printed_without_escapes_or_line_breaks() -> None:
    line = status_line(snapshot_with("\x1b[2J\x1b]0;pwned\x07cleared\r\nscreen\x07 [/]"), T0)
    assert line.endswith("| last exchange_error: cleared screen [/]")
    assert line.isprintable()


def test_a_long_event_is_cut_with_an_ellipsis() -> None:
    line = status_line(snapshot_with("x" * 500), T0)
    assert line.endswith("x…") and len(line.split("| last ")[1]) == 70


def test_the_trading_state_and_its_reason_are_on_the_line() -> None:
    snap = replace(
        snapshot_with("-"),
        trading_mode="REDUCING",
        trading_state="REDUCING: reconciling: with binance-spot (start)",
    )
    assert "| REDUCING: reconciling: with binance-spot (start) |" in status_line(snap, T0)


def test_the_time_is_the_printing_time_not_the_snapshot_time() -> None:
    snap = snapshot_with("-")
    later = T0.replace(second=7)
    assert status_line(snap, later).startswith("12:00:07Z RUNNING")


def test_day_pnl_percent_exposure_and_the_flat_verdict_are_on_the_line() -> None:
    snap = snapshot_with("-")
    account = replace(
        snap.account, day_pnl=Decimal("-2.5"), day_pnl_pct=Decimal("-0.03"), exposure=Decimal(500)
    )
    snap = replace(snap, account=account, flat_proof="FLAT (verified 12:00:03)",
                   trading_state="HALTED: kill switch: cli: test")  # fmt: skip
    line = status_line(snap, T0)
    assert "day -2.50 (-0.03%) exp 500.00" in line
    assert "| FLAT (verified 12:00:03) · HALTED: kill switch: cli: test |" in line
