"""The compiled walk's account and paper exchange: book.py and ledger.py's Decimal
operations, one for one, on exact_ints' (coefficient, exponent) pairs."""

from numba import njit

from tui_trader.backtest.fast.compiled_layout import (
    ASSET,
    BASE,
    BASE_ASSET,
    BOOK_N,
    BUY,
    CASH,
    DAY_START,
    DOWN_SLIP,
    F_AT,
    F_FEE,
    F_ORDER,
    F_PRICE,
    F_QTY,
    F_TRADE,
    FEE,
    FEES,
    FILLED,
    HELD,
    LIMIT,
    LOCK,
    LOCK_BASE,
    LOCK_QUOTE,
    MARKET,
    N_FILLS,
    OID,
    P_HIGH,
    P_LOW,
    P_OPEN,
    P_VOLUME,
    PER_UNIT,
    QTY,
    QUOTE,
    SELL,
    SHARE,
    SIDE,
    STEP,
    TRADES,
    UP_FEE,
    UP_SLIP,
)
from tui_trader.backtest.fast.exact_ints import (
    add,
    cmp,
    floor_div,
    mul,
    sub,
    value_add,
    value_mul,
)


@njit(cache=True)
def pair(a, at):  # type: ignore[no-untyped-def]
    return a[at], a[at + 1]


@njit(cache=True)
def put(a, at, c, e):  # type: ignore[no-untyped-def]
    a[at] = c
    a[at + 1] = e


@njit(cache=True)
def equity(st, mc, me):  # type: ignore[no-untyped-def]
    """Account.equity: cash + (0 + base × mark)."""
    bc, be = value_mul(st[BASE], st[BASE + 1], mc, me)
    zc, ze = value_add(0, 0, bc, be)
    return value_add(st[CASH], st[CASH + 1], zc, ze)


@njit(cache=True)
def balance(st, asset):  # type: ignore[no-untyped-def]
    return pair(st, CASH if asset == QUOTE else BASE)


@njit(cache=True)
def lock_at(asset):  # type: ignore[no-untyped-def]
    return LOCK_QUOTE if asset == QUOTE else LOCK_BASE


@njit(cache=True)
def per_unit(k, side, pc, pe):  # type: ignore[no-untyped-def]
    """Book.cost: (asset, funds per unit) at price p."""
    if side == SELL:
        return BASE_ASSET, 1, 0
    c, e = value_mul(pc, pe, k[UP_FEE], k[UP_FEE + 1])
    return QUOTE, c, e


@njit(cache=True)
def release(st, row, qc, qe, whole):  # type: ignore[no-untyped-def]
    """Book.release: the lock freed by `q` units filled (or all of it)."""
    lc, le = row[LOCK], row[LOCK + 1]
    if whole:
        ac, ae = lc, le
    else:
        ac, ae = value_mul(qc, qe, row[PER_UNIT], row[PER_UNIT + 1])
        if cmp(lc, le, ac, ae) <= 0:  # min(order.lock, amount): the first when equal
            ac, ae = lc, le
    c, e = value_add(lc, le, -ac, ae)
    put(row, LOCK, c, e)
    at = lock_at(row[ASSET])
    c, e = value_add(st[at], st[at + 1], -ac, ae)
    put(st, at, c, e)


@njit(cache=True)
def remove(st, book, index):  # type: ignore[no-untyped-def]
    """Book.close: free what the order still holds; it leaves the book."""
    release(st, book[index], 0, 0, True)
    n = st[BOOK_N]
    for r in range(index, n - 1):
        book[r, :] = book[r + 1, :]
    st[BOOK_N] = n - 1


@njit(cache=True)
def book_fill(st, side, qc, qe, pc, pe, fc, fe):  # type: ignore[no-untyped-def]
    """Account.book for a fill whose fee is in quote."""
    nc, ne = mul(qc, qe, pc, pe)
    qfc, qfe = sub(fc, fe, 0, 0)
    if side == BUY:
        tc, te = add(nc, ne, qfc, qfe)
        cc, ce = add(st[CASH], st[CASH + 1], -tc, te)
        dc, de = sub(qc, qe, 0, 0)
        bc, be = add(st[BASE], st[BASE + 1], dc, de)
        hc, he = add(st[HELD], st[HELD + 1], dc, de)
    else:
        tc, te = sub(nc, ne, qfc, qfe)
        cc, ce = add(st[CASH], st[CASH + 1], tc, te)
        dc, de = add(qc, qe, 0, 0)
        bc, be = add(st[BASE], st[BASE + 1], -dc, de)
        hc, he = st[HELD], st[HELD + 1]
        if cmp(hc, he, dc, de) < 0:  # min(quantity + 0, held): the first when equal
            dc, de = hc, he
        hc, he = add(hc, he, -dc, de)
    put(st, CASH, cc, ce)
    put(st, BASE, bc, be)
    put(st, HELD, hc, he)
    fc, fe = add(st[FEES], st[FEES + 1], fc, fe)
    put(st, FEES, fc, fe)


@njit(cache=True)
def execute(st, k, book, index, qc, qe, pc, pe, j, fills):  # type: ignore[no-untyped-def]
    """Book._execute: fill q at p unless the funds fall short (the order then expires);
    whether it filled. A final order leaves the book."""
    row = book[index]
    asset, uc, ue = per_unit(k, row[SIDE], pc, pe)
    bc, be = balance(st, asset)
    at = lock_at(asset)
    fc, fe = value_add(bc, be, -st[at], st[at + 1])
    ac, ae = value_add(fc, fe, row[LOCK], row[LOCK + 1])
    nc, ne = value_mul(uc, ue, qc, qe)
    short = cmp(nc, ne, ac, ae) > 0
    if not short:
        row[TRADES] += 1
        nc, ne = mul(qc, qe, pc, pe)
        fc, fe = mul(nc, ne, k[FEE], k[FEE + 1])
        n = st[N_FILLS]
        out = fills[n]
        out[F_ORDER], out[F_AT], out[F_TRADE] = row[OID], j, row[TRADES]
        put(out, F_QTY, qc, qe)
        put(out, F_PRICE, pc, pe)
        put(out, F_FEE, fc, fe)
        st[N_FILLS] = n + 1
        release(st, row, qc, qe, False)
        book_fill(st, row[SIDE], qc, qe, pc, pe, fc, fe)
        fc, fe = add(row[FILLED], row[FILLED + 1], qc, qe)
        put(row, FILLED, fc, fe)
    done = cmp(row[FILLED], row[FILLED + 1], row[QTY], row[QTY + 1]) == 0
    if done or short or k[MARKET]:
        remove(st, book, index)
    return not short


@njit(cache=True)
def match(st, k, book, px, j, day_begins, fills):  # type: ignore[no-untyped-def]
    """Book.match on candle j, px its (open, high, low, volume) pairs: MARKET orders at
    the open slipped against them, LIMIT orders on a trade through their price within
    the candle's volume share. Whether anything filled (the day's start equity then is
    that of its first fill, TradingCore.on_fill)."""
    filled = False
    cap_c, cap_e = value_mul(k[SHARE], k[SHARE + 1], px[P_VOLUME], px[P_VOLUME + 1])
    ids = book[: st[BOOK_N], OID].copy()  # list(self.orders): a snapshot
    for oid in ids:
        index = -1
        for r in range(st[BOOK_N]):
            if book[r, OID] == oid:
                index = r
        if index < 0:
            continue
        row = book[index]
        if k[MARKET]:
            slip = UP_SLIP if row[SIDE] == BUY else DOWN_SLIP
            pc, pe = mul(px[P_OPEN], px[P_OPEN + 1], k[slip], k[slip + 1])
            qc, qe = sub(row[QTY], row[QTY + 1], row[FILLED], row[FILLED + 1])
        else:
            pc, pe = row[LIMIT], row[LIMIT + 1]
            if row[SIDE] == BUY:
                through = cmp(px[P_LOW], px[P_LOW + 1], pc, pe) < 0
            else:
                through = cmp(px[P_HIGH], px[P_HIGH + 1], pc, pe) > 0
            if not through or cap_c <= 0:
                continue
            qc, qe = sub(row[QTY], row[QTY + 1], row[FILLED], row[FILLED + 1])
            if cmp(cap_c, cap_e, qc, qe) < 0:  # min(remaining, capacity)
                qc, qe = cap_c, cap_e
            qc, qe = mul(floor_div(qc, qe, k[STEP], k[STEP + 1]), 0, k[STEP], k[STEP + 1])
            if qc <= 0:
                continue
        if execute(st, k, book, index, qc, qe, pc, pe, j, fills):
            if day_begins and not filled:
                dc, de = equity(st, pc, pe)
                put(st, DAY_START, dc, de)
            filled = True
            cap_c, cap_e = value_add(cap_c, cap_e, -qc, qe)
    return filled
