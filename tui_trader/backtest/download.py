"""Download klines from Binance (python-binance AsyncClient) into a local cache for
backtests, as Binance's own 12-column CSV (no header), which `read_candles` reads.

One file per request: `<data dir>/klines/SYMBOL-INTERVAL-FROM-TO.csv`, holding the closed
candles with FROM <= open time < TO (never the forming one: the range is cut at the
server's clock). Resumable: each page is appended and flushed as it arrives, so running
the same command again continues after the last cached candle (a half-written last line
left by a crash is cut off first). Market data is public: no API key is used."""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from binance.exceptions import BinanceAPIException, BinanceRequestException

from tui_trader.binance.client import ClientSpec, close_client
from tui_trader.clock import dt_to_ms
from tui_trader.domain.market import VenueBar
from tui_trader.market.pacing import interval_seconds

PAGE = 1000  # klines per request: Binance's maximum
BINANCE_INTERVALS = ("1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h",
                     "12h", "1d", "3d", "1w")  # fmt: skip
_TAIL = 4096  # bytes read from the end of a cache file to find its last candle

Progress = Callable[[int, int], None]  # candles cached so far, candles in the range


class DownloadError(Exception):
    """The download stopped; what is cached so far stays, and a rerun resumes."""


class DownloadRefused(DownloadError):
    """The venue refused our configuration (its keys): fix it before a rerun (exit 2)."""


@dataclass(frozen=True, slots=True)
class DownloadRequest:
    symbol: str
    interval: str
    start: datetime
    end: datetime  # excluded

    def __post_init__(self) -> None:
        if self.interval not in BINANCE_INTERVALS:
            raise ValueError(
                f"interval {self.interval!r} is not one of {', '.join(BINANCE_INTERVALS)}"
            )
        if not self.symbol.isalnum() or not self.symbol.isupper():
            raise ValueError(f"symbol {self.symbol!r} must be upper-case letters and digits")
        if self.start >= self.end:
            raise ValueError("--from must be before --to")

    @property
    def step_ms(self) -> int:
        return interval_seconds(self.interval) * 1000

    def path(self, folder: Path) -> Path:
        return folder / f"{self.symbol}-{self.interval}-{_stamp(self.start)}-{_stamp(self.end)}.csv"


@dataclass(frozen=True, slots=True)
class DownloadResult:
    path: Path
    written: int  # candles added by this run
    cached: int  # candles in the file now
    resumed_after: datetime | None  # last candle cached before this run


def _stamp(when: datetime) -> str:
    if (when.hour, when.minute, when.second, when.microsecond) == (0, 0, 0, 0):
        return when.strftime("%Y%m%d")
    return when.strftime("%Y%m%dT%H%M%S")


def last_cached_open(path: Path) -> int | None:
    """Open time (ms) of the last complete row of `path`, cutting off a partial last
    line; None for a missing or empty file."""
    if not path.exists():
        return None
    with path.open("rb+") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - _TAIL))
        tail = handle.read()
        cut = tail.rfind(b"\n") + 1  # 0 when no newline: nothing complete in the tail
        if cut < len(tail):
            handle.truncate(size - len(tail) + cut)
        lines = tail[:cut].splitlines()
    if not lines:
        return None
    try:
        return int(lines[-1].split(b",", 1)[0])
    except ValueError:
        raise DownloadError(f"{path}: last row is not a kline; delete the file") from None


def kline_line(row: Sequence[Any]) -> tuple[int, int, str]:
    """A kline's open and close times and its CSV line, after checking it has Binance's
    12 fields with numbers (the exchange's reply is input like any other)."""
    if not isinstance(row, list | tuple) or len(row) != 12:
        raise DownloadError(f"unexpected reply: not a 12-field kline: {str(row)[:80]}")
    try:
        for value in row[:11]:
            Decimal(str(value))
        open_ms, close_ms = int(row[0]), int(row[6])
    except (InvalidOperation, ValueError):
        raise DownloadError(f"unexpected reply: non-numeric kline field: {str(row)[:80]}") from None
    return open_ms, close_ms, ",".join(str(value) for value in row) + "\n"


def venue_kline(bar: VenueBar, step_ms: int) -> str:
    """Another venue's bar as Binance's 12-column kline row (what `read_candles` reads)."""
    opened = dt_to_ms(bar.open_time)
    fields = (opened, bar.open, bar.high, bar.low, bar.close, bar.volume,
              opened + step_ms - 1, bar.quote_volume, bar.trades, 0, 0, 0)  # fmt: skip
    return ",".join(str(value) for value in fields) + "\n"


@dataclass(frozen=True, slots=True)
class Resume:
    path: Path  # the cache file
    start: datetime  # the first open time still to fetch
    resumed: datetime | None  # the last cached candle's, None for a new file


def resume_point(request: DownloadRequest, folder: Path) -> Resume:
    """Where a venue's download of `request` into `folder` goes on (creating `folder`;
    a half-written last line is cut off)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = request.path(folder)
    last = last_cached_open(path)
    resumed = None if last is None else datetime.fromtimestamp(last / 1000, UTC)
    step = timedelta(milliseconds=request.step_ms)
    start = request.start if resumed is None else max(request.start, resumed + step)
    return Resume(path, start, resumed)


@dataclass(slots=True)
class PageSink:
    """Where a venue's pages go, in time order: each appended and flushed as it arrives
    (a page on disk is a page a rerun does not fetch again), the progress moved on."""

    request: DownloadRequest
    out: TextIO
    progress: Progress | None
    written: int = 0

    def take(self, rows: Sequence[str], page_end: datetime, now: datetime) -> bool:
        """Append a page's kline rows; False once the page reaches past `now` (the rest
        of the range has not happened yet)."""
        self.out.write("".join(rows))
        self.out.flush()
        self.written += len(rows)
        if page_end > now:
            return False
        if self.progress is not None:
            step = timedelta(milliseconds=self.request.step_ms)
            total = (self.request.end - self.request.start) // step
            self.progress((page_end - self.request.start) // step, total)
        return True


def count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def download_klines(
    request: DownloadRequest,
    folder: Path,
    client_spec: ClientSpec,
    progress: Progress | None = None,
) -> DownloadResult:
    """Fetch the missing part of `request` into its cache file under `folder` (runs its
    own event loop: call it from synchronous code or a thread)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = request.path(folder)
    last = last_cached_open(path)
    first_ms = dt_to_ms(request.start)
    start_ms = first_ms if last is None else max(first_ms, last + request.step_ms)
    with path.open("a", encoding="ascii", newline="") as out:
        written = asyncio.run(_download(client_spec, _Page(request, out, progress), start_ms))
    resumed = None if last is None else datetime.fromtimestamp(last / 1000, request.start.tzinfo)
    return DownloadResult(path, written, count_rows(path), resumed)


@dataclass(slots=True)
class _Page:
    """Where fetched pages go."""

    request: DownloadRequest
    out: TextIO
    progress: Progress | None


async def _download(client_spec: ClientSpec, sink: _Page, start_ms: int) -> int:
    try:
        client = await client_spec.create()
    except (BinanceAPIException, BinanceRequestException, aiohttp.ClientError, TimeoutError) as exc:
        raise DownloadError(f"cannot reach the exchange: {exc}") from None
    try:
        return await _fetch(client, sink, start_ms)
    except BinanceAPIException as exc:
        raise DownloadError(f"{_api_error(exc)}; run the same command again to resume") from None
    except (BinanceRequestException, aiohttp.ClientError) as exc:
        raise DownloadError(f"{exc}; run the same command again to resume") from None
    except TimeoutError as exc:
        raise DownloadError(f"timed out ({exc}); run the same command again to resume") from None
    except (KeyError, TypeError, ValueError) as exc:  # e.g. a server time that is not one
        raise DownloadError(f"unexpected reply from the exchange: {exc!r}") from None
    finally:
        await close_client(client)


def _api_error(exc: BinanceAPIException) -> str:
    # Without a JSON body python-binance's message is the repr of a bound method.
    if exc.code:
        return f"Binance error {exc.code}: {exc.message}"
    return f"HTTP {exc.status_code} from the exchange"


async def _fetch(client: Any, sink: _Page, start_ms: int) -> int:
    request = sink.request
    step, first_ms, end_ms = request.step_ms, dt_to_ms(request.start), dt_to_ms(request.end)
    server_ms = int((await client.get_server_time())["serverTime"])
    total = max(0, (min(end_ms, server_ms) - first_ms) // step)
    written = 0
    while start_ms < end_ms:
        rows = await client.get_klines(
            symbol=request.symbol,
            interval=request.interval,
            startTime=start_ms,
            endTime=end_ms - 1,
            limit=PAGE,
        )
        if not isinstance(rows, list):
            raise DownloadError(f"unexpected reply: {str(rows)[:80]}")
        # Closed candles in range only: the forming one would change after caching.
        fresh = [(t, line) for t, close, line in map(kline_line, rows)
                 if start_ms <= t < end_ms and close < server_ms]  # fmt: skip
        if not fresh:
            break  # nothing more in range, or only the forming candle left
        sink.out.write("".join(line for _, line in fresh))
        sink.out.flush()  # a page on disk is a page a rerun does not fetch again
        written += len(fresh)
        start_ms = fresh[-1][0] + step
        if sink.progress is not None:
            sink.progress((start_ms - first_ms) // step, total)
    return written
