"""Terminal app benchmark (a script, not a test): `python -m tui_trader --demo` in a real
pseudo-terminal, measured from the outside the way an operator's terminal sees it.

    python tests/benchmarks/bench_tui.py [--launches 5] [--window 20] [--warmup 5]
        [--tries 5] [--sizes 80x24,160x48] [--skip-feed]

1. first frame: spawn → first output bytes containing the header's "PAPER" (median).
2. output bytes per second while 8 symbols stream at ~10,000 events/s, counted on the
   pty master for `--window` seconds after `--warmup` seconds.
3. key → visible change under the same load: "s" → "RUNNING" on the header row,
   "x" → the stop dialog, "k" → the kill dialog (median of `--tries`).
4. output bytes per second with the chart on screen (key 7: its tab at 80x24; beside the
   prices at 160x48, where it always is), over the same window.

The achieved feed rate is read from the journal the app writes (the market clock it
stores every 10 s), so the product carries no instrumentation; the same feed without the
app is also timed in-process, to tell "the core cannot keep up" from "the UI slows it".
"""

import argparse
import asyncio
import contextlib
import fcntl
import logging
import os
import pty
import re
import select
import shlex
import signal
import sqlite3
import statistics
import struct
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

SYMBOLS = "BTCUSDT,ETHUSDT,BNBUSDT,SOLUSDT,XRPUSDT,ADAUSDT,DOGEUSDT,LTCUSDT"
TICKS_PER_CANDLE = 60
# ticks/s = symbols × ticks_per_candle × speed / 60 = 8 × 60 × 1250 / 60 = 10,000
# (plus one candle per symbol per simulated minute: 8 × 1250 / 60 ≈ 167/s).
SPEED = 1250
# The cockpit issue's targets: output per terminal size, key → visible change.
TARGET_FIRST_FRAME_S = 1.0
TARGET_KIB_S = {(80, 24): 16.0, (160, 48): 32.0}
TARGET_KEY_MEDIAN_MS = 50.0
TARGET_KEY_P95_MS = 150.0
APP = [sys.executable, "-m", "tui_trader", "--demo"]
# A cursor move to row 1 (the header) followed only by text and colour codes.
HEADER_ROW = rb"\x1b\[1;\d+H(?:[^\x1b]|\x1b\[[0-9;:]*m)*"


def events_per_market_second(symbols: int, ticks: int) -> float:
    return symbols * (ticks + 1) / 60


# Bytecode goes to a private cache for the whole benchmark: with PYTHONDONTWRITEBYTECODE
# and a checkout newer than its __pycache__, every launch would recompile the sources,
# which an installed package never does. One untimed launch fills the cache.
PYCACHE = Path(tempfile.gettempdir()) / "bench-tui-pycache"


def app_env(data: Path, load: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "TUI_"))}
    for name in ("COLUMNS", "LINES", "NO_COLOR", "COLORTERM", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    env.update(
        TERM="xterm-256color", TUI_TRADER_DATA_DIR=str(data), PYTHONPYCACHEPREFIX=str(PYCACHE)
    )
    if load:
        env.update(
            SYMBOLS=SYMBOLS, SIM_SPEED=str(SPEED), SIM_TICKS_PER_CANDLE=str(TICKS_PER_CANDLE)
        )
    return env


class PtyApp:
    """The app on the slave side of a pty; every byte it writes is read (and counted)
    here, so it never blocks on a full terminal."""

    def __init__(self, size: tuple[int, int], data: Path, load: bool) -> None:
        self.data = data
        env = app_env(data, load)
        cols, rows = size
        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # child: size the terminal before the app asks for it
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.chdir(data)
                os.execve(APP[0], APP, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.buffer = bytearray()  # everything since the last `mark()`
        self.total = 0
        self.alive = True

    def pump(self, timeout: float) -> bool:
        """Read what is there (waiting up to `timeout`); False once the app has gone."""
        if not self.alive:
            return False
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if ready:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                self.alive = False
                return False
            self.buffer += chunk
            self.total += len(chunk)
        return True

    def mark(self) -> None:
        self.buffer.clear()

    def wait_for(self, pattern: bytes, within: float) -> float:
        """Seconds until the output since `mark()` matches `pattern` (a regex)."""
        regex = re.compile(pattern)
        start = time.perf_counter()
        deadline = start + within
        while not regex.search(self.buffer):
            if time.perf_counter() > deadline or not self.pump(deadline - time.perf_counter()):
                tail = bytes(self.buffer[-400:])
                raise RuntimeError(f"no {pattern!r} within {within}s; last output: {tail!r}")
        return time.perf_counter() - start

    def press(self, keys: bytes, expect: bytes, within: float = 10) -> float:
        self.mark()
        os.write(self.fd, keys)
        return self.wait_for(expect, within)

    def idle(self, seconds: float, every: Callable[[], None] | None = None) -> None:
        """Read (and forget) the output for `seconds`, calling `every` twice a second."""
        now = time.perf_counter()
        end, due = now + seconds, now
        while (left := end - time.perf_counter()) > 0 and self.pump(min(left, 0.25)):
            self.mark()
            if every is not None and time.perf_counter() >= due:
                due = time.perf_counter() + 0.5
                every()

    def quit(self) -> int:
        """`q` (confirming if RUNNING), then SIGTERM, then SIGKILL; the exit status."""
        os.write(self.fd, b"q")
        self.idle(1.0)
        if self.alive:
            os.write(self.fd, b"\t\r")  # the quit dialog: from Cancel to Quit
        self.idle(10.0)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                break
            os.kill(self.pid, sig)
            time.sleep(1.0)
        else:
            _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


class MarketTimeLog:
    """The market clock the app journals every 10 s, and the wall time it was seen."""

    def __init__(self, data: Path) -> None:
        self.path = data / "journal.db"
        self.seen: list[tuple[float, datetime]] = []

    def poll(self) -> None:
        if not self.path.exists():
            return
        try:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=0.1)
            with contextlib.closing(db):
                row = db.execute("SELECT value FROM meta WHERE key = 'market_time'").fetchone()
        except sqlite3.Error:
            return
        if row and (not self.seen or self.seen[-1][1] != datetime.fromisoformat(row[0])):
            self.seen.append((time.perf_counter(), datetime.fromisoformat(row[0])))

    def rate(self, since: float) -> float | None:
        """Events/s between the first and last change seen after `since` (wall)."""
        points = [p for p in self.seen if p[0] >= since]
        if len(points) < 2:
            return None
        (w0, m0), (w1, m1) = points[0], points[-1]
        eps = events_per_market_second(len(SYMBOLS.split(",")), TICKS_PER_CANDLE)
        return (m1 - m0).total_seconds() * eps / (w1 - w0)


def first_frame(size: tuple[int, int], launches: int) -> list[float]:
    """Seconds from spawn to the header on screen, one fresh data dir per launch; the
    first launch only compiles the bytecode and is not counted."""
    times = []
    for _ in range(launches + 1):
        with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
            app = PtyApp(size, Path(tmp), load=False)
            app.wait_for(rb"PAPER", within=30)
            times.append(time.perf_counter() - app.started)
            app.quit()
    return times[1:]


@dataclass
class Load:
    kib_s: float = 0.0
    chart_kib_s: float = 0.0  # with the chart on screen (key 7)
    rate: float | None = None  # events/s the app's feed reached (from its journal)
    keys: dict[str, list[float]] = field(default_factory=dict)  # milliseconds
    exit_status: int = -1


def under_load(size: tuple[int, int], warmup: float, window: float, tries: int) -> Load:
    """Output bytes over `window`, then key latencies, the market streaming throughout.
    Each try: s → RUNNING; x → stop dialog, "Stop, keep positions" → IDLE; k → kill
    dialog, Escape (Cancel) → main screen."""
    result = Load(keys={"start": [], "stop": [], "kill": []})
    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        app = PtyApp(size, Path(tmp), load=True)
        journal = MarketTimeLog(Path(tmp))
        app.wait_for(rb"PAPER", within=30)
        app.idle(warmup, journal.poll)
        start, before = time.perf_counter(), app.total
        app.idle(window, journal.poll)
        result.kib_s = (app.total - before) / 1024 / (time.perf_counter() - start)
        result.rate = journal.rate(since=start - warmup)
        for _ in range(tries):
            result.keys["start"].append(app.press(b"s", HEADER_ROW + rb"RUNNING") * 1000)
            app.idle(0.3)
            result.keys["stop"].append(app.press(b"x", rb"Stop trading") * 1000)
            app.press(b"y", HEADER_ROW + rb"IDLE")  # "Yes, stop" (positions kept)
            app.idle(0.3)
            result.keys["kill"].append(app.press(b"k", rb"KILL SWITCH") * 1000)
            app.press(b"\x1b", HEADER_ROW + rb"PAPER")
            app.idle(0.3)
        if size[0] < 160:  # the chart's tab; at 160 columns it is on screen already
            app.press(b"7", rb"Chart [A-Z]")
        app.idle(min(warmup, 2.0))
        start, before = time.perf_counter(), app.total
        app.idle(window)
        result.chart_kib_s = (app.total - before) / 1024 / (time.perf_counter() - start)
        result.exit_status = app.quit()
    return result


async def feed_rate_without_app(seconds: float) -> float:
    """The same settings and trader, its edge tasks on a bare event loop: the market
    clock's advance gives the events/s the core sustains with no terminal app."""
    from tui_trader.config import load_settings
    from tui_trader.runtime.build_trader import build_trader

    logging.getLogger("tui_trader").addHandler(logging.NullHandler())  # no stderr noise
    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        os.environ.update(app_env(Path(tmp), load=True))
        trader = build_trader(load_settings())
        await trader.open()
        tasks = [asyncio.ensure_future(factory()) for _, factory in trader.edge_tasks()]
        await asyncio.sleep(2.0)
        loop = asyncio.get_running_loop()
        m0, w0 = trader.snapshot().feeds[0].last_event_at, loop.time()
        await asyncio.sleep(seconds)
        m1, w1 = trader.snapshot().feeds[0].last_event_at, loop.time()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await trader.close()
    assert m0 is not None and m1 is not None
    eps = events_per_market_second(len(SYMBOLS.split(",")), TICKS_PER_CANDLE)
    return (m1 - m0).total_seconds() * eps / (w1 - w0)


def row(name: str, value: str, target: str, ok: bool | None) -> None:
    verdict = "" if ok is None else "ok" if ok else "MISSED"
    print(f"  {name:<44} {value:>12} {target:>13}  {verdict}")


def p95(values: list[float]) -> float:
    """The 95th percentile by nearest rank (of 15 presses that is the slowest one)."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]


def report(
    label: str, size: tuple[int, int], frames: list[float], load: Load, asked: float,
    window: float,
) -> None:  # fmt: skip
    kib_target = TARGET_KIB_S.get(size, max(TARGET_KIB_S.values()))
    median = statistics.median(frames)
    row(f"{label} first frame (median of {len(frames)}; "
        f"{min(frames):.2f}-{max(frames):.2f})", f"{median:.3f} s",
        f"<= {TARGET_FIRST_FRAME_S} s", median <= TARGET_FIRST_FRAME_S)  # fmt: skip
    rate = "n/a" if load.rate is None else f"{load.rate:,.0f}/s"
    row(f"{label} feed rate reached in the app", rate, f"{asked:,.0f}/s",
        None if load.rate is None else load.rate >= 0.95 * asked)  # fmt: skip
    row(f"{label} output ({window:.0f} s window)", f"{load.kib_s:.1f} KiB/s",
        f"<= {kib_target:.0f} KiB/s", load.kib_s <= kib_target)  # fmt: skip
    row(f"{label} output, chart shown (7)", f"{load.chart_kib_s:.1f} KiB/s",
        f"<= {kib_target:.0f} KiB/s", load.chart_kib_s <= kib_target)  # fmt: skip
    for key, what in (("start", "s -> RUNNING"), ("stop", "x -> stop dialog"),
                      ("kill", "k -> kill dialog")):  # fmt: skip
        times = load.keys[key]
        median = statistics.median(times)
        row(f"{label} {what} (median of {len(times)}; max {max(times):.0f})",
            f"{median:.0f} ms", f"<= {TARGET_KEY_MEDIAN_MS:.0f} ms",
            median <= TARGET_KEY_MEDIAN_MS)  # fmt: skip
    presses = [t for key in ("start", "stop", "kill") for t in load.keys[key]]
    worst = p95(presses)
    row(f"{label} keys p95 (of {len(presses)} presses)", f"{worst:.0f} ms",
        f"<= {TARGET_KEY_P95_MS:.0f} ms", worst <= TARGET_KEY_P95_MS)  # fmt: skip
    row(f"{label} exit status after q", str(load.exit_status), "0", load.exit_status == 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--launches", type=int, default=5, help="first-frame launches")
    parser.add_argument("--window", type=float, default=20.0, help="seconds of output counted")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before counting")
    parser.add_argument("--tries", type=int, default=5, help="key presses of each kind")
    parser.add_argument("--sizes", default="80x24,160x48", help="terminal sizes, COLSxROWS")
    parser.add_argument("--skip-feed", action="store_true", help="no in-process feed timing")
    args = parser.parse_args()
    sizes = [(int(c), int(r)) for c, r in (s.split("x") for s in args.sizes.split(","))]
    asked = events_per_market_second(len(SYMBOLS.split(",")), TICKS_PER_CANDLE) * SPEED
    print(f"command: TERM=xterm-256color TUI_TRADER_DATA_DIR=<tmp> {shlex.join(APP)}")
    print(f"load:    SYMBOLS={SYMBOLS} SIM_SPEED={SPEED} SIM_TICKS_PER_CANDLE={TICKS_PER_CANDLE}")
    print(f"         = {asked:,.0f} events/s asked for (ticks and candles)")
    print(f"bytecode: PYTHONPYCACHEPREFIX={PYCACHE} (compiled by an untimed first launch)")
    if not args.skip_feed:
        rate = asyncio.run(feed_rate_without_app(10.0))
        print(f"         the same feed without the app (in-process, 10 s): {rate:,.0f} events/s")
    print(f"\n  {'figure':<44} {'measured':>12} {'target':>13}")
    for cols, rows in sizes:
        frames = first_frame((cols, rows), args.launches)
        load = under_load((cols, rows), args.warmup, args.window, args.tries)
        report(f"{cols}x{rows}", (cols, rows), frames, load, asked, args.window)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
