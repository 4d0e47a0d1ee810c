"""Safety event kinds are one enum: every emitter names a member, the journal stores the
value, and a kind this version does not know reads back as UNKNOWN with its message
intact (a journal written by a newer version still opens)."""

import json
from datetime import UTC, datetime
from typing import Any

from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.journal.codec import row_safety, safety_row

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def stored(event: SafetyEvent) -> dict[str, Any]:
    """The row as the journal's table holds it (its data as JSON text)."""
    row = dict(safety_row(event))
    row["data"] = json.dumps(row["data"])
    return row


def test_a_kind_goes_through_the_journal_as_its_member() -> None:
    event = SafetyEvent(NOW, Severity.CRITICAL, SafetyKind.KILL_SWITCH_TRIGGER, "3 failures")
    row = stored(event)
    assert row["kind"] == "kill_switch_trigger"
    back = row_safety(row)
    assert back.kind is SafetyKind.KILL_SWITCH_TRIGGER and back == event


def test_an_unknown_kind_reads_as_unknown_and_keeps_its_message() -> None:
    row = stored(SafetyEvent(NOW, Severity.WARNING, SafetyKind.HEALTH, "port busy"))
    row["kind"] = "kind_from_a_newer_version"
    back = row_safety(row)
    assert back.kind is SafetyKind.UNKNOWN
    assert (back.message, back.severity) == ("port busy", Severity.WARNING)


def test_kinds_read_as_their_plain_names_in_text() -> None:
    kind = SafetyKind.TRADING_STATE
    assert (str(kind), f"{kind}", "%s" % kind) == ("trading_state",) * 3  # noqa: UP031 (logs use %s)
