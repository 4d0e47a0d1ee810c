"""The candles a loop over a run visits: the marked ones, and every one while busy."""

from collections.abc import Callable, Iterator


def visits(marked: list[int], count: int, busy: Callable[[], bool]) -> Iterator[int]:
    """Candles 0..count-1 in order: each in `marked` (sorted), and while `busy()` (asked
    after each visit) every candle after the last one visited."""
    at, j = 0, -1
    while True:
        if busy():
            j += 1
        else:
            while at < len(marked) and marked[at] <= j:
                at += 1
            j = marked[at] if at < len(marked) else count
        if j >= count:
            return
        yield j
