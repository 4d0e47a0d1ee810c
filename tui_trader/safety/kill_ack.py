"""The running trader's acknowledgement of a kill, so `tui-trader kill` can say "applied"
only once it is true.

`kill` writes the kill file; the trader's kill watcher reads it within KILL_POLL_S, halts,
and then writes `KILL_SWITCH.ack`: the id of the kill state it applied and its pid. The
id is a fingerprint of the kill file's fields, so an ack for an older or different kill
never confirms a new one. The ack is separate from the kill file on purpose: the file's
reader must stay as strict as it is, and an ack that cannot be written never undoes a
kill (the trader halts first, then acknowledges)."""

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from tui_trader.safety.kill_switch import KillState

ACK_FILE_NAME = "KILL_SWITCH.ack"
ACK_DEADLINE_S = 3.0  # the watcher polls every 0.2 s: 15 polls of slack
_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class KillAck:
    kill_id: str
    pid: int
    applied_at: str


def kill_id(state: KillState) -> str:
    """A fingerprint of a persisted kill: equal for the state `kill` wrote and the one
    the trader read back from the file."""
    raw = json.dumps(asdict(state), sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def write_ack(data_dir: Path, state: KillState, pid: int, now: datetime) -> None:
    """Atomically (write then rename), owner-only; raises OSError."""
    path = data_dir / ACK_FILE_NAME
    tmp = path.with_name(f"{ACK_FILE_NAME}.{pid}.tmp")
    body = json.dumps({"kill_id": kill_id(state), "pid": pid, "applied_at": now.isoformat()})
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body)
    os.replace(tmp, path)


def read_ack(data_dir: Path) -> KillAck | None:
    """The last acknowledgement, or None (absent, unreadable, or not ours)."""
    try:
        data = json.loads((data_dir / ACK_FILE_NAME).read_text(encoding="utf-8")[:1000])
        return KillAck(str(data["kill_id"]), int(data["pid"]), str(data["applied_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear_ack(data_dir: Path) -> None:
    with contextlib.suppress(OSError):
        (data_dir / ACK_FILE_NAME).unlink()


def wait_for_ack(
    data_dir: Path,
    state: KillState,
    pid: int | None,
    deadline_s: float = ACK_DEADLINE_S,
    *,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> KillAck | None:
    """Poll until the trader (`pid`, when known) acknowledged `state`; None at the
    deadline. Blocking: for the one-shot `kill` command, never the event loop."""
    wanted, until = kill_id(state), monotonic() + deadline_s
    while True:
        ack = read_ack(data_dir)
        if ack is not None and ack.kill_id == wanted and pid in (None, ack.pid):
            return ack
        if monotonic() >= until:
            return None
        sleep(_POLL_S)


class KillAcknowledger:
    """The trader side: acknowledge each applied kill state once."""

    def __init__(self, data_dir: Path, pid: int | None = None) -> None:
        self.data_dir = data_dir
        self.pid = os.getpid() if pid is None else pid
        self._acked: str | None = None
        self._failed = False

    def due(self, state: KillState) -> bool:
        return kill_id(state) != self._acked

    def acknowledge(self, state: KillState, now: datetime) -> str | None:
        """Write the ack (blocking: run it in a thread); the error text when it failed,
        once per failure streak, so a read-only data dir does not flood the log."""
        try:
            write_ack(self.data_dir, state, self.pid, now)
        except OSError as exc:
            first, self._failed = not self._failed, True
            return f"cannot acknowledge the kill in {self.data_dir}: {exc}" if first else None
        self._acked, self._failed = kill_id(state), False
        return None
