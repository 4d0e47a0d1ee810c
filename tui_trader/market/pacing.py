"""Playing timed market events back against real time, and candle interval arithmetic.

Targets are computed from the loop clock at the first event, never by adding up sleeps,
so scheduling jitter does not accumulate into drift over a long run.
"""

import asyncio
import math

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def interval_seconds(label: str) -> int:
    """Seconds in a Binance-style interval label ("1s", "1m", "15m", "4h", "1d", "1w")."""
    count, unit = label[:-1], label[-1:]
    if unit not in _UNIT_SECONDS or not count.isdigit() or int(count) <= 0:
        raise ValueError(
            f"unknown candle interval {label!r}: expected a count and one of s m h d w, e.g. 1m"
        )
    return int(count) * _UNIT_SECONDS[unit]


def interval_label(seconds: float) -> str:
    """The label for a candle period of `seconds`, in the largest unit that divides it."""
    if seconds > 0 and float(seconds).is_integer():
        whole = int(seconds)
        for unit, size in sorted(_UNIT_SECONDS.items(), key=lambda item: -item[1]):
            if whole % size == 0:
                return f"{whole // size}{unit}"
    return f"{seconds}s"


class Pacer:
    """Holds a stream to `speed` times real time. Speed 0 means as fast as possible,
    yet it still hands the loop a turn every `yield_every` events so other tasks run."""

    def __init__(self, speed: float, yield_every: int = 512) -> None:
        if not math.isfinite(speed) or speed < 0:
            raise ValueError(f"speed must be a finite number >= 0, got {speed}")
        self._speed = speed
        self._yield_every = max(1, yield_every)
        self._since_yield = 0
        self._origin: tuple[float, float] | None = None  # (loop time, stream time)
        self._stopped = asyncio.Event()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def stop(self) -> None:
        """Wake a pending wait and make every later wait return False at once."""
        self._stopped.set()

    async def wait(self, stream_sec: float) -> bool:
        """Wait until the event at `stream_sec` (seconds in stream time) is due.
        Returns False when the pacer was stopped."""
        if self._stopped.is_set():
            return False
        delay = self._delay(stream_sec)
        if delay > 0:
            self._since_yield = 0
            try:
                await asyncio.wait_for(self._stopped.wait(), timeout=delay)
            except TimeoutError:
                return True
            return False
        self._since_yield += 1
        if self._since_yield >= self._yield_every:
            self._since_yield = 0
            await asyncio.sleep(0)
        return not self._stopped.is_set()

    def _delay(self, stream_sec: float) -> float:
        if self._speed == 0:
            return 0.0
        now = asyncio.get_running_loop().time()
        if self._origin is None:
            self._origin = (now, stream_sec)
        real_origin, stream_origin = self._origin
        return real_origin + (stream_sec - stream_origin) / self._speed - now
