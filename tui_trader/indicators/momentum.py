"""Momentum indicators: Wilder's RSI and MACD, O(1) per update, seeded as TA-Lib."""

from tui_trader.indicators.averages import EMA, SMA, require_period


class RSI:
    """Relative strength index with Wilder smoothing, as TA-Lib computes it.

    Seeding: the first close only sets the previous close; after `period` changes
    (update number period+1) the average gain and loss are the simple means of those
    changes; later each is smoothed as avg = (avg * (period - 1) + change) / period.
    RSI = 100 * avg_gain / (avg_gain + avg_loss). One deliberate difference from TA-Lib:
    a window with no movement at all gives 50 (TA-Lib says 0), so a flat market never
    reads as oversold."""

    __slots__ = ("_avg_gain", "_avg_loss", "_count", "_period", "_prev", "_value")

    def __init__(self, period: int = 14) -> None:
        self._period = require_period(period)
        self.reset()

    @property
    def period(self) -> int:
        return self._period

    @property
    def value(self) -> float | None:
        return self._value

    def reset(self) -> None:
        self._prev: float | None = None
        self._count = 0
        self._avg_gain = 0.0
        self._avg_loss = 0.0
        self._value: float | None = None

    def update(self, close: float) -> float | None:
        prev = self._prev
        self._prev = close
        if prev is None:
            return None
        change = close - prev
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        period = self._period
        if self._count < period:
            # Seeding: sum the first `period` changes, divide once they are all in.
            self._count += 1
            self._avg_gain += gain
            self._avg_loss += loss
            if self._count < period:
                return None
            self._avg_gain /= period
            self._avg_loss /= period
        else:
            self._avg_gain = (self._avg_gain * (period - 1) + gain) / period
            self._avg_loss = (self._avg_loss * (period - 1) + loss) / period
        total = self._avg_gain + self._avg_loss
        self._value = 100.0 * self._avg_gain / total if total > 0.0 else 50.0
        return self._value


class MACD:
    """MACD line, signal line and histogram, EMA-based exactly as TA-Lib's MACD.

    Seeding: the slow EMA is the mean of the first `slow` closes (update number `slow`).
    TA-Lib seeds the fast EMA at that same update with the mean of the last `fast` closes
    (not of the first `fast`), so its fast EMA differs from a standalone EMA(fast); this
    class does the same. macd = fast EMA - slow EMA; signal = EMA(signal) of macd, seeded
    with the mean of its first `signal` values; histogram = macd - signal. `update` returns
    the MACD line, and None until all three exist (update slow + signal - 1, i.e. 34 for
    12/26/9, the first index TA-Lib fills)."""

    __slots__ = ("_fast", "_fast_alpha", "_fast_window", "_hist", "_macd", "_signal", "_slow")

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        require_period(fast)
        require_period(signal)
        if require_period(slow, 2) <= fast:
            raise ValueError(f"MACD fast period {fast} must be below slow period {slow}")
        self._fast_window = SMA(fast)
        self._fast_alpha = 2.0 / (fast + 1)
        self._slow = EMA(slow)
        self._signal = EMA(signal)
        self.reset()

    def reset(self) -> None:
        self._fast_window.reset()
        self._slow.reset()
        self._signal.reset()
        self._fast: float | None = None
        self._macd: float | None = None
        self._hist: float | None = None

    @property
    def value(self) -> float | None:
        return self._macd

    @property
    def signal(self) -> float | None:
        return self._signal.value if self._hist is not None else None

    @property
    def histogram(self) -> float | None:
        return self._hist

    def update(self, close: float) -> float | None:
        slow = self._slow.update(close)
        fast = self._fast
        if fast is None:
            # Until the slow EMA seeds, only track the mean of the last `fast` closes.
            fast = self._fast_window.update(close)
        else:
            fast += self._fast_alpha * (close - fast)
        if slow is None or fast is None:
            return None
        self._fast = fast
        macd = fast - slow
        signal = self._signal.update(macd)
        if signal is None:
            return None
        self._macd = macd
        self._hist = macd - signal
        return macd
