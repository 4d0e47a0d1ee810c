"""The fast backtest path (issue #15, part 2): the exact path's answers, fill for fill,
for a declared subset, at compiled speed. Loaded only when asked (`backtest --fast`,
the grid's fast sweep); the app, the runtime and the screen never import it (an
import-linter contract in pyproject.toml). Needs the `fast` extra (numba, numpy).

Why numba, not numpy alone: the strategies decide on incremental indicators (EMA, Wilder's
RSI, MACD, Bollinger's sliding Welford bands) whose every value depends on the one
before. A vectorised numpy formula for them (cumulative sums, filters) computes the same
mathematics with other roundings, so a cross that the live code sees by one ulp would
be missed here, and parity is the contract. Only a sequential loop that repeats the live
code's float operations in their order gives the same doubles, and only a compiled loop
runs it at hundreds of millions of steps a second. numpy holds the columns and does the
truly element-wise work (the candles to visit).

Money: the compiled order walk (compiled_walk.py and its parts) repeats the Decimal order
path (visit.py, orders.py, book.py, ledger.py) operation for operation on 64-bit
(coefficient, exponent) pairs (exact_ints.py), which give Decimal's own digits, so the
fills turn back into the very Decimals. Decimal keeps 28 digits, 64 bits hold 18: a run
whose figures need more (a fee of four digits on slipped prices in the cash, say) raises
on the first such figure and walks its orders in Decimal instead (about 9 µs a visited
candle, the same answer), and the command says so in one line. Figures only compared
(equity, budgets, locks) are normalized first, which keeps them short.

The subset (subset.py): ema_cross, rsi, macd and bollinger; spot; MARKET orders (filled
at the next open with slippage) and LIMIT orders (resting, filled in parts by the
candle's volume, entries cancelled after their time to live); fixed sizing; fees; the
risk checks that can refuse there (filters, slippage, position size, open positions,
daily loss, the circuit breaker, orders per second and per day), the exchange's balance
checks; no protections. The circuit breaker is the live one, shown the closes a
compiled scan finds near its threshold (breaker.py). Outside the subset the exact path
runs, and the command says why in one line."""

from tui_trader.backtest.fast.kernel_cache import use_keyed_cache

use_keyed_cache()  # before the kernels are decorated (kernel_cache.py says why)

from tui_trader.backtest.fast.run import FastOutcome, fast_reason, run_fast  # noqa: E402

__all__ = ["FastOutcome", "fast_reason", "run_fast"]
