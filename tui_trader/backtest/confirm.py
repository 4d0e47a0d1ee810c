"""The exact engine confirming a search the fast path ranked: the top k parameter sets
backtested again on the exact path (the live code), ranked among themselves by the same
metric, and any change said: a different value is a parity failure of the fast path (its
contract is to give the exact answer), a different order follows from one."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from tui_trader.backtest.executors import Executor
from tui_trader.backtest.grid import RANKINGS, evaluate
from tui_trader.backtest.results import BacktestSpec
from tui_trader.config import Settings

DEFAULT_TOP = 5


@dataclass(frozen=True, slots=True)
class Confirmed:
    params: dict[str, Any]  # the searched keys
    fast_rank: int  # 1 = the search's best
    exact_rank: int  # among the same sets, by the exact values
    fast_value: float | None
    exact_value: float | None


@dataclass(frozen=True, slots=True)
class Confirmation:
    rank_by: str
    rows: tuple[Confirmed, ...]  # in the fast ranking's order

    @property
    def differs(self) -> bool:
        return any(r.fast_value != r.exact_value or r.fast_rank != r.exact_rank
                   for r in self.rows)  # fmt: skip

    def lines(self) -> Iterator[str]:
        count = len(self.rows)
        if not self.differs:
            yield (f"exact engine confirms the top {count} by {self.rank_by}: the same values "
                   "and the same order")  # fmt: skip
            return
        yield f"exact engine DISAGREES on the top {count} by {self.rank_by}:"
        for row in self.rows:
            chosen = " ".join(f"{key}={value}" for key, value in row.params.items())
            yield (f"  #{row.fast_rank} → #{row.exact_rank}  {chosen}: fast {row.fast_value}, "
                   f"exact {row.exact_value}")  # fmt: skip


def confirm_top(
    settings: Settings,
    spec: BacktestSpec,
    base: Mapping[str, Any],
    ranked: Sequence[tuple[dict[str, Any], float | None]],
    rank_by: str,
    executor: Executor,
    top: int = DEFAULT_TOP,
) -> Confirmation:
    """`ranked`: (searched keys, the fast path's value) best first."""
    getter, higher = RANKINGS[rank_by]
    chosen = list(ranked[:top])
    task: Callable[[dict[str, Any]], Any] = partial(evaluate, settings, spec)
    found = dict(executor.run(task, [{**base, **params} for params, _ in chosen]))
    exact = [getter(found[index]) for index in range(len(chosen))]

    def order(index: int) -> tuple[bool, float, int]:
        value = exact[index]
        if value is None:
            return (True, 0.0, index)
        return (False, -value if higher else value, index)

    places = {index: place for place, index in enumerate(sorted(range(len(chosen)), key=order), 1)}
    rows = tuple(
        Confirmed(params, index + 1, places[index], value, exact[index])
        for index, (params, value) in enumerate(chosen)
    )
    return Confirmation(rank_by, rows)
