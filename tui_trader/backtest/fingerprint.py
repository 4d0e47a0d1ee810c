"""Two backtest results compared whole: the first difference, in one line, or None.

What `backtest --verify` checks between the fast and the exact path, and what the parity
tests assert: every fill (time, price, quantity, fee and the rest), the counts (signals,
intents, orders, refusals by check, safety events), every equity sample, the final
equity, fees, open quantity, gaps and dropped rows. Decimals compare by value and by
their digits (str), so 1.10 and 1.1 differ as they would in an export."""

from collections.abc import Sequence
from typing import Any

from tui_trader.backtest.results import BacktestResult


def _first_index(one: Sequence[Any], two: Sequence[Any]) -> int | None:
    if one == two:
        return None
    for index, (a, b) in enumerate(zip(one, two, strict=False)):
        if a != b:
            return index
    return min(len(one), len(two))


def _fill_difference(one: BacktestResult, two: BacktestResult) -> str | None:
    index = _first_index([repr(f) for f in one.fills], [repr(f) for f in two.fills])
    if index is None:
        return None
    a = one.fills[index] if index < len(one.fills) else "none"
    b = two.fills[index] if index < len(two.fills) else "none"
    return f"fill #{index + 1}: {a} vs {b}"


def _curve_difference(one: BacktestResult, two: BacktestResult) -> str | None:
    a, b = one.curve, two.curve
    if a.start_ms != b.start_ms:
        return f"curve start {a.start_ms} vs {b.start_ms}"
    for name in ("times_ms", "equity", "exposed"):
        first, second = getattr(a, name), getattr(b, name)
        index = _first_index(first, second)
        if index is not None:
            left = first[index] if index < len(first) else "none"
            right = second[index] if index < len(second) else "none"
            return f"equity curve {name}[{index}]: {left!r} vs {right!r}"
    return None


def first_difference(one: BacktestResult, two: BacktestResult) -> str | None:
    """Where `one` and `two` first differ (the first named as "vs"'s left side)."""
    found = _fill_difference(one, two)
    if found:
        return found
    if one.counts != two.counts:  # Counters: equal whatever order their keys came in
        return f"counts: {one.counts!r} vs {two.counts!r}"
    for name in ("final_equity", "fees_paid", "open_quantity", "gaps", "dropped"):
        a, b = getattr(one, name), getattr(two, name)
        if a != b or repr(a) != repr(b):
            return f"{name}: {a!r} vs {b!r}"
    return _curve_difference(one, two)
