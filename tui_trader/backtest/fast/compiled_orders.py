"""The compiled walk's order path: orders.py's intents, risk checks and placements, one
Decimal operation for one, on exact_ints' (coefficient, exponent) pairs."""

from numba import njit

from tui_trader.backtest.fast.compiled_book import balance, equity, lock_at, per_unit, put, remove
from tui_trader.backtest.fast.compiled_layout import (
    ASSET,
    BOOK_N,
    BUY,
    CANCELS,
    CREATED,
    DAY_COUNT,
    DAY_START,
    DAY_US,
    DOWN_SLIP,
    EXIT,
    HAS_MAX_NOTIONAL,
    HELD,
    INTENTS,
    LIMIT,
    LOCK,
    MARKET,
    MAX_LOSS,
    MAX_NOTIONAL,
    MAX_OPEN,
    MAX_POSITION,
    MAX_PRICE,
    MAX_QTY,
    MAX_SLIP,
    MIN_NOTIONAL,
    MIN_PRICE,
    MIN_QTY,
    N_ORDERS,
    OID,
    ORDERS,
    PER_DAY,
    PER_SEC,
    PER_UNIT,
    QTY,
    REFUSED,
    REJECTED,
    SECOND_US,
    SELL,
    SENT_DAY,
    SENT_HEAD,
    SENT_LEN,
    SIDE,
    SIZE_PCT,
    STEP,
    TICK,
    TTL_US,
    UP_SLIP,
)
from tui_trader.backtest.fast.exact_ints import (
    cmp,
    floor_div,
    is_multiple,
    mul,
    normalize,
    value_add,
    value_mul,
)


@njit(cache=True)
def stale(st, k, book, now):  # type: ignore[no-untyped-def]
    """OrderPath.stale: the ids of open entries at least the TTL old."""
    found = []
    for r in range(st[BOOK_N]):
        if not book[r, EXIT] and now - book[r, CREATED] >= k[TTL_US]:
            found.append(book[r, OID])
    return found


@njit(cache=True)
def cancel(st, book, ids):  # type: ignore[no-untyped-def]
    for oid in ids:
        st[CANCELS] += 1
        for r in range(st[BOOK_N]):
            if book[r, OID] == oid:
                remove(st, book, r)
                break


@njit(cache=True)
def round_to(k, c, e, up):  # type: ignore[no-untyped-def]
    """SymbolRules.round_price: to the tick, down (buys) or up (sells), normalized."""
    n = floor_div(c, e, k[TICK], k[TICK + 1])
    rc, re = mul(n, 0, k[TICK], k[TICK + 1])
    if up and cmp(rc, re, c, e) < 0:
        rc, re = mul(n + 1, 0, k[TICK], k[TICK + 1])
    return normalize(rc, re)


@njit(cache=True)
def lots(k, c, e):  # type: ignore[no-untyped-def]
    """SymbolRules.round_qty of a positive value: down to the step, normalized."""
    n = floor_div(c, e, k[STEP], k[STEP + 1])
    qc, qe = mul(n, 0, k[STEP], k[STEP + 1])
    return normalize(qc, qe)


@njit(cache=True)
def sent_last_second(st, sent, now):  # type: ignore[no-untyped-def]
    """RiskManager._per_second's count of sends after now − 1 s."""
    n, head, size = st[SENT_LEN], st[SENT_HEAD], sent.shape[0]
    count = 0
    for i in range(n):
        if sent[(head + i) % size] > now - SECOND_US:
            count += 1
    return count


@njit(cache=True)
def record_sent(st, sent, now):  # type: ignore[no-untyped-def]
    """RiskManager.record_sent: the send time kept for a second, the day's count."""
    size = sent.shape[0]
    if st[SENT_LEN] == size:
        raise OverflowError("more sends within a second than the ring holds")
    sent[(st[SENT_HEAD] + st[SENT_LEN]) % size] = now
    st[SENT_LEN] += 1
    while st[SENT_LEN] and sent[st[SENT_HEAD]] <= now - SECOND_US:
        st[SENT_HEAD] = (st[SENT_HEAD] + 1) % size
        st[SENT_LEN] -= 1
    day = now // DAY_US
    if day > st[SENT_DAY]:
        st[SENT_DAY], st[DAY_COUNT] = day, 0
    st[DAY_COUNT] += 1


@njit(cache=True)
def filters_fail(k, qc, qe, pc, pe):  # type: ignore[no-untyped-def]
    """SymbolRules.violations, less the price filter for a MARKET order: any left."""
    if not k[MARKET] and price_fails(k, pc, pe):
        return True
    if cmp(qc, qe, k[MIN_QTY], k[MIN_QTY + 1]) < 0 or cmp(qc, qe, k[MAX_QTY], k[MAX_QTY + 1]) > 0:
        return True
    if not is_multiple(qc, qe, k[STEP], k[STEP + 1]):
        return True
    nc, ne = value_mul(qc, qe, pc, pe)
    if cmp(nc, ne, k[MIN_NOTIONAL], k[MIN_NOTIONAL + 1]) < 0:
        return True
    return bool(k[HAS_MAX_NOTIONAL]) and cmp(nc, ne, k[MAX_NOTIONAL], k[MAX_NOTIONAL + 1]) > 0


@njit(cache=True)
def price_fails(k, pc, pe):  # type: ignore[no-untyped-def]
    """The price filter: out of [min, max] (max 0: none) or off the tick."""
    if pc <= 0 or cmp(pc, pe, k[MIN_PRICE], k[MIN_PRICE + 1]) < 0:
        return True
    if k[MAX_PRICE] != 0 and cmp(pc, pe, k[MAX_PRICE], k[MAX_PRICE + 1]) > 0:
        return True
    return not is_multiple(pc, pe, k[TICK], k[TICK + 1])


@njit(cache=True)
def refusal(st, k, sent, side, qc, qe, pc, pe, cc, ce, now, tripped):  # type: ignore[no-untyped-def]
    """OrderPath._refusal: the index of the first risk check that fails, or -1. p: the
    limit price, or the close for a MARKET order."""
    if filters_fail(k, qc, qe, pc, pe):
        return 0
    if not k[MARKET]:
        wc, we = value_add(pc, pe, -cc, ce) if side == BUY else value_add(cc, ce, -pc, pe)
        lc, le = value_mul(wc, we, 10000, 0)
        rc, re = value_mul(k[MAX_SLIP], k[MAX_SLIP + 1], cc, ce)
        if cmp(lc, le, rc, re) > 0:  # not worse / close × 10⁴ ≤ max
            return 1
    if side == SELL and cmp(qc, qe, max(st[HELD], 0), st[HELD + 1]) > 0:
        return 2
    if sent_last_second(st, sent, now) >= k[PER_SEC]:
        return 3
    if side == SELL:
        return -1
    return entry_refusal(st, k, qc, qe, pc, pe, cc, ce, now, tripped)


@njit(cache=True)
def entry_refusal(st, k, qc, qe, pc, pe, cc, ce, now, tripped):  # type: ignore[no-untyped-def]
    ec, ee = equity(st, cc, ce)
    hc, he = value_mul(abs(st[HELD]), st[HELD + 1], cc, ce)
    nc, ne = value_mul(qc, qe, pc, pe)
    tc, te = value_add(hc, he, nc, ne)
    tc, te = value_mul(tc, te, 100, 0)
    mc, me = value_mul(ec, ee, k[MAX_POSITION], k[MAX_POSITION + 1])
    if not (ec > 0 and cmp(tc, te, mc, me) <= 0):  # total ≤ equity × max / 100
        return 4
    if k[MAX_OPEN] < 1:
        return 5
    dc, de = st[DAY_START], st[DAY_START + 1]
    if dc == 0:  # `day_start or equity`
        dc, de = ec, ee
    if dc <= 0:
        return 6
    lc, le = value_add(dc, de, -ec, ee)
    lc, le = value_mul(lc, le, 100, 0)
    rc, re = value_mul(k[MAX_LOSS], k[MAX_LOSS + 1], dc, de)
    if cmp(lc, le, rc, re) >= 0:  # not (start − equity) / start × 100 < max
        return 6
    if tripped:
        return 7
    today = st[DAY_COUNT] if st[SENT_DAY] == now // DAY_US else 0
    return -1 if today < k[PER_DAY] else 8


@njit(cache=True)
def place(st, k, book, sent, orders, side, qc, qe, lc, le, cc, ce, now, tripped, open_us):  # type: ignore[no-untyped-def]
    """OrderPath._place: the risk checks, then the exchange's acceptance (the funds the
    order locks). `l`: the limit price (ignored for a MARKET order)."""
    st[INTENTS] += 1
    pc, pe = (cc, ce) if k[MARKET] else (lc, le)
    failed = refusal(st, k, sent, side, qc, qe, pc, pe, cc, ce, now, tripped)
    if failed >= 0:
        st[REFUSED + failed] += 1
        return
    if k[MARKET]:
        slip = UP_SLIP if side == BUY else DOWN_SLIP
        pc, pe = value_mul(cc, ce, k[slip], k[slip + 1])
    asset, uc, ue = per_unit(k, side, pc, pe)
    ac, ae = value_mul(uc, ue, qc, qe)
    record_sent(st, sent, now)
    bc, be = balance(st, asset)
    at = lock_at(asset)
    fc, fe = value_add(bc, be, -st[at], st[at + 1])
    if cmp(ac, ae, fc, fe) > 0:
        st[REJECTED] += 1
        return
    st[ORDERS] += 1
    n, oid = st[BOOK_N], st[N_ORDERS]
    if n == book.shape[0]:
        raise OverflowError("more resting orders than the book holds")
    row = book[n]
    row[:] = 0
    row[OID], row[SIDE], row[EXIT], row[CREATED], row[ASSET] = oid, side, side == SELL, now, asset
    put(row, QTY, qc, qe)
    put(row, LIMIT, lc, le)
    put(row, PER_UNIT, uc, ue)
    put(row, LOCK, ac, ae)
    orders[oid, 0], orders[oid, 1] = side, open_us
    st[BOOK_N], st[N_ORDERS] = n + 1, oid + 1
    fc, fe = value_add(st[at], st[at + 1], ac, ae)
    put(st, at, fc, fe)


@njit(cache=True)
def signal(st, k, book, sent, orders, buy, cc, ce, now, tripped, open_us):  # type: ignore[no-untyped-def]
    """OrderPath.on_signal: decided on the book as it stands, then the TTL cancels, then
    the intent (TradingCore._act_on's entry or signal exit)."""
    old = stale(st, k, book, now)
    hc, he, n = st[HELD], st[HELD + 1], st[BOOK_N]
    side, qc, qe, lc, le = -1, 0, 0, 0, 0
    if not buy and hc > 0:
        qc, qe = lots(k, hc, he)
        exiting = False
        for r in range(n):
            exiting = exiting or book[r, EXIT] == 1
        if not exiting and qc > 0:
            side = SELL
            if not k[MARKET]:
                lc, le = round_to(k, cc, ce, True)
    elif buy and hc == 0 and n == 0:
        ec, ee = equity(st, cc, ce)
        bc, be = value_mul(ec, ee, k[SIZE_PCT], k[SIZE_PCT + 1])  # × size / 100: the - 2 below
        dc, de = value_mul(cc, ce, k[STEP], k[STEP + 1])
        if bc > 0:
            qc, qe = mul(floor_div(bc, be - 2, dc, de), 0, k[STEP], k[STEP + 1])
            qc, qe = normalize(qc, qe)
        if qc > 0:
            side = BUY
            if not k[MARKET]:
                lc, le = round_to(k, cc, ce, False)
    if len(old):
        cancel(st, book, old)
    if side >= 0:
        place(st, k, book, sent, orders, side, qc, qe, lc, le, cc, ce, now, tripped, open_us)
