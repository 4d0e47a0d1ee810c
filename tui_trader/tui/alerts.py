"""CRITICAL safety events are loud: a toast when one happens, and a count on the Safety
tab until the operator has looked at that tab."""

from rich.text import Text

from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent
from tui_trader.tui.widgets.safety import event_key

ALERT_TIMEOUT = 15.0  # seconds a CRITICAL toast stays up


class CriticalAlerts:
    """Finds the CRITICAL events that are new since the last look and counts those the
    operator has not seen. Events come newest first, as the snapshot holds them."""

    def __init__(self) -> None:
        self._known: set[str] = set()
        self.unseen = 0

    def fresh(self, events: tuple[SafetyEvent, ...]) -> list[SafetyEvent]:
        """The CRITICAL events among those not seen before, newest first."""
        new: list[SafetyEvent] = []
        for event in events:
            if event_key(event) in self._known:
                break  # everything older was seen on an earlier look
            new.append(event)
        if not new:
            return []
        self._known = {event_key(event) for event in events}
        critical = [event for event in new if event.severity is Severity.CRITICAL]
        self.unseen += len(critical)
        return critical

    def seen(self) -> bool:
        """The operator is looking at the Safety panel; True if that cleared a count."""
        cleared, self.unseen = self.unseen > 0, 0
        return cleared


def toast(events: list[SafetyEvent]) -> tuple[str, str]:
    """(title, message) of one toast for the CRITICAL events found in one look."""
    newest = events[0]
    message = f"{newest.kind}: {newest.message}"
    if len(events) == 1:
        return "CRITICAL", message
    return f"{len(events)} CRITICAL safety events", f"newest: {message}"


def tab_label(number: int, unseen: int) -> Text:
    label = Text(f"{number} Safety")
    if unseen:
        label.append(f" ({unseen})", style="bold")
    return label
