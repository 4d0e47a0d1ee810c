"""What a backtest reads and produces: the replay request, the equity curve, counts and
the result that metrics, reports and exports are computed from."""

from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from tui_trader.config import Settings
from tui_trader.domain.orders import Fill
from tui_trader.journal.trades import RoundTrip


@dataclass(frozen=True, slots=True)
class BacktestSpec:
    """What to replay: a candle file for one symbol, optionally cut to [start, end)."""

    data: Path
    symbol: str
    start: datetime | None = None  # first candle open time included
    end: datetime | None = None  # first candle open time excluded
    cache: Path | None = None  # the candle column cache's folder (None: no cache file)


@dataclass(frozen=True, slots=True)
class Gap:
    after: datetime  # open time of the last candle before the gap
    before: datetime  # open time of the first candle after it
    missing: int  # candles missing in between


@dataclass(slots=True)
class EquityCurve:
    """One sample per candle: close time (epoch ms), equity marked at the close, and
    whether a position was open. Arrays, not objects: a million candles cost 17 MB.
    `start_ms` is the first candle's open time, where the initial equity stands."""

    start_ms: int = 0
    times_ms: "array[int]" = field(default_factory=lambda: array("q"))
    equity: "array[float]" = field(default_factory=lambda: array("d"))
    exposed: bytearray = field(default_factory=bytearray)

    def __len__(self) -> int:
        return len(self.equity)

    def append(self, time_ms: int, value: float, exposed: bool) -> None:
        self.times_ms.append(time_ms)
        self.equity.append(value)
        self.exposed.append(exposed)


@dataclass(slots=True)
class RunCounts:
    """What happened, by kind; compared between runs and shown in the report."""

    candles: int = 0
    signals: int = 0
    intents: int = 0
    orders: int = 0
    rejected: int = 0
    cancels: int = 0
    refusals: Counter[str] = field(default_factory=Counter)  # by failed check or stage
    safety: Counter[str] = field(default_factory=Counter)  # safety events by kind


@dataclass(slots=True)
class BacktestResult:
    symbol: str
    strategy: str
    params: dict[str, object]
    interval: str
    conditions: dict[str, str]  # market, order type, fee rate, slippage, position size
    initial_equity: Decimal
    final_equity: Decimal  # marked at the last candle's close
    fees_paid: Decimal
    open_quantity: Decimal  # position still held at the end (not in `trades`)
    fills: list[Fill]
    trades: list[RoundTrip]
    curve: EquityCurve
    counts: RunCounts
    gaps: list[Gap]
    dropped: list[str]  # messages for rows dropped as unusable


def conditions(settings: Settings) -> dict[str, str]:
    """The settings that shape fills, for reports and exports."""
    return {
        "market": settings.market_type.value,
        "order_type": "MARKET" if settings.allow_market_orders else "LIMIT",
        "fee_rate": str(settings.fee_rate),
        "slippage_bps": str(settings.slippage_bps),
        "position_size_pct": str(settings.position_size_pct),
    }
