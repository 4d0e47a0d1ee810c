"""Every operator key in one table: the bindings, the footer, the help screen and the
command palette are all built from it, so they cannot disagree."""

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class OperatorKey:
    key: str
    action: str
    label: str  # short, for the footer
    title: str  # for the command palette
    help: str  # one line, for the help screen and the palette
    display: str = ""
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.label,
            key_display=self.display or None,
            priority=self.priority,
        )


KILL_KEY = "k"
CLEAR_KILL_KEY = "u"  # "undo the kill": not k, which stays the kill key while killed

OPERATOR_KEYS: tuple[OperatorKey, ...] = (
    OperatorKey("s", "start", "Start", "Start trading", "Start trading (engine IDLE to RUNNING)"),
    OperatorKey(
        "x", "stop", "Stop", "Stop trading", "Stop trading; asks whether to flatten positions"
    ),
    OperatorKey(
        KILL_KEY,
        "kill",
        "KILL",
        "Kill switch",
        "Kill switch: block orders, cancel open orders, optionally close positions",
        priority=True,
    ),
    OperatorKey(
        CLEAR_KILL_KEY,
        "clear_kill",
        "Clear kill",
        "Clear kill switch",
        "Clear an active kill switch (type CLEAR)",
    ),
    OperatorKey("r", "reset", "Reset", "Reset engine", "Reset the engine from ERROR to IDLE"),
    OperatorKey("l", "live", "Live", "Live mode", "Switch to live trading (checks, typed phrase)"),
    OperatorKey("c", "close_position", "Close", "Close position", "Close the selected position"),
    OperatorKey("o", "cancel_order", "Cancel", "Cancel order", "Cancel the selected order"),
    OperatorKey("t", "cycle_theme", "Theme", "Next theme", "Cycle through the trader themes"),
    OperatorKey("question_mark", "help", "Help", "Help", "Show every key", display="?"),
    OperatorKey("q", "quit", "Quit", "Quit", "Quit (confirms while RUNNING; flushes journal)"),
    OperatorKey(
        "e",
        "settings",
        "Settings",
        "Settings",
        "Settings: each value and its source; edit .env",
    ),
)

# Keys that are not operator actions but an operator should know about.
NAVIGATION_HELP: tuple[tuple[str, str], ...] = (
    ("1-7", "Show a panel tab (compact layout); 7 is the chart"),
    ("tab / shift+tab", "Move focus between tables"),
    ("up / down", "Select a row; on the chart, the symbol"),
    ("w", "Wide: every table column (narrow: hidden ones; ← → scroll); w again fits"),
    ("ctrl+p", "Command palette: every action by name"),
    ("escape", "Close a dialog without doing anything"),
)
