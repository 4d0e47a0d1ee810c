"""Logging set-up: a file in the data dir (full history) and, headless, the console."""

import logging
import sys
from logging.handlers import RotatingFileHandler

from tui_trader.config import Settings
from tui_trader.ops.logs import make_formatter
from tui_trader.ops.settings import load_ops_settings
from tui_trader.secrets import install_excepthook, install_log_redaction

LOG_FILE = "tui-trader.log"


def configure_logging(settings: Settings, *, console: bool) -> None:
    log_dir = settings.data_path / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("tui_trader")
    root.setLevel(settings.log_level)
    root.handlers.clear()
    # LOG_FORMAT=json gives one JSON object a line, with the bound component/symbol.
    formatter = make_formatter(load_ops_settings().log_format)
    file_handler = RotatingFileHandler(
        log_dir / LOG_FILE, maxBytes=settings.jsonl_max_bytes, backupCount=settings.jsonl_backups
    )
    file_handler.setFormatter(formatter)
    root.addHandler(file_handler)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(logging.WARNING)
        stream.setFormatter(formatter)
        root.addHandler(stream)
    # Secrets never reach a log line or a traceback (invariant 7).
    install_log_redaction(root)
    install_excepthook()
