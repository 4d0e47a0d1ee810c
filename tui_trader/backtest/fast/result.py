"""A fast run's result in the exact path's form (BacktestResult), its equity curve
computed by BacktestRun.sample's float formula over whole columns."""

from array import array
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
    visit: "Visit",
    close: npt.NDArray[np.float64],
    out: EquityCurve,
    spent: "array[float] | None" = None,
) -> EquityCurve:
    """One sample per candle, as the exact path appends them (its times already in `out`):
    equity flat + units × close in the line of the last fill, and whether exposed.
    `spent`: the array under `close` when nothing reads the closes after this; each
    sample then takes its own close's place (at ten million candles, 80 MB less)."""
    count = len(close)
    if not count:
        return out
    out.start_ms = dt_to_ms(visit.source.open_time(visit.start))
    out.equity = array("d", [0.0]) * count if spent is None else spent
    out.exposed = bytearray(count)
    kernels.equity_curve(
        close,
        np.asarray(visit.starts, np.int64),
        np.asarray(visit.flats, np.float64),
        np.asarray(visit.units, np.float64),
        np.asarray(visit.exposed, np.uint8),
        np.frombuffer(out.equity, np.float64),
        np.frombuffer(out.exposed, np.uint8),
    )
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
