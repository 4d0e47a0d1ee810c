"""The panel's safety history coalesces a repeated warning into one row with a count
(issue #14 item 8): the same kind, symbol, severity and message but for its numbers,
within a minute. Anything else keeps its own row."""

from datetime import UTC, datetime, timedelta

from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.runtime.views import History

T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def spread(seconds: float, pct: str, symbol: str = "BTCUSDT") -> SafetyEvent:
    message = f"{symbol} spread {pct}% (bid 100, ask 105)"
    ts = T0 + timedelta(seconds=seconds)
    return SafetyEvent(ts, Severity.WARNING, SafetyKind.WIDE_SPREAD, message, symbol)


def test_a_warning_repeated_every_second_is_one_row_with_a_count() -> None:
    history = History()
    for second in range(30):
        history.add_safety(spread(second, f"5.{second}"))
    [row] = history.safety
    assert row.data["repeats"] == 30
    assert row.message == "BTCUSDT spread 5.29% (bid 100, ask 105)"  # the newest numbers
    assert row.ts == T0 + timedelta(seconds=29)


def test_other_symbols_other_kinds_and_old_repeats_keep_their_own_rows() -> None:
    history = History()
    history.add_safety(spread(0, "5.1"))
    history.add_safety(spread(1, "5.2", "ETHUSDT"))  # another symbol
    history.add_safety(spread(2, "5.3", "ETHUSDT"))
    history.add_safety(spread(120, "5.4", "ETHUSDT"))  # two minutes later: a new row
    jump = SafetyEvent(T0, Severity.WARNING, SafetyKind.PRICE_JUMP, "BTCUSDT jumped", "BTCUSDT")
    history.add_safety(jump)
    assert [(e.symbol, e.kind, e.data.get("repeats")) for e in history.safety] == [
        ("BTCUSDT", SafetyKind.PRICE_JUMP, None),
        ("ETHUSDT", SafetyKind.WIDE_SPREAD, None),
        ("ETHUSDT", SafetyKind.WIDE_SPREAD, 2),
        ("BTCUSDT", SafetyKind.WIDE_SPREAD, None),
    ]


def test_rejections_of_different_orders_are_not_merged() -> None:
    history = History()
    for cid in ("tt-abc", "tt-def"):
        message = f"BUY BTCUSDT {cid} rejected: insufficient balance"
        event = SafetyEvent(T0, Severity.WARNING, SafetyKind.ORDER_REJECTED, message, "BTCUSDT")
        history.add_safety(event)
    assert len(history.safety) == 2
