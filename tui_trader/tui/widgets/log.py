"""The Log panel: a bounded tail of what happened. The journal keeps the full history."""

import logging
from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RichLog

from tui_trader.text_safety import printable_lines
from tui_trader.tui import format as fmt
from tui_trader.tui.messages import LogRecorded

MAX_LINES = 500
# Every write scrolls the log, and a scroll re-sends the whole panel to the terminal; a
# busy market logs many lines a second, so lines are written in batches at this pace.
FLUSH_S = 0.25
LINE_CHARS = 2000  # one record quoting a whole reply must not fill the panel


class LogPanel(Vertical):
    def __init__(self, now: Callable[[], datetime]) -> None:
        super().__init__(id="log", classes="panel tab-panel")
        self.border_title = "Log"
        self._now = now
        self._pending: list[Text] = []

    def compose(self) -> ComposeResult:
        yield RichLog(max_lines=MAX_LINES, wrap=True, min_width=20, markup=False, id="log-lines")

    def write_line(self, line: str, level: int = logging.INFO) -> None:
        style = "bold" if level >= logging.WARNING else ""
        text = Text(f"{fmt.clock(self._now())} ", style="dim")
        # Log lines quote exchange errors, LLM text and file names: literal, printable.
        text.append(printable_lines(line, LINE_CHARS), style=style)
        if not self._pending:
            self.set_timer(FLUSH_S, self._flush, name="log-flush")
        self._pending.append(text)
        del self._pending[:-MAX_LINES]  # the RichLog would drop them anyway

    def _flush(self) -> None:
        lines = self.query_one(RichLog)
        for text in self._pending:
            lines.write(text)
        self._pending.clear()

    @on(LogRecorded)
    def _recorded(self, message: LogRecorded) -> None:
        message.stop()
        self.write_line(message.line, message.level)


def component(logger_name: str) -> str:
    """A short name for the part that logged: `tui_trader.runtime.trader` -> `trader`,
    `tui_trader.binance.feed` -> `binance.feed` (the panel is narrow)."""
    return logger_name.removeprefix("tui_trader.").removeprefix("runtime.")


class PanelLogHandler(logging.Handler):
    """Forwards log records to the panel. `post_message` is thread-safe, so records from
    worker threads (keyring lookups) are fine too."""

    def __init__(self, panel: LogPanel, level: int = logging.INFO) -> None:
        super().__init__(level)
        self._panel = panel

    def emit(self, record: logging.LogRecord) -> None:
        who = component(record.name)
        try:
            line = f"{record.levelname} {who}: {record.getMessage()}"
        except (TypeError, ValueError):
            line = f"{record.levelname} {who}: {record.msg!r}"
        self._panel.post_message(LogRecorded(line, record.levelno))
