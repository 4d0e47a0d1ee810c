"""Exit codes and the one line a stopped trader prints."""

import sqlite3
from pathlib import Path

import pytest

from tui_trader.app.datadir import DataDirError, DataDirInUse
from tui_trader.app.startup import exit_code, failure_line
from tui_trader.config import ConfigError
from tui_trader.journal.errors import JournalError
from tui_trader.market.feed import FeedError

TOKEN = "123456789:AAFakeTokenFakeTokenFakeTokenFake12345"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (DataDirInUse(Path("/data"), 42), 4),
        (DataDirError("not a directory"), 5),
        (JournalError("cannot open journal"), 5),
        (sqlite3.DatabaseError("database disk image is malformed"), 5),
        (ConfigError("SLACK_ENABLED=true but no slack webhook"), 2),
        (FeedError("candles.csv: file not found"), 2),
        (RuntimeError("a bug"), 1),
    ],
)
def test_each_failure_has_its_documented_code(error: Exception, code: int) -> None:
    assert exit_code(error) == code


def test_the_line_is_one_line_and_says_what_happened() -> None:
    line = failure_line(RuntimeError("first\nsecond\r\n  third"))
    assert line == "tui-trader: stopped by an unexpected error: RuntimeError: first second third"
    assert failure_line(DataDirInUse(Path("/data"), 42)) == (
        "tui-trader: data dir /data is in use by another tui-trader (pid 42)"
    )
    assert "the journal failed: " in failure_line(sqlite3.DatabaseError("malformed"))


def test_a_token_quoted_by_an_error_is_masked() -> None:
    line = failure_line(RuntimeError(f"GET https://api.telegram.org/bot{TOKEN}/getMe failed"))
    assert TOKEN not in line and TOKEN.split(":")[1] not in line
