"""A planted secret never shows: not on the screen, not in the journal, not in the JSONL
or log files, even when something tries to log it or puts it in a safety event."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import keyring
from tui_support import Cockpit, market_ready, wait_for

from tui_trader.app.log_files import configure_logging
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent

Make = Callable[..., Cockpit]
SECRET = "PlantedSecretValue0123456789abcdef"


def files_text(root: Path) -> str:
    return "".join(
        path.read_bytes().decode("utf-8", "replace") for path in root.rglob("*") if path.is_file()
    )


async def test_planted_secret_reaches_no_screen_journal_or_log(
    cockpit: Make, tmp_path: Path
) -> None:
    keyring.get_keyring().set_password("tui-trader", "binance:key", "test-key-0000")
    keyring.get_keyring().set_password("tui-trader", "binance:secret", SECRET)
    c = cockpit()
    configure_logging(c.settings, "console", console=False)  # as `tui-trader` does at start
    async with c.app.run_test(size=(160, 48)) as pilot:
        await market_ready(pilot, c)  # opening the trader read the keys from the keyring
        logging.getLogger("tui_trader.test").warning("oops, the secret is %s", SECRET)
        c.trader.record_safety(
            SafetyEvent(datetime.now(UTC), Severity.WARNING, "test", f"echoed {SECRET}")
        )
        await wait_for(pilot, lambda: "echoed" in c.app.export_screenshot(), "event on screen")
        await pilot.press("6")  # the log tab
        await pilot.pause(0.5)
        screens = c.app.export_screenshot()
        await c.trader.parts.journal.flush()
    assert "echoed" in screens and SECRET not in screens
    on_disk = files_text(tmp_path)
    assert "oops, the secret is" in on_disk  # the log line was written...
    assert SECRET not in on_disk  # ...masked, like the journal and JSONL rows
