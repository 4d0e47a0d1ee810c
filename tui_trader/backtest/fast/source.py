"""Where a fast run reads its candles: the column cache file part by part, or columns
already in memory (a file read this time, a run without a cache folder).

From the cache the closes are read in full (the decisions need every one); the open
times and the exact prices are read in chunks as the run moves forward, so a run over
ten million candles holds 8 bytes a candle of input, not the 93 of every column. Every
part read is checked against its digest: the open times as they stream past, the
prices at `finish` (a damaged cache then sends the run to the exact path, which reads
the CSV again)."""

import hashlib
from array import array
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from tui_trader.backtest.column_cache import Layout, layout
from tui_trader.backtest.columns import EPOCH, CandleColumns

CHUNK = 1 << 16  # candles a streamed read brings in
OPEN_US, CLOSE_FLOAT, COEFFICIENTS, EXPONENTS = 0, 4, 6, 11  # column_cache's parts
OPEN, HIGH, LOW, CLOSE, VOLUME = range(5)  # the price columns (CandleColumns.decimal)
_US = timedelta(microseconds=1)
OpenTimes = npt.NDArray[np.int64]


Prices = npt.NDArray[np.int64]


def _prices(count: int, parts: dict[int, tuple[Any, Any]]) -> Prices:
    """The price rows of a chunk from each column's (coefficients, exponents) buffers."""
    out = np.zeros((10, count), np.int64)
    for column, (coefficients, exponents) in parts.items():
        out[2 * column] = np.frombuffer(coefficients, np.int64)
        out[2 * column + 1] = np.frombuffer(exponents, np.int8)
    return out


class Damaged(ValueError):
    """A part of the cache file does not match its digest."""


class Source:
    """Columns held in memory (CandleColumns); CachedSource streams the same."""

    def __init__(self, columns: CandleColumns) -> None:
        self.columns = columns  # symbol, interval, step, gaps, dropped; closes loaded

    def __len__(self) -> int:
        return len(self.columns.floats[3])

    def closes(self) -> npt.NDArray[np.float64]:
        return np.frombuffer(self.columns.floats[3], np.float64)

    def hand_over_closes(self, used: npt.NDArray[np.float64]) -> "array[float] | None":
        """The closes' array, taken from the columns, when `used` is all of it (the run
        covered the whole file): a run's last reader of them may write over it."""
        whole = self.columns.floats[3]
        if len(used) != len(whole) or not len(whole):
            return None
        self.columns.floats = (*self.columns.floats[:3], array("d"), *self.columns.floats[4:])
        return whole

    def open_chunks(self) -> Iterator[tuple[int, OpenTimes]]:
        """(index of the first, open times) over the whole file, in order."""
        yield 0, np.frombuffer(self.columns.open_us, np.int64)

    def open_us(self, index: int) -> int:
        return self.columns.open_us[index]

    def price_chunks(self, columns: tuple[int, ...]) -> Iterator[tuple[int, OpenTimes, Prices]]:
        """(index of the first, open times, prices) over the whole file, in order: prices
        row 2c the coefficients of column c (OPEN, HIGH, ...), row 2c + 1 its exponents,
        rows of columns not asked for left zero; CHUNK candles at most."""
        c = self.columns
        opens = np.frombuffer(c.open_us, np.int64)
        parts = {
            k: (np.frombuffer(c.coefficients[k], np.int64), np.frombuffer(c.exponents[k], np.int8))
            for k in columns
        }
        for low in range(0, len(self), CHUNK):
            high = min(low + CHUNK, len(self))
            cut = {k: (a[low:high], b[low:high]) for k, (a, b) in parts.items()}
            yield low, opens[low:high], _prices(high - low, cut)

    def decimal(self, column: int, index: int) -> Decimal:
        return self.columns.decimal(column, index)

    def open_time(self, index: int) -> datetime:
        return EPOCH + self.open_us(index) * _US

    def close_time(self, index: int) -> datetime:
        return EPOCH + (self.open_us(index) + self.columns.step_us - 1000) * _US

    def finish(self) -> None:
        """Raise Damaged when a part read has not matched its digest."""


class _Part:
    """One streamed part: a chunk of it in memory, the one holding the last index read."""

    def __init__(self, handle: BinaryIO, offset: int, count: int, code: str) -> None:
        self.handle, self.offset, self.count, self.code = handle, offset, count, code
        self.size = array(code).itemsize
        self.low, self.chunk = 0, array(code)

    def __getitem__(self, index: int) -> int:
        at = index - self.low
        if 0 <= at < len(self.chunk):
            return self.chunk[at]
        self.low = index - index % CHUNK
        self.chunk = array(self.code)
        self.handle.seek(self.offset + self.low * self.size)
        self.chunk.frombytes(self.handle.read(min(CHUNK, self.count - self.low) * self.size))
        return self.chunk[index - self.low]


class CachedSource(Source):
    def __init__(self, path: Path, columns: CandleColumns) -> None:
        super().__init__(columns)
        self.handle = path.open("rb")
        self.layout: Layout = layout(self.handle)
        self.parts: dict[int, _Part] = {}
        self._open = self._part(OPEN_US, "q")
        self._coefficients = [self._part(COEFFICIENTS + k, "q") for k in range(5)]
        self._exponents = [self._part(EXPONENTS + k, "b") for k in range(5)]
        self._count = self.layout.count

    def _part(self, index: int, code: str) -> _Part:
        part = _Part(self.handle, self.layout.at + self.layout.offsets[index],
                     self.layout.count, code)  # fmt: skip
        self.parts[index] = part
        return part

    def __len__(self) -> int:
        return self._count

    def open_chunks(self) -> Iterator[tuple[int, OpenTimes]]:
        digest = hashlib.blake2b(digest_size=20)
        for low in range(0, self._count, CHUNK):
            self.handle.seek(self._open.offset + low * 8)
            blob = self.handle.read(min(CHUNK, self._count - low) * 8)
            digest.update(blob)
            yield low, np.frombuffer(blob, np.int64)
        if digest.hexdigest() != self.layout.digests[OPEN_US]:
            raise Damaged("the cached open times do not match their digest")

    def open_us(self, index: int) -> int:
        return self._open[index]

    def price_chunks(self, columns: tuple[int, ...]) -> Iterator[tuple[int, OpenTimes, Prices]]:
        """Source.price_chunks read from the file part by part, each part checked whole
        against its digest once read (Damaged)."""
        parts = [OPEN_US] + [base + k for k in columns for base in (COEFFICIENTS, EXPONENTS)]
        sizes = {index: (1 if index >= EXPONENTS else 8) for index in parts}
        digests = {index: hashlib.blake2b(digest_size=20) for index in parts}
        for low in range(0, self._count, CHUNK):
            count = min(CHUNK, self._count - low)
            blobs = {}
            for index in parts:
                size = sizes[index]
                self.handle.seek(self.layout.at + self.layout.offsets[index] + low * size)
                blobs[index] = self.handle.read(count * size)
                digests[index].update(blobs[index])
            pairs = {k: (blobs[COEFFICIENTS + k], blobs[EXPONENTS + k]) for k in columns}
            yield low, np.frombuffer(blobs[OPEN_US], np.int64), _prices(count, pairs)
        if any(digests[k].hexdigest() != self.layout.digests[k] for k in parts):
            raise Damaged("the cached candles do not match their digest")

    def decimal(self, column: int, index: int) -> Decimal:
        coefficient = self._coefficients[column][index]
        return Decimal(coefficient).scaleb(self._exponents[column][index])

    def finish(self) -> None:
        """Check every price part that was read, whole, against its digest; close."""
        try:
            for index, part in self.parts.items():
                if index != OPEN_US and part.chunk:
                    self._check(index, part)
        finally:
            self.handle.close()

    def _check(self, index: int, part: _Part) -> None:
        digest = hashlib.blake2b(digest_size=20)
        end = part.offset + self._count * part.size
        self.handle.seek(part.offset)
        for at in range(part.offset, end, CHUNK * 8):
            digest.update(self.handle.read(min(CHUNK * 8, end - at)))
        if digest.hexdigest() != self.layout.digests[index]:
            raise Damaged("the cached prices do not match their digest")
