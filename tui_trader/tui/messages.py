"""Messages the app posts about the trader, named in the past tense."""

from dataclasses import dataclass

from textual.message import Message


@dataclass
class CommandFinished(Message):
    """A trader command (start, stop, kill, ...) returned; `error` is empty on success."""

    command: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class PanelsRefreshed(Message):
    """The panels now show snapshot `version`. Coalesces: only the newest matters."""

    version: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PanelsRefreshed)


@dataclass
class LogRecorded(Message):
    """A log line for the Log panel; posted from a logging handler (thread-safe)."""

    line: str
    level: int
