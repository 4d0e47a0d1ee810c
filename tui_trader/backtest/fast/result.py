"""A fast run's result in the exact path's form (BacktestResult), its equity curve
computed by BacktestRun.sample's float formula over whole columns."""

from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tui_trader.backtest.fast import kernels
from tui_trader.backtest.fast.ledger import ZERO
from tui_trader.backtest.results import BacktestResult, BacktestSpec, EquityCurve, conditions
from tui_trader.backtest.runner import BacktestRun
from tui_trader.clock import dt_to_ms
from tui_trader.config import Settings
from tui_trader.journal.trades import pair_round_trips
from tui_trader.strategies.base import StrategyParams

if TYPE_CHECKING:
    from tui_trader.backtest.fast.visit import Visit


def curve(
    visit: "Visit", open_us: npt.NDArray[np.int64], close: npt.NDArray[np.float64]
) -> EquityCurve:
    """One sample per candle, as the exact path appends them (quiet.py's inlined sample:
    the close time in ms by the same float division, equity flat + units × close)."""
    out = EquityCurve()
    if not len(close):
        return out
    out.start_ms = dt_to_ms(visit.columns.open_time(visit.start))
    times = ((open_us + visit.shift) / 1_000_000 * 1000).astype(np.int64)
    equity = np.empty(len(close), np.float64)
    starts = np.asarray(visit.starts, np.int64)
    kernels.equity_curve(
        close, starts, np.asarray(visit.flats, np.float64), np.asarray(visit.units), equity
    )
    lengths = np.diff(np.append(starts, len(close)))
    exposed = np.repeat(np.asarray(visit.exposed, np.uint8), lengths)
    out.times_ms.frombytes(times.tobytes())
    out.equity.frombytes(equity.tobytes())
    out.exposed = bytearray(exposed.tobytes())
    return out


def result(
    settings: Settings,
    spec: BacktestSpec,
    frame: BacktestRun,
    visit: "Visit",
    curve: EquityCurve,
    last_close: Decimal,
    params: StrategyParams,
) -> BacktestResult:
    """BacktestRun._result from the fast run's account."""
    account = visit.account
    return BacktestResult(
        symbol=spec.symbol,
        strategy=settings.strategy,
        params=dict(params.model_dump()),
        interval=settings.candle_interval,
        conditions=conditions(settings),
        initial_equity=settings.paper_quote_balance,
        final_equity=account.cash + account.base * last_close,
        fees_paid=account.fees,
        open_quantity=account.held or ZERO,
        fills=account.fills,
        trades=pair_round_trips(account.fills),
        curve=curve,
        counts=visit.path.counts,
        gaps=frame.gaps,
        dropped=frame.dropped,
    )
