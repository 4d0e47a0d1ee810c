"""The kill switch: a file in the data dir, so a restarted process is still killed.

Any process may activate it (`tui-trader kill`, the TUI, the anomaly monitor); the running
trader polls the file and halts within a fraction of a second. Only an operator clears it.
"""

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

KILL_FILE_NAME = "KILL_SWITCH"


class KillSwitchError(Exception):
    """The kill switch file could not be read or written."""


@dataclass(frozen=True, slots=True)
class KillState:
    activated_at: str
    source: str
    reason: str
    close_positions: bool


class KillSwitch:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / KILL_FILE_NAME

    def read(self) -> KillState | None:
        """The persisted state, or None when not killed. A corrupt file still counts as
        killed: failing open here would let a damaged file re-enable trading."""
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # ValueError: not UTF-8
            return KillState("", "unknown", f"unreadable kill file: {exc}", False)
        try:
            data: dict[str, Any] = json.loads(raw)
            return KillState(
                activated_at=str(data.get("activated_at", "")),
                source=str(data.get("source", "unknown")),
                reason=str(data.get("reason", "")),
                close_positions=bool(data.get("close_positions", False)),
            )
        except (json.JSONDecodeError, AttributeError):
            return KillState("", "unknown", "kill file is not valid JSON", False)

    @property
    def active(self) -> bool:
        return self.path.exists()

    def activate(
        self, now: datetime, source: str, reason: str, close_positions: bool = False
    ) -> KillState:
        """Persist the kill atomically (write then rename). Re-activating keeps the first
        activation's time but upgrades close_positions if newly asked for."""
        previous = self.read()
        state = KillState(
            activated_at=previous.activated_at if previous else now.isoformat(),
            source=source,
            reason=reason,
            close_positions=close_positions or bool(previous and previous.close_positions),
        )
        tmp = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(asdict(state)), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            raise KillSwitchError(f"cannot write kill switch {self.path}: {exc}") from exc
        return state

    def clear(self) -> bool:
        """Remove the kill; returns False if it was not active."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise KillSwitchError(f"cannot clear kill switch {self.path}: {exc}") from exc
        return True
