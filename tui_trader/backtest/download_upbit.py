"""Download Upbit candles, in the format of Binance's klines (download.py), into
`<klines folder>/upbit/`, so `backtest` reads them through the same engine.

The request names our symbol (BTCKRW, read as Upbit's KRW-BTC). Pages are fetched
forward in time (each asks for the 200 candles before its end), appended and flushed as
they arrive, so a rerun resumes after the last cached candle. Minutes without a trade
have no Upbit candle: they stay gaps, which the backtest reports."""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

import aiohttp

from tui_trader.backtest.download import (
    DownloadError,
    DownloadRequest,
    DownloadResult,
    Progress,
    count_rows,
    last_cached_open,
)
from tui_trader.clock import dt_to_ms
from tui_trader.upbit.quotation import (
    API,
    CANDLE_PATHS,
    PAGE,
    Quotation,
    UpbitCandle,
    UpbitError,
    close_of,
    market_code,
)


@dataclass(frozen=True, slots=True)
class UpbitDownload:
    request: DownloadRequest
    base_url: str = API
    pause_s: float = 1.0  # Upbit's rate-limit waits (tests shorten them)

    def __post_init__(self) -> None:
        if self.request.interval not in CANDLE_PATHS:
            raise ValueError(f"interval {self.request.interval!r}: Upbit has "
                             f"{', '.join(CANDLE_PATHS)}")  # fmt: skip
        try:
            market_code(self.request.symbol)
        except UpbitError as exc:
            raise ValueError(str(exc)) from None


def download_upbit(
    job: UpbitDownload, folder: Path, progress: Progress | None = None
) -> DownloadResult:
    """Fetch the missing part of the request (runs its own event loop)."""
    request = job.request
    folder = folder / "upbit"  # BTCUSDT on Upbit is not Binance's BTCUSDT
    folder.mkdir(parents=True, exist_ok=True)
    path = request.path(folder)
    last = last_cached_open(path)
    step = timedelta(milliseconds=request.step_ms)
    start = request.start if last is None else max(
        request.start, datetime.fromtimestamp(last / 1000, request.start.tzinfo) + step
    )  # fmt: skip
    with path.open("a", encoding="ascii", newline="") as out:
        try:
            written = asyncio.run(_fetch(job, out, start, progress))
        except UpbitError as exc:
            raise DownloadError(f"{exc}; run the same command again to resume") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DownloadError(f"cannot reach Upbit ({exc!r}); run the same command again "
                                "to resume") from None  # fmt: skip
    resumed = None if last is None else datetime.fromtimestamp(last / 1000, request.start.tzinfo)
    return DownloadResult(path, written, count_rows(path), resumed)


async def _fetch(
    job: UpbitDownload, out: TextIO, start: datetime, progress: Progress | None
) -> int:
    request = job.request
    step = timedelta(milliseconds=request.step_ms)
    total = (request.end - request.start) // step
    written, cursor = 0, start
    async with Quotation(job.base_url, pause_s=job.pause_s) as upbit:
        while cursor < request.end:
            page_end = min(request.end, cursor + PAGE * step)
            candles = await upbit.candles(request.symbol, request.interval, page_end)
            now = upbit.now()
            fresh = [c for c in candles if cursor <= c.open_time < page_end
                     and close_of(c, request.interval) <= now]  # fmt: skip
            out.write("".join(kline_line(c, request.step_ms) for c in fresh))
            out.flush()
            written += len(fresh)
            if page_end > now:
                break  # the rest has not happened yet
            cursor = page_end
            if progress is not None:
                progress((cursor - request.start) // step, total)
    return written


def kline_line(candle: UpbitCandle, step_ms: int) -> str:
    """Binance's 12-column kline row (what `read_candles` reads)."""
    opened = dt_to_ms(candle.open_time)
    fields = (opened, candle.open, candle.high, candle.low, candle.close, candle.volume,
              opened + step_ms - 1, candle.quote_volume, 0, 0, 0, 0)  # fmt: skip
    return ",".join(str(value) for value in fields) + "\n"
