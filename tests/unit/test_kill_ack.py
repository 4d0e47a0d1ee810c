"""The kill acknowledgement: a trader confirms exactly the kill it applied."""

from datetime import UTC, datetime
from pathlib import Path

from tui_trader.safety.kill_ack import (
    ACK_FILE_NAME,
    KillAcknowledger,
    kill_id,
    read_ack,
    wait_for_ack,
)
from tui_trader.safety.kill_switch import KillState, KillSwitch

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class FakeTime:
    """Time for the polling loop only (the file side is real)."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def test_the_state_written_and_the_state_read_back_have_the_same_id(tmp_path: Path) -> None:
    written = KillSwitch(tmp_path).activate(NOW, "cli", "test", close_positions=True)
    read = KillSwitch(tmp_path).read()
    assert read is not None and kill_id(read) == kill_id(written)
    assert kill_id(written) != kill_id(KillState(written.activated_at, "cli", "test", False))


def test_an_ack_confirms_only_its_kill_and_its_trader(tmp_path: Path) -> None:
    state = KillState(NOW.isoformat(), "cli", "test", False)
    other = KillState(NOW.isoformat(), "cli", "another reason", False)
    ack = KillAcknowledger(tmp_path, pid=4242)
    assert ack.due(state)
    assert ack.acknowledge(state, NOW) is None and not ack.due(state)
    assert (tmp_path / ACK_FILE_NAME).stat().st_mode & 0o777 == 0o600
    clock = FakeTime()
    wait = {"sleep": clock.sleep, "monotonic": clock.monotonic}
    assert wait_for_ack(tmp_path, state, 4242, **wait) == read_ack(tmp_path)  # type: ignore[arg-type]
    assert wait_for_ack(tmp_path, other, 4242, **wait) is None  # type: ignore[arg-type]
    assert clock.now >= 3.0  # waited the whole deadline
    assert wait_for_ack(tmp_path, state, 999, 0.2, **wait) is None  # type: ignore[arg-type]


def test_a_failed_ack_is_reported_once_per_streak(tmp_path: Path) -> None:
    ack = KillAcknowledger(tmp_path / "missing", pid=1)
    state = KillState(NOW.isoformat(), "cli", "test", False)
    first = ack.acknowledge(state, NOW)
    assert first is not None and "cannot acknowledge the kill" in first
    assert ack.acknowledge(state, NOW) is None and ack.due(state)  # still due, said once
