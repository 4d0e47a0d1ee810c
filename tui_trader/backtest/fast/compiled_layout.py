"""Where the compiled walk keeps its state: the rows and columns of its arrays, shared
by compiled_book.py, compiled_orders.py and compiled_walk.py (see the last for the
whole picture). Money is a pair of columns: coefficient, exponent (exact_ints.py)."""

# st: the account and the run's counters
CASH, BASE, HELD, FEES, DAY_START, LOCK_QUOTE, LOCK_BASE = 0, 2, 4, 6, 8, 10, 12  # (c, e)
DAY_ENDS, SENT_DAY, DAY_COUNT, SENT_HEAD, SENT_LEN, NEXT_DAY, BOOK_N = 14, 15, 16, 17, 18, 19, 20
N_ORDERS, INTENTS, ORDERS, REJECTED, CANCELS, N_FILLS, N_LINES = 21, 22, 23, 24, 25, 26, 27
REFUSED = 28  # + the refusal's index in REFUSALS
REFUSALS = ("filters", "slippage", "spot_oversell", "orders_per_sec", "position_size",
            "open_positions", "daily_loss", "circuit_breaker", "orders_per_day")  # fmt: skip
STATE_SIZE = REFUSED + len(REFUSALS)
# k: the settings, (c, e) pairs then integers
UP_SLIP, DOWN_SLIP, UP_FEE, FEE, SHARE, SIZE_PCT, MAX_POSITION = 0, 2, 4, 6, 8, 10, 12
MAX_LOSS, MAX_SLIP, TICK, STEP, MIN_QTY, MAX_QTY, MIN_NOTIONAL = 14, 16, 18, 20, 22, 24, 26
MIN_PRICE, MAX_PRICE, MAX_NOTIONAL = 28, 30, 32  # MAX_PRICE 0: none (falsy)
TTL_US, PER_SEC, PER_DAY, MAX_OPEN, MARKET, SHIFT, HAS_MAX_NOTIONAL = 34, 35, 36, 37, 38, 39, 40
SETTINGS_SIZE = 41
# book: one resting order per row
OID, SIDE, EXIT, CREATED, ASSET, QTY, LIMIT, PER_UNIT, LOCK, FILLED, TRADES = (
    0, 1, 2, 3, 4, 5, 7, 9, 11, 13, 15)  # fmt: skip
BOOK_FIELDS, BOOK_ROWS = 16, 4
BUY, SELL, QUOTE, BASE_ASSET = 0, 1, 0, 1
# fills: order, candle, quantity, price, fee (pairs), trade number
F_ORDER, F_AT, F_QTY, F_PRICE, F_FEE, F_TRADE, FILL_FIELDS = 0, 1, 2, 4, 6, 8, 9
# lines: candle, cash, base (pairs), exposed
L_AT, L_CASH, L_BASE, L_EXPOSED, LINE_FIELDS = 0, 1, 3, 5, 6
# px: a candle's prices, pairs in the columns' order (source.py)
P_OPEN, P_HIGH, P_LOW, P_CLOSE, P_VOLUME = 0, 2, 4, 6, 8
SECOND_US, DAY_US = 1_000_000, 86_400_000_000
