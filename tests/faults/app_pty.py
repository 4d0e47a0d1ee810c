"""Run the terminal app (`tui-trader --demo`) on a real pseudo-terminal with a deadline.

Textual draws on stderr, so stderr carries the screen and then, once the app has left the
alternate screen, whatever the program prints after it. `after_screen` is that tail."""

import fcntl
import os
import struct
import subprocess
import sys
import termios
import threading

from tests.faults.support import ROOT, START_FAILURE_DEADLINE_S, Outcome

LEAVE_ALT_SCREEN = "\x1b[?1049l"
# Textual restores a few terminal modes after leaving the alternate screen.
RESTORE_TAIL = ("\x1b[?25h", "\x1b[?1004l", "\x1b[?1000l", "\x1b[?1003l", "\x1b[?1015l")


def _drain(fd: int) -> None:
    """Read the terminal side so the app never blocks on a full pty buffer."""
    while True:
        try:
            if not os.read(fd, 65536):
                return
        except OSError:
            return


def run_app(*args: str, env: dict[str, str], deadline: float = START_FAILURE_DEADLINE_S) -> Outcome:
    """`tui-trader ARGS` with stdin/stdout on an 80x24 pty and stderr captured."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_trader", *args],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        env={**env, "TERM": "xterm-256color"},
        cwd=ROOT,
    )
    os.close(slave)
    threading.Thread(target=_drain, args=(master,), daemon=True).start()
    try:
        _, err = proc.communicate(timeout=deadline)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"tui-trader {' '.join(args)} hung past {deadline} s") from exc
    finally:
        os.close(master)
    return Outcome(proc.returncode, "", err.decode(errors="replace"))


def after_screen(outcome: Outcome) -> Outcome:
    """What the program printed after Textual gave the terminal back (all of stderr when
    Textual never started)."""
    text = outcome.stderr
    if LEAVE_ALT_SCREEN in text:
        text = text.rsplit(LEAVE_ALT_SCREEN, 1)[1]
        for sequence in RESTORE_TAIL:
            text = text.replace(sequence, "")
    return Outcome(outcome.code, outcome.stdout, text)


def screen_drawn(outcome: Outcome) -> bool:
    return LEAVE_ALT_SCREEN in outcome.stderr
