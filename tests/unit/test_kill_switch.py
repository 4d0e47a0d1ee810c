import contextlib
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui_trader.safety.kill_switch import (
    KILL_FILE_NAME,
    RESERVE_BYTES,
    RESERVE_SUFFIX,
    KillSwitch,
    KillSwitchError,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_inactive_until_activated(tmp_path: Path) -> None:
    switch = KillSwitch(tmp_path)
    assert not switch.active
    assert switch.read() is None


def test_activation_persists_for_a_new_instance(tmp_path: Path) -> None:
    KillSwitch(tmp_path).activate(NOW, "cli", "market crash", close_positions=True)
    restarted = KillSwitch(tmp_path)
    state = restarted.read()
    assert restarted.active
    assert state is not None
    assert (state.source, state.reason, state.close_positions) == ("cli", "market crash", True)
    assert state.activated_at == NOW.isoformat()


def test_reactivation_keeps_first_time_and_upgrades_close(tmp_path: Path) -> None:
    switch = KillSwitch(tmp_path)
    switch.activate(NOW, "tui", "first")
    later = NOW.replace(hour=9)
    state = switch.activate(later, "anomaly", "second", close_positions=True)
    assert state.activated_at == NOW.isoformat()
    assert state.close_positions
    # Asking again without closing positions never downgrades an earlier request.
    assert switch.activate(later, "tui", "third").close_positions


def test_clear_only_on_purpose(tmp_path: Path) -> None:
    switch = KillSwitch(tmp_path)
    assert switch.clear() is False
    switch.activate(NOW, "cli", "x")
    assert switch.clear() is True
    assert not switch.active


def test_corrupt_file_still_counts_as_killed(tmp_path: Path) -> None:
    switch = KillSwitch(tmp_path)
    switch.path.write_text("{not json", encoding="utf-8")
    state = switch.read()
    assert state is not None
    assert "not valid JSON" in state.reason


def test_unwritable_data_dir_gives_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(KillSwitchError, match="cannot write kill switch"):
        KillSwitch(blocker / "sub").activate(NOW, "cli", "x")


def test_kill_file_that_is_not_utf8_still_counts_as_killed(tmp_path: Path) -> None:
    switch = KillSwitch(tmp_path)
    switch.path.write_bytes(b"\xff\xfe garbage")
    state = switch.read()
    assert state is not None and "unreadable" in state.reason


def test_a_fifo_at_the_kill_path_counts_as_killed_without_blocking(tmp_path: Path) -> None:
    switch = KillSwitch(tmp_path)
    os.mkfifo(switch.path)  # no writer: a plain open() would wait forever
    started = time.monotonic()
    state = switch.read()
    assert time.monotonic() - started < 0.5
    assert state is not None and "not a regular file (a FIFO)" in state.reason
    assert switch.active


def test_a_directory_at_the_kill_path_counts_as_killed(tmp_path: Path) -> None:
    switch = KillSwitch(tmp_path)
    switch.path.mkdir()
    state = switch.read()
    assert state is not None and "a directory" in state.reason


def test_the_reserve_is_real_space_and_survives_activation(tmp_path: Path) -> None:
    switch = KillSwitch(tmp_path)
    assert switch.reserve()
    spare = tmp_path / (KILL_FILE_NAME + RESERVE_SUFFIX)
    assert spare.stat().st_size == RESERVE_BYTES
    assert spare.stat().st_blocks > 0  # written, not sparse
    switch.activate(NOW, "cli", "x")
    assert switch.read() is not None and spare.is_file()


def activate_without_room(data: Path) -> subprocess.CompletedProcess[str]:
    """A real process in which no file may grow by a single byte (RLIMIT_FSIZE 0, SIGXFSZ
    ignored: writes fail with EFBIG, as on a full disk)."""
    script = (
        "import resource, signal, sys; from datetime import UTC, datetime; "
        "from pathlib import Path; from tui_trader.safety.kill_switch import KillSwitch; "
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0)); "
        "KillSwitch(Path(sys.argv[1])).activate(datetime.now(UTC), 'cli', 'disk full')"
    )
    return subprocess.run(
        [sys.executable, "-c", script, str(data)], capture_output=True, text=True, timeout=30
    )


def test_a_kill_on_a_really_full_disk_is_written_into_the_reserve(tmp_path: Path) -> None:
    disk = tmp_path / "small"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (the RLIMIT test below always runs)")
    try:
        switch = KillSwitch(disk)
        assert switch.reserve()
        with (disk / "ballast").open("wb", buffering=0) as out, contextlib.suppress(OSError):
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        assert os.statvfs(disk).f_bavail == 0
        switch.activate(NOW, "cli", "disk full")
        state = KillSwitch(disk).read()
        assert state is not None and state.reason == "disk full"
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_kill_on_a_full_disk_without_reserve_leaves_an_empty_kill_file(tmp_path: Path) -> None:
    done = activate_without_room(tmp_path)
    assert done.returncode == 0, done.stderr
    state = KillSwitch(tmp_path).read()
    assert state is not None and "empty kill file" in state.reason  # fails closed
