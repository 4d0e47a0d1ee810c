"""The fast run's order path, compiled: visit.py, orders.py, book.py and ledger.py's
Decimal operations, one for one, on exact_ints' (coefficient, exponent) pairs, so every
fill, balance and count comes out as the very Decimal those give. A value past their
range raises OverflowError and the run takes the Decimal walk instead (walk.py).

The state lives in arrays that carry over from one chunk of candles to the next:
`st` (the account, the locks, the counters), `book` (the resting orders, oldest first,
one row each), `sent` (RiskManager's send times within the last second). Per chunk the
fills and the equity curve's new lines come out in `fills` and `lines`."""

import numpy as np
from numba import njit

from tui_trader.backtest.fast.compiled_book import equity, match, put
from tui_trader.backtest.fast.compiled_layout import (
    BASE,
    BOOK_N,
    CASH,
    DAY_ENDS,
    DAY_START,
    HELD,
    L_AT,
    L_BASE,
    L_CASH,
    L_EXPOSED,
    N_LINES,
    NEXT_DAY,
    P_CLOSE,
    SHIFT,
)
from tui_trader.backtest.fast.compiled_orders import cancel, signal, stale


@njit(cache=True)
def visit(  # type: ignore[no-untyped-def]
    st, k, book, sent, orders, fills, lines, px, j, act, days, day_close, changes, open_us
):
    """Visit.candle on candle j (of the run): the exchange matches, the day may begin
    (its start-of-day equity), the strategy's signal, the TTL cancels and the intent."""
    first, d = -1, 0
    if j >= st[DAY_ENDS]:
        d = np.searchsorted(days, j, side="right")
        st[DAY_ENDS] = days[d] if d < days.shape[0] else 1 << 62
        d -= 1
        first = days[d]
    if 0 <= first < j:  # the day began on a candle with no event: its close's equity
        c, e = equity(st, day_close[d, 0], day_close[d, 1])
        put(st, DAY_START, c, e)
    day_begins = first == j
    filled = False
    if st[BOOK_N]:
        filled = match(st, k, book, px, j, day_begins, fills)
        if filled:  # the equity curve's line from this candle on
            line = lines[st[N_LINES]]
            line[L_AT], line[L_EXPOSED] = j, st[HELD] != 0
            put(line, L_CASH, st[CASH], st[CASH + 1])
            put(line, L_BASE, st[BASE], st[BASE + 1])
            st[N_LINES] += 1
    if day_begins and not filled:
        c, e = equity(st, px[P_CLOSE], px[P_CLOSE + 1])
        put(st, DAY_START, c, e)
    now = open_us + k[SHIFT]
    if act:
        tripped = np.searchsorted(changes, j, side="right") % 2 == 1
        signal(
            st, k, book, sent, orders, act == 1, px[P_CLOSE], px[P_CLOSE + 1], now, tripped, open_us
        )
    elif st[BOOK_N]:
        cancel(st, book, stale(st, k, book, now))


@njit(cache=True)
def walk_chunk(  # type: ignore[no-untyped-def]
    st, k, book, sent, orders, fills, lines, actions, days, day_close, changes, open_us, px,
    first, start,
):  # fmt: skip
    """The candles first.. of the file in this chunk (open times, and px: rows of price
    pairs open, high, low, volume, close), of the run that begins at `start`: those
    before it and past its actions are skipped. Fills and lines are appended to."""
    count = actions.shape[0]
    for i in range(open_us.shape[0]):
        j = first + i - start
        if j < 0:
            continue
        if j >= count:
            return
        at = st[NEXT_DAY]
        if at < days.shape[0] and days[at] == j:  # a day's first close, read back later
            day_close[at, 0], day_close[at, 1] = px[P_CLOSE, i], px[P_CLOSE + 1, i]
            st[NEXT_DAY] = at + 1
        act = actions[j]
        if act or st[BOOK_N]:
            visit(st, k, book, sent, orders, fills, lines, px[:, i], j, act, days, day_close,
                  changes, open_us[i])  # fmt: skip
