"""A candle file as typed columns: what `read_candles` yields, held as arrays.

Per candle: the open time (epoch µs), the five numbers as float (what strategies decide
on: `float(Decimal)`, exactly what `Bar.of` computes) and as their exact Decimal, kept as
an integer coefficient and a power of ten (`Decimal(coefficient).scaleb(exponent)` gives
back the very Decimal the reader made, digits, exponent and all). Decimals and Candles
are built only for the candles that reach the order path. The gaps and the dropped rows
the reader reported are kept with where they were met, so a run over part of the file
reports exactly what reading that part would have.

A value the arrays cannot hold (a coefficient beyond 64 bits, a negative zero) makes
the file `NotColumnar`: the runner then streams it as before."""

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path

from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle
from tui_trader.market.replay import read_candles
from tui_trader.strategies.base import Bar

FIELDS = ("open", "high", "low", "close", "volume")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_INT64 = 2**63
_EXPONENTS = range(-128, 128)  # what a signed byte holds


class NotColumnar(ValueError):
    """The file has a number the columns cannot hold exactly."""


@dataclass(frozen=True, slots=True)
class DroppedRow:
    message: str  # the reader's message, without the file and line
    line: int
    before: int  # candles yielded before it: reading up to candle `before` reports it


@dataclass(slots=True)
class CandleColumns:
    symbol: str
    interval: str
    step_us: int  # the interval in µs: close time = open + step − 1 ms
    open_us: "array[int]" = field(default_factory=lambda: array("q"))
    floats: tuple["array[float]", ...] = field(default_factory=lambda: _floats())
    coefficients: tuple["array[int]", ...] = field(default_factory=lambda: _ints("q"))
    exponents: tuple["array[int]", ...] = field(default_factory=lambda: _ints("b"))
    gaps: list[tuple[int, int, int]] = field(default_factory=list)  # after, before µs, missing
    dropped: list[DroppedRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.open_us)

    def bars(self, start: int, stop: int) -> Iterator[Bar]:
        """The Bars of candles [start, stop), built at C speed from the columns."""
        rows = zip(self.open_us, *self.floats, strict=True)
        return map(Bar._make, islice(rows, start, stop))

    def decimal(self, column: int, index: int) -> Decimal:
        return Decimal(self.coefficients[column][index]).scaleb(self.exponents[column][index])

    def open_time(self, index: int) -> datetime:
        return EPOCH + self.open_us[index] * _US

    def close_time(self, index: int) -> datetime:
        return EPOCH + (self.open_us[index] + self.step_us - 1000) * _US

    def candle(self, index: int) -> Candle:
        # Spelled out, not a loop over the columns: built for every live candle.
        (c0, c1, c2, c3, c4), (e0, e1, e2, e3, e4) = self.coefficients, self.exponents
        open_us = self.open_us[index]
        return Candle(
            self.symbol, EPOCH + open_us * _US, EPOCH + (open_us + self.step_us - 1000) * _US,
            Decimal(c0[index]).scaleb(e0[index]), Decimal(c1[index]).scaleb(e1[index]),
            Decimal(c2[index]).scaleb(e2[index]), Decimal(c3[index]).scaleb(e3[index]),
            Decimal(c4[index]).scaleb(e4[index]), True, self.interval,
        )  # fmt: skip

    def append(self, candle: Candle) -> None:
        self.open_us.append((candle.open_time - EPOCH) // _US)
        values = (candle.open, candle.high, candle.low, candle.close, candle.volume)
        for column, value in enumerate(values):
            coefficient, exponent = _exact(value)
            self.floats[column].append(float(value))
            self.coefficients[column].append(coefficient)
            self.exponents[column].append(exponent)


def _floats() -> tuple["array[float]", ...]:
    return tuple(array("d") for _ in FIELDS)


def _ints(code: str) -> tuple["array[int]", ...]:
    return tuple(array(code) for _ in FIELDS)


def _exact(value: Decimal) -> tuple[int, int]:
    """The integer coefficient and the exponent that give `value` back exactly."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent not in _EXPONENTS or value.is_signed():
        raise NotColumnar(f"{value} has no exact column form")
    coefficient = int(value.scaleb(-exponent))
    if coefficient >= _INT64:
        raise NotColumnar(f"{value} has more digits than a 64-bit coefficient")
    return coefficient, exponent


def read_columns(path: Path, symbol: str, interval: str, step_us: int) -> CandleColumns:
    """The whole file through `read_candles` into columns. Raises what it raises
    (FeedError naming the line) and NotColumnar."""
    columns = CandleColumns(symbol, interval, step_us)

    def gap(after: datetime, before: datetime, missing: int) -> None:
        columns.gaps.append(((after - EPOCH) // _US, (before - EPOCH) // _US, missing))

    def bad_row(event: SafetyEvent) -> None:
        source = str(event.data.get("source", "")) if event.data else ""
        line = int(source.rpartition(":")[2]) if source else 0
        columns.dropped.append(DroppedRow(event.message, line, len(columns)))

    for candle in read_candles(path, symbol, interval, bad_row, gap):
        columns.append(candle)
    return columns
