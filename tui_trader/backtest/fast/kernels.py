"""The compiled loops: each strategy's decisions, the circuit breaker scan and the equity
curve, over whole columns.

Each decision kernel repeats, operation for operation, the float arithmetic of the
incremental indicator it stands for (indicators/averages.py, indicators/momentum.py,
strategies/crossing.py): the same additions, multiplications and divisions in the same
order, so IEEE 754 gives the very same doubles. Numba compiles without `fastmath`, so
LLVM neither reorders nor fuses them (no FMA contraction); the parity tests prove the
actions equal to the strategies' own on every candle.

Actions: 0 HOLD, 1 BUY, 2 SELL. A strategy says HOLD while warming up (fewer than its
`warmup_period` candles seen, Strategy._past_warmup), which `warmup` repeats."""

import numpy as np
from numba import njit

HOLD, BUY, SELL = 0, 1, 2


@njit(cache=True)
def ema_step(x, value, count, total, period, alpha):  # type: ignore[no-untyped-def]
    """EMA.update: (value, count, total, ready) after `x`. TA-Lib seeding: the mean of the
    first `period` values, then value += alpha × (x − value)."""
    if count >= period:
        return value + alpha * (x - value), count, total, True
    count += 1
    total += x
    if count == period:
        return total / period, count, total, True
    return value, count, total, False


@njit(cache=True)
def cross(value, last, past_warmup):  # type: ignore[no-untyped-def]
    """SignFlip.update as an action: (BUY / SELL when `value`'s sign flips up / down from
    the last non-zero one and the warm-up is over, else HOLD; the new last sign)."""
    sign = 1 if value > 0.0 else -1 if value < 0.0 else 0
    if sign == 0:
        return HOLD, last
    if last != -sign or not past_warmup:
        return HOLD, sign
    return (BUY if sign > 0 else SELL), sign


@njit(cache=True)
def ema_cross_actions(close, fast_period, slow_period, warmup):  # type: ignore[no-untyped-def]
    """EmaCrossStrategy._decide: two EMAs and the sign flip of their gap."""
    n = close.shape[0]
    out = np.zeros(n, np.int8)
    fast_alpha = 2.0 / (fast_period + 1)
    slow_alpha = 2.0 / (slow_period + 1)
    fast, fast_count, fast_sum = 0.0, 0, 0.0
    slow, slow_count, slow_sum = 0.0, 0, 0.0
    last = 0
    for i in range(n):
        x = close[i]
        fast, fast_count, fast_sum, fast_ready = ema_step(
            x, fast, fast_count, fast_sum, fast_period, fast_alpha
        )
        slow, slow_count, slow_sum, slow_ready = ema_step(
            x, slow, slow_count, slow_sum, slow_period, slow_alpha
        )
        if fast_ready and slow_ready:
            out[i], last = cross(fast - slow, last, i + 1 >= warmup)
    return out


@njit(cache=True)
def rsi_actions(close, period, oversold, overbought, warmup):  # type: ignore[no-untyped-def]
    """RsiStrategy._decide: Wilder's RSI (seeded with plain means), BUY below oversold,
    SELL above overbought."""
    n = close.shape[0]
    out = np.zeros(n, np.int8)
    count = 0
    avg_gain, avg_loss = 0.0, 0.0
    for i in range(1, n):
        change = close[i] - close[i - 1]
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        if count < period:
            count += 1
            avg_gain += gain
            avg_loss += loss
            if count < period:
                continue
            avg_gain /= period
            avg_loss /= period
        else:
            avg_gain = (avg_gain * (period - 1) + gain) / period
            avg_loss = (avg_loss * (period - 1) + loss) / period
        total = avg_gain + avg_loss
        rsi = 100.0 * avg_gain / total if total > 0.0 else 50.0
        if i + 1 < warmup:
            continue
        if rsi > overbought:
            out[i] = SELL
        elif rsi < oversold:
            out[i] = BUY
    return out


@njit(cache=True)
def scan(open_us, close, offset, shift, pct, margin, state, previous, times, days, near):  # type: ignore[no-untyped-def]
    """One chunk of open times (candles offset, offset + 1, ... of the run): each close
    time in ms into `times` (quiet.py's sample: the correctly rounded µs / 10⁶, × 1000),
    the candles that begin a UTC day into `days`, and into `near` those whose close is
    not clearly inside the circuit breaker's band around the previous day's last close
    (quiet.py's float test with its margin): elsewhere an untripped breaker provably
    stays so. Returns how many of each were found. From chunk to chunk `state` carries
    [the day, 1 once a previous close exists], `previous` [that close]."""
    found, close_by = 0, 0
    for k in range(open_us.shape[0]):
        i = offset + k
        stamp = open_us[k] + shift
        times[i] = int(stamp / 1_000_000 * 1000)
        day = stamp // 86_400_000_000
        if i == 0 or day > state[0]:
            if i > 0:
                state[1] = 1
                previous[0] = close[i - 1]
            state[0] = day
            days[found] = i
            found += 1
        if state[1]:
            prev = previous[0]
            reach = prev * pct / 100 * (1 - margin)
            if not (prev - reach < close[i] < prev + reach):
                near[close_by] = i
                close_by += 1
    return found, close_by


@njit(cache=True)
def equity_curve(close, starts, flats, units, exposed, equity_out, exposed_out):  # type: ignore[no-untyped-def]
    """`equity_out[i] = flat + units × close[i]` with the (flat, units, exposed) in
    force from starts[k] on: BacktestRun.sample's formula, one double multiplication
    and addition each."""
    k = 0
    segments = starts.shape[0]
    for i in range(close.shape[0]):
        while k + 1 < segments and starts[k + 1] <= i:
            k += 1
        equity_out[i] = flats[k] + units[k] * close[i]
        exposed_out[i] = exposed[k]
