"""Exit codes, and the one line a failed start prints (invariant 9).

Whatever stops a trading process, the operator (or systemd) gets a documented exit code
and one line on stderr; the traceback of an unexpected failure goes to the log file only.
README's "Exit codes" section lists the same codes."""

import logging
import sqlite3
import sys

from tui_trader.app.datadir import DataDirError, DataDirInUse, claim
from tui_trader.config import ConfigError, Settings
from tui_trader.journal.errors import JournalError
from tui_trader.market.feed import FeedError
from tui_trader.secrets import SecretsError, default_redactor
from tui_trader.strategies.base import StrategyParamError

log = logging.getLogger("tui_trader.app.startup")

EXIT_FAILED = 1  # anything else: the market feed failed, an unexpected error
EXIT_CONFIG = 2  # bad configuration, refused start: fix the settings first
EXIT_KILLED = 3  # the kill switch is active: clear it on purpose first
EXIT_IN_USE = 4  # the data dir is held by another running tui-trader
EXIT_STORAGE = 5  # the data dir or journal cannot be used (not a dir, read-only, corrupt)

_CODES: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], int], ...] = (
    (DataDirInUse, EXIT_IN_USE),
    ((DataDirError, JournalError, sqlite3.Error), EXIT_STORAGE),
    ((ConfigError, FeedError, StrategyParamError, SecretsError), EXIT_CONFIG),
)


def claim_data_dir(settings: Settings) -> None:
    """Before anything opens a file there: one process per data dir, owner-only files."""
    from tui_trader.runtime.build_trader import (
        JOURNAL_FILE,  # the trader's import cost, paid by `run` only
    )

    claim(settings.data_path, JOURNAL_FILE)


def exit_code(exc: BaseException) -> int:
    for kinds, code in _CODES:
        if isinstance(exc, kinds):
            return code
    return EXIT_FAILED


def failure_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, sqlite3.Error):  # raised by SQLite itself, it names no file
        text = f"the journal failed: {text}"
    if exit_code(exc) == EXIT_FAILED:
        text = f"stopped by an unexpected error: {type(exc).__name__}: {text}"
    return f"tui-trader: {default_redactor().redact(text)}"  # an error may quote a URL token


def report_failure(exc: BaseException) -> int:
    """Print the one line, keep the traceback for the log file; the exit code."""
    # INFO: the file handler takes it, the console handler (WARNING and up) does not,
    # so stderr keeps its single line.
    log.info("start-up or run failed", exc_info=exc)
    print(failure_line(exc), file=sys.stderr, flush=True)
    return exit_code(exc)
