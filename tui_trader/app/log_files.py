"""Logging set-up: a file in the data dir (full history) and, headless, the console."""

import contextlib
import logging
import sys
from logging.handlers import RotatingFileHandler

from tui_trader.config import Settings
from tui_trader.ops.log_format import make_formatter
from tui_trader.ops.settings import LogFormat
from tui_trader.secrets import install_excepthook, install_log_redaction

LOG_FILE = "tui-trader.log"


class QuietFileHandler(RotatingFileHandler):
    """A log file that cannot be written (disk full, EIO) says so once, in one line on
    stderr, and then stays quiet: the standard handler prints a "--- Logging error ---"
    traceback for every record, which on a full disk is a storm of thousands."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        # The notice rides on a record the operator was meant to see: a lost INFO line
        # (e.g. a start-up failure's traceback, whose one line follows) stays silent.
        if self.failed or record.levelno < logging.WARNING:
            return
        self.failed = True
        error = sys.exc_info()[1]
        _say(
            f"tui-trader: cannot write the log file {self.baseFilename} ({error}); "
            "file logging is quiet from now on"
        )

    def close(self) -> None:
        # The last flush at exit meets the same full disk; the file is closed anyway.
        with contextlib.suppress(OSError):
            super().close()


class QuietStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The console: a closed or broken stderr drops records, never raises or prints."""

    def handleError(self, record: logging.LogRecord) -> None:
        return


def _say(line: str) -> None:
    # stderr itself may be gone (OSError, or ValueError when closed): nothing more to say.
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.__stderr__ or sys.stderr, flush=True)


def configure_logging(settings: Settings, log_format: LogFormat, *, console: bool) -> None:
    log_dir = settings.data_path / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("tui_trader")
    root.setLevel(settings.log_level)
    root.handlers.clear()
    # LOG_FORMAT=json gives one JSON object a line, with the bound component/symbol.
    formatter = make_formatter(log_format)
    file_handler = QuietFileHandler(
        log_dir / LOG_FILE, maxBytes=settings.jsonl_max_bytes, backupCount=settings.jsonl_backups
    )
    file_handler.setFormatter(formatter)
    root.addHandler(file_handler)
    if console:
        stream = QuietStreamHandler(sys.stderr)
        stream.setLevel(logging.WARNING)
        stream.setFormatter(formatter)
        root.addHandler(stream)
    # Secrets never reach a log line or a traceback (invariant 7).
    install_log_redaction(root)
    install_excepthook()
