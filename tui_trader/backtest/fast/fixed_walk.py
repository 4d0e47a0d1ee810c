"""The compiled walk (compiled_walk.py) over a fast run, chunk by chunk as the candles
stream from the column cache, its fixed-point figures turned back into the Decimals the
Decimal walk (visit.py) gives, into the same Visit. Returns False, having changed
nothing, when a figure leaves the compiled range: the caller then walks in Decimal."""

from datetime import timedelta
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from tui_trader.backtest.columns import EPOCH
from tui_trader.backtest.fast import compiled_layout as cw
from tui_trader.backtest.fast.compiled_walk import walk_chunk
from tui_trader.backtest.fast.orders import OrderPath
from tui_trader.backtest.fast.source import CHUNK, CLOSE, HIGH, LOW, OPEN, VOLUME
from tui_trader.backtest.fast.visit import Visit
from tui_trader.domain.enums import Side
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.orders import Fill
from tui_trader.execution.idempotency import client_order_id

BOOK_ROWS = 4  # an entry resting in parts and its exit: at most two
_US = timedelta(microseconds=1)


def _decimal(c: int, e: int) -> Decimal:
    return Decimal(c).scaleb(e)


def _pair_of(value: Decimal) -> tuple[int, int]:
    """(coefficient, exponent) of a finite Decimal; OverflowError past the range."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise OverflowError(f"{value} is not a finite number")
    coefficient = int("".join(map(str, digits))) * (-1 if sign else 1)
    if abs(coefficient) >= 10**18:
        raise OverflowError(f"{value} has too many digits for the compiled walk")
    return coefficient, exponent


def settings_row(path: OrderPath, shift: int) -> npt.NDArray[np.int64]:
    """The compiled walk's `k`: the order path's settings and the symbol's rules."""
    k = np.zeros(cw.SETTINGS_SIZE, np.int64)
    rules = path.rules
    pairs = {
        cw.UP_SLIP: 1 + path.slip, cw.DOWN_SLIP: 1 - path.slip,
        cw.UP_FEE: 1 + path.book.fee_rate, cw.FEE: path.book.fee_rate, cw.SHARE: path.share,
        cw.SIZE_PCT: path.size_pct, cw.MAX_POSITION: path.max_position_pct,
        cw.MAX_LOSS: path.max_daily_loss, cw.MAX_SLIP: path.max_slippage,
        cw.TICK: rules.tick_size, cw.STEP: rules.step_size, cw.MIN_QTY: rules.min_qty,
        cw.MAX_QTY: rules.max_qty, cw.MIN_NOTIONAL: rules.min_notional,
        cw.MIN_PRICE: rules.min_price, cw.MAX_PRICE: rules.max_price or Decimal(0),
        cw.MAX_NOTIONAL: rules.max_notional or Decimal(0),
    }  # fmt: skip
    for at, value in pairs.items():
        k[at], k[at + 1] = _pair_of(Decimal(value))
    k[cw.HAS_MAX_NOTIONAL] = rules.max_notional is not None
    k[cw.TTL_US], k[cw.PER_SEC], k[cw.PER_DAY] = path.ttl_us, path.per_sec, path.per_day
    k[cw.MAX_OPEN], k[cw.MARKET], k[cw.SHIFT] = path.max_open, path.market, shift
    return k


def _float(c: int, e: int) -> float:
    """float(Decimal): correctly rounded, as Python's integer division is."""
    return c / 10**-e if e < 0 else float(c * 10**e)


class FixedWalk:
    def __init__(self, visit: Visit, actions: npt.NDArray[np.int8], changes: list[int]) -> None:
        self.visit, self.actions = visit, actions
        market = visit.path.market
        self.k = settings_row(visit.path, visit.shift)
        self.st = np.zeros(cw.STATE_SIZE, np.int64)
        self.st[cw.CASH], self.st[cw.CASH + 1] = _pair_of(visit.account.cash)
        self.st[cw.DAY_ENDS] = self.st[cw.SENT_DAY] = -1
        self.book = np.zeros((BOOK_ROWS, cw.BOOK_FIELDS), np.int64)
        self.sent = np.zeros(visit.path.per_sec + 2, np.int64)
        signals = int(np.count_nonzero(actions))
        self.orders = np.zeros((signals + 1, 2), np.int64)
        self.days = np.asarray(visit.days, np.int64)
        self.day_close = np.zeros((len(visit.days), 2), np.int64)
        self.changes = np.asarray(changes, np.int64)
        self.columns = (OPEN, CLOSE) if market else (HIGH, LOW, VOLUME, CLOSE)
        self.market = market

    def run(self) -> None:
        """Walk every chunk; raises OverflowError (the Visit then untouched) or Damaged."""
        fills: list[npt.NDArray[np.int64]] = []  # fill rows and their candles' close times
        lines: list[tuple[int, float, float, bool]] = []
        source, start = self.visit.source, self.visit.start
        # one buffer for every chunk, room for the most a chunk can give (two resting
        # orders filled on each of its candles); each chunk's rows are copied out of it
        fill_rows = np.zeros((4 * CHUNK + 8, cw.FILL_FIELDS + 1), np.int64)
        line_rows = np.zeros((CHUNK + 1, cw.LINE_FIELDS), np.int64)
        for first, open_us, px in source.price_chunks(self.columns):
            walk_chunk(self.st, self.k, self.book, self.sent, self.orders, fill_rows,
                       line_rows, self.actions, self.days, self.day_close, self.changes,
                       open_us, px, first, start)  # fmt: skip
            rows = fill_rows[: self.st[cw.N_FILLS]].copy()
            rows[:, -1] = open_us[rows[:, cw.F_AT] - (first - start)] + self.visit.shift
            fills.append(rows)
            lines += [_line(row) for row in line_rows[: self.st[cw.N_LINES]].tolist()]
            self.st[cw.N_FILLS] = self.st[cw.N_LINES] = 0
        self._finish(self._fills(fills), lines)

    def _fills(self, chunks: list[npt.NDArray[np.int64]]) -> list[Fill]:
        """The Fill of each row (the candle's close time last), as book.py makes them."""
        path = self.visit.path
        symbol, quote, maker = path.symbol, path.book.quote, not self.market
        orders = self.orders[: self.st[cw.N_ORDERS]].tolist()
        kinds = {
            cw.BUY: f"entry-{path.strategy}-{symbol}-",
            cw.SELL: f"exit-{path.strategy}-{symbol}-",
        }
        # orders.py's intent id: the candle's open time in ms as dt_to_ms gives it
        ids = [client_order_id(f"{kinds[side]}{int(open_us / 1_000_000 * 1000)}")
               for side, open_us in orders]  # fmt: skip
        sides = [Side.SELL if side == cw.SELL else Side.BUY for side, _ in orders]
        # all the rows as Python ints at once: by chunks, their freed ints would sit
        # between the fills' objects and keep the allocator's arenas (measured: a higher peak)
        rows = np.concatenate(chunks) if chunks else np.zeros((0, cw.FILL_FIELDS + 1), np.int64)
        out = []
        for oid, _, qc, qe, pc, pe, fc, fe, trade, close_us in rows.tolist():
            cid = ids[oid]
            out.append(Fill(
                client_order_id=cid, symbol=symbol, side=sides[oid],
                quantity=Decimal(qc).scaleb(qe), price=Decimal(pc).scaleb(pe),
                fee=Decimal(fc).scaleb(fe), fee_asset=quote, ts=EPOCH + close_us * _US,
                trade_id=f"{cid}-{trade}", is_maker=maker,
            ))  # fmt: skip
        return out

    def _finish(self, fills: list[Fill], lines: list[tuple[int, float, float, bool]]) -> None:
        st, visit = self.st.tolist(), self.visit
        account, counts = visit.account, visit.path.counts
        account.cash, account.base = (
            _decimal(*st[cw.CASH : cw.CASH + 2]),
            _decimal(*st[cw.BASE : cw.BASE + 2]),
        )
        account.held, account.fees = (
            _decimal(*st[cw.HELD : cw.HELD + 2]),
            _decimal(*st[cw.FEES : cw.FEES + 2]),
        )
        account.fills = fills
        for start, flat, units, exposed in lines:
            visit.starts.append(start)
            visit.flats.append(flat)
            visit.units.append(units)
            visit.exposed.append(exposed)
        counts.intents, counts.orders = st[cw.INTENTS], st[cw.ORDERS]
        counts.rejected, counts.cancels = st[cw.REJECTED], st[cw.CANCELS]
        for index, name in enumerate(cw.REFUSALS):
            if st[cw.REFUSED + index]:
                counts.refusals[name] += st[cw.REFUSED + index]
                counts.safety[SafetyKind.RISK_REJECTED] += st[cw.REFUSED + index]
        if counts.rejected:
            counts.safety[SafetyKind.ORDER_REJECTED] += counts.rejected


def _line(row: list[int]) -> tuple[int, float, float, bool]:
    j, cc, ce, bc, be, exposed = row
    return j, _float(cc, ce), _float(bc, be), bool(exposed)
