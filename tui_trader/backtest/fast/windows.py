"""Compiled decisions of the strategies whose indicators keep a window of closes (MACD's
seed, Bollinger bands), with the windows' exact resummation (`math.fsum`, ported).

The live indicators recompute a running sum from the window every RESYNC_EVERY updates
with math.fsum, the correctly rounded sum of the window. A correctly rounded sum has
one answer, so any exact algorithm gives the same double; `fsum` below is CPython's own
(Shewchuk's partials with its half-even correction), for finite values."""

import numpy as np
from numba import njit

from tui_trader.backtest.fast.kernels import BUY, SELL, cross, ema_step
from tui_trader.indicators.averages import RESYNC_EVERY


@njit(cache=True)
def fsum(values):  # type: ignore[no-untyped-def]
    """math.fsum of a 1-d float array (mathmodule.c's math_fsum_impl, finite inputs)."""
    partials = np.empty(values.shape[0] + 1, np.float64)
    count = 0
    for k in range(values.shape[0]):
        x = values[k]
        i = 0
        for j in range(count):
            y = partials[j]
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo != 0.0:
                partials[i] = lo
                i += 1
            x = hi
        partials[i] = x
        count = i + 1
    hi = 0.0
    n = count
    if n > 0:
        n -= 1
        hi = partials[n]
        lo = 0.0
        while n > 0:
            x = hi
            n -= 1
            y = partials[n]
            hi = x + y
            lo = y - (hi - x)
            if lo != 0.0:
                break
        if n > 0 and ((lo < 0.0 and partials[n - 1] < 0.0) or (lo > 0.0 and partials[n - 1] > 0.0)):
            y = lo * 2.0
            x = hi + y
            if y == x - hi:
                hi = x
    return hi


@njit(cache=True)
def _ordered(ring, head):  # type: ignore[no-untyped-def]
    """The window oldest first (a deque's order), from a ring whose oldest is at head."""
    size = ring.shape[0]
    out = np.empty(size, np.float64)
    for k in range(size):
        out[k] = ring[(head + k) % size]
    return out


@njit(cache=True)
def macd_actions(close, fast_period, slow_period, signal_period, warmup):  # type: ignore[no-untyped-def]
    """MacdStrategy._decide: TA-Lib's MACD (the fast EMA seeded with the mean of the last
    `fast` closes when the slow one seeds) and the sign flip of its histogram."""
    n = close.shape[0]
    out = np.zeros(n, np.int8)
    ring = np.empty(fast_period, np.float64)
    filled, head, since, window_sum = 0, 0, 0, 0.0
    fast_alpha = 2.0 / (fast_period + 1)
    slow_alpha = 2.0 / (slow_period + 1)
    signal_alpha = 2.0 / (signal_period + 1)
    slow, slow_count, slow_sum = 0.0, 0, 0.0
    signal, signal_count, signal_sum = 0.0, 0, 0.0
    fast, fast_ready = 0.0, False
    last = 0
    for i in range(n):
        x = close[i]
        slow, slow_count, slow_sum, slow_ready = ema_step(
            x, slow, slow_count, slow_sum, slow_period, slow_alpha
        )
        have_fast = fast_ready
        value = fast
        if not fast_ready:  # RollingMean(fast).update
            if filled == fast_period:
                window_sum -= ring[head]
                ring[head] = x
                head = (head + 1) % fast_period
            else:
                ring[filled] = x
                filled += 1
            window_sum += x
            if filled == fast_period:
                since += 1
                if since >= RESYNC_EVERY:
                    window_sum = fsum(_ordered(ring, head))
                    since = 0
                value = window_sum / fast_period
                have_fast = True
        else:
            value = fast + fast_alpha * (x - fast)
        if not (slow_ready and have_fast):
            continue
        fast, fast_ready = value, True
        macd = value - slow
        signal, signal_count, signal_sum, signal_ready = ema_step(
            macd, signal, signal_count, signal_sum, signal_period, signal_alpha
        )
        if signal_ready:
            out[i], last = cross(macd - signal, last, i + 1 >= warmup)
    return out


@njit(cache=True)
def bollinger_actions(close, period, num_std, max_width_pct, min_width_pct, warmup):  # type: ignore[no-untyped-def]
    """BollingerStrategy._decide: bands by the sliding Welford update (Bollinger.update)
    and a re-entry from outside a band; BUY only while the bandwidth is within
    [min_width_pct, max_width_pct]."""
    n = close.shape[0]
    out = np.zeros(n, np.int8)
    ring = np.empty(period, np.float64)
    filled, head, since = 0, 0, 0
    mean, m2 = 0.0, 0.0
    have_prev = False
    prev_close, prev_lower, prev_upper = 0.0, 0.0, 0.0
    for i in range(n):
        x = close[i]
        if filled < period:
            ring[filled] = x
            filled += 1
            delta = x - mean
            mean += delta / filled
            m2 += delta * (x - mean)
            if filled < period:
                continue
        else:
            old = ring[head]
            ring[head] = x
            head = (head + 1) % period
            moved = mean + (x - old) / period
            m2 += (x - old) * (x - moved + old - mean)
            mean = moved
            since += 1
            if since >= RESYNC_EVERY:
                since = 0
                window = _ordered(ring, head)
                mean = fsum(window) / period
                m2 = fsum((window - mean) ** 2)
        std = np.sqrt(max(m2, 0.0) / period)
        upper = mean + num_std * std
        lower = mean - num_std * std
        if mean == 0.0:
            continue  # no bandwidth: the strategy waits, its previous bands kept
        width_pct = (upper - lower) / mean * 100.0
        was_prev = have_prev
        p_close, p_lower, p_upper = prev_close, prev_lower, prev_upper
        have_prev, prev_close, prev_lower, prev_upper = True, x, lower, upper
        if not was_prev or i + 1 < warmup:
            continue
        if p_close > p_upper and x <= upper:
            out[i] = SELL
        elif p_close < p_lower and x >= lower and min_width_pct <= width_pct <= max_width_pct:
            out[i] = BUY
    return out
