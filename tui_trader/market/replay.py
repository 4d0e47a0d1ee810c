"""Replaying candles from a CSV file: Binance's kline dumps or a simple headed layout.

Two layouts are read, told apart by the first row:
- Binance's 12 columns without a header (open_time, open, high, low, close, volume,
  close_time, quote_volume, trades, taker_base, taker_quote, ignore);
- a header naming `timestamp` (or `open_time`), open, high, low, close, volume, in any
  order and case.
Epoch timestamps may be seconds, milliseconds or microseconds (Binance spot files use
microseconds since 2025) and are told apart by magnitude; ISO-8601 is accepted too, naive
meaning UTC. Unparseable rows raise `FeedError` naming file and line; parseable but
unusable rows (non-positive prices, high < low...) are dropped and reported instead.
"""

import csv
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO, NoReturn

from tui_trader.domain.market import Candle
from tui_trader.market.feed import FeedError, MarketEvent
from tui_trader.market.pacing import Pacer, interval_seconds
from tui_trader.market.validation import BadDataCallback, screen_candle
from tui_trader.numbers import MAX_TEXT, bounded, quote, range_problem

GapCallback = Callable[[datetime, datetime, int], None]  # prev open, next open, missing

BINANCE_COLUMNS = 12
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIME_NAMES = ("timestamp", "open_time")
_VALUE_NAMES = ("open", "high", "low", "close", "volume")
_SNIPPET = 40  # characters of a bad row quoted in its error
# An epoch number below the bound is read in that unit (value → µs factor). 1e11 s, ms
# and µs are the years 5138, 1973 and 1973, so every date from 1973 on reads right.
_EPOCH_UNITS = ((Decimal("1e11"), 10**6), (Decimal("1e14"), 10**3), (Decimal("1e17"), 1))


@dataclass(frozen=True, slots=True)
class _Layout:
    columns: int  # every row must have exactly this many cells
    time: int  # index of the open time
    values: tuple[int, ...]  # indexes of open, high, low, close, volume
    name: str


_BINANCE = _Layout(BINANCE_COLUMNS, 0, (1, 2, 3, 4, 5), "Binance kline layout, no header")


def parse_time(text: str) -> datetime:
    """An open time: epoch seconds, ms or µs (by magnitude), or ISO-8601 (naive = UTC)."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return _parse_iso(text)
    if not number.is_finite() or number < 0:
        raise ValueError("timestamp is not a valid epoch time")
    for below, micros_per_unit in _EPOCH_UNITS:
        if number < below:
            return _from_micros(int(number * micros_per_unit))
    raise ValueError("epoch timestamp too large for seconds, ms or µs")


def _parse_iso(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("timestamp is neither an epoch number nor ISO-8601") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _from_micros(micros: int) -> datetime:
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise ValueError("timestamp out of range") from None


def read_candles(
    path: Path,
    symbol: str,
    interval: str = "1m",
    on_bad_data: BadDataCallback | None = None,
    on_gap: GapCallback | None = None,
) -> Iterator[Candle]:
    """Closed candles from `path`, read lazily, in file order (which must be time order).
    Missing periods are reported through `on_gap`; unusable rows through `on_bad_data`."""
    step = _interval_delta(interval)
    reader = _CandleReader(path, symbol, interval, step, on_bad_data, on_gap)
    yield from reader.candles()


def _interval_delta(interval: str) -> timedelta:
    try:
        return timedelta(seconds=interval_seconds(interval))
    except ValueError as exc:
        raise FeedError(str(exc)) from None


class _CandleReader:
    """One pass over one file; it knows the current line for error messages."""

    def __init__(
        self,
        path: Path,
        symbol: str,
        interval: str,
        step: timedelta,
        on_bad_data: BadDataCallback | None,
        on_gap: GapCallback | None,
    ) -> None:
        self._path = path
        self._symbol = symbol
        self._interval = interval
        self._step = step
        self._on_bad_data = on_bad_data
        self._on_gap = on_gap
        self._line = 0
        self._prev: tuple[datetime, int] | None = None  # open time and line of the last row

    def candles(self) -> Iterator[Candle]:
        layout: _Layout | None = None
        for row in self._rows():
            if layout is None:
                layout = self._layout(row)
                if layout is not _BINANCE:
                    continue  # that row was the header
            candle = self._candle(row, layout)
            if screen_candle(candle, self._on_bad_data, f"{self._path}:{self._line}"):
                yield candle
        if layout is None:
            raise FeedError(f"{self._path}: empty file (no candles)")
        if self._prev is None:
            raise FeedError(f"{self._path}: no candle rows after the header")

    def _rows(self) -> Iterator[list[str]]:
        try:
            with self._path.open("rb") as handle:
                reader = csv.reader(self._decoded(handle))
                for row in reader:
                    self._line = reader.line_num
                    if len(row) > 1 or (row and row[0].strip()):  # skip blank lines
                        yield row
        except FileNotFoundError:
            raise FeedError(f"{self._path}: file not found") from None
        except csv.Error as exc:
            raise FeedError(f"{self._path}:{self._line + 1}: {exc}") from None
        except OSError as exc:
            raise FeedError(f"{self._path}: cannot read: {exc.strerror or exc}") from None

    def _decoded(self, handle: BinaryIO) -> Iterator[str]:
        """Lines decoded one by one, so a bad byte is blamed on its own line."""
        for number, raw in enumerate(handle, start=1):
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise FeedError(f"{self._path}:{number}: not UTF-8 text") from None

    def _layout(self, row: list[str]) -> _Layout:
        try:
            Decimal(row[0])  # a number first: Binance rows; a name first: a header
        except InvalidOperation:
            return self._header_layout(row)
        return _BINANCE

    def _header_layout(self, row: list[str]) -> _Layout:
        names = [cell.strip().lower() for cell in row]
        time_names = [name for name in _TIME_NAMES if name in names]
        missing = [name for name in _VALUE_NAMES if name not in names]
        if not time_names or missing:
            lacking = ", ".join(([] if time_names else ["timestamp"]) + missing)
            self._fail(f"header lacks column(s) {lacking}", row)
        values = tuple(names.index(name) for name in _VALUE_NAMES)
        return _Layout(len(names), names.index(time_names[0]), values, "header")

    def _candle(self, row: list[str], layout: _Layout) -> Candle:
        if len(row) != layout.columns:
            self._fail(f"expected {layout.columns} columns ({layout.name}), got {len(row)}", row)
        try:
            open_time = parse_time(row[layout.time].strip())
        except ValueError as exc:
            self._fail(str(exc), row)
        self._check_order(open_time, row)
        o, h, low, c, v = (
            self._number(row, index, name)
            for name, index in zip(_VALUE_NAMES, layout.values, strict=True)
        )
        return Candle(self._symbol, open_time, open_time + self._step - timedelta(milliseconds=1),
                      o, h, low, c, v, closed=True, interval=self._interval)  # fmt: skip

    def _number(self, row: list[str], index: int, name: str) -> Decimal:
        """A number as written, rounded to 18 places. One out of range (1e999999,
        1e-999999) is returned as is: screening drops its row and reports it."""
        text = row[index]
        try:
            if len(text) > MAX_TEXT:
                raise InvalidOperation
            value = Decimal(text)  # Decimal ignores surrounding blanks itself
        except InvalidOperation:
            self._fail(f"{name} is not a number: {quote(text)}", row)
        return value if range_problem(value) else bounded(value, name)

    def _check_order(self, open_time: datetime, row: list[str]) -> None:
        """Rows must move forward in whole intervals; a skip is a gap, reported."""
        if self._prev is not None:
            prev_time, prev_line = self._prev
            if open_time <= prev_time:
                self._fail(
                    f"timestamp {open_time.isoformat()} is not after line {prev_line}'s "
                    f"{prev_time.isoformat()}",
                    row,
                )
            periods, rest = divmod(open_time - prev_time, self._step)
            if rest:
                self._fail(
                    f"open time {open_time.isoformat()} is off the {self._interval} grid of "
                    f"line {prev_line} (is the interval right?)",
                    row,
                )
            if periods > 1 and self._on_gap is not None:
                self._on_gap(prev_time, open_time, periods - 1)
        self._prev = (open_time, self._line)

    def _fail(self, what: str, row: list[str]) -> NoReturn:
        text = ",".join(row)
        if len(text) > _SNIPPET:
            text = text[: _SNIPPET - 1] + "…"
        raise FeedError(f"{self._path}:{self._line}: {what} ({text})")


class ReplayFeed:
    """A `MarketFeed` over a candle file. Speed 0 replays as fast as possible; speed X
    spaces candles X times faster than their real spacing."""

    name = "replay"

    def __init__(
        self,
        path: Path,
        symbol: str,
        interval: str = "1m",
        speed: float = 0.0,
        on_bad_data: BadDataCallback | None = None,
        on_gap: GapCallback | None = None,
    ) -> None:
        _interval_delta(interval)  # a wrong interval fails here, not at the first event
        if not path.is_file():
            raise FeedError(f"{path}: file not found")
        self.path = path
        self.symbol = symbol
        self.interval = interval
        self._on_bad_data = on_bad_data
        self._on_gap = on_gap
        self._pacer = Pacer(speed)

    async def events(self) -> AsyncIterator[MarketEvent]:
        first: datetime | None = None
        candles = read_candles(self.path, self.symbol, self.interval, self._on_bad_data,
                               self._on_gap)  # fmt: skip
        for candle in candles:
            first = first or candle.open_time
            if not await self._pacer.wait((candle.open_time - first).total_seconds()):
                return
            yield candle

    async def close(self) -> None:
        self._pacer.stop()
