"""One clock for the operator (issue #14 item 4): safety events carry the wall time they
were heard, whatever clock stamped them; an event the core stamped with market time (an
accelerated demo runs hours ahead) keeps that time in its data. Orders and fills keep
market time and their column says so."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.trader_support import make_settings, opened, running_engine
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.tui.widgets.orders import FILL_COLUMNS, ORDER_COLUMNS


async def test_a_market_time_event_is_shown_at_wall_time(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        ahead = datetime.now(UTC) + timedelta(hours=5)  # the demo's market clock
        event = SafetyEvent(ahead, Severity.WARNING, SafetyKind.PRICE_JUMP, "jump", "BTCUSDT")
        before = datetime.now(UTC)
        trader.record_safety(event)
        shown = trader.history.safety[0]
        assert before <= shown.ts <= datetime.now(UTC)
        assert shown.data["market_ts"] == ahead.isoformat()
        await trader.parts.journal.flush()
        [journaled] = await trader.parts.journal.safety_events(limit=1)
        assert journaled.ts == shown.ts  # `tui-trader status` reads this: never hours ahead


async def test_an_event_already_at_wall_time_carries_no_second_time(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        now = datetime.now(UTC)
        trader.record_safety(SafetyEvent(now, Severity.INFO, SafetyKind.HEALTH, "up"))
        assert "market_ts" not in trader.history.safety[0].data


def test_order_and_fill_columns_name_their_clock() -> None:
    assert ORDER_COLUMNS[0][0] == FILL_COLUMNS[0][0] == "Mkt time"
