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
    PageSink,
    Progress,
    count_rows,
    resume_point,
    venue_kline,
)
from tui_trader.upbit.quotation import (
    API,
    CANDLE_PATHS,
    PAGE,
    Quotation,
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
    where = resume_point(job.request, folder / "upbit")  # Upbit's BTCUSDT is not Binance's
    path, start = where.path, where.start
    with path.open("a", encoding="ascii", newline="") as out:
        try:
            written = asyncio.run(_fetch(job, out, start, progress))
        except UpbitError as exc:
            raise DownloadError(f"{exc}; run the same command again to resume") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DownloadError(f"cannot reach Upbit ({exc!r}); run the same command again "
                                "to resume") from None  # fmt: skip
    return DownloadResult(path, written, count_rows(path), where.resumed)


async def _fetch(
    job: UpbitDownload, out: TextIO, start: datetime, progress: Progress | None
) -> int:
    request = job.request
    step = timedelta(milliseconds=request.step_ms)
    sink, cursor = PageSink(request, out, progress), start
    async with Quotation(job.base_url, pause_s=job.pause_s) as upbit:
        while cursor < request.end:
            page_end = min(request.end, cursor + PAGE * step)
            candles = await upbit.candles(request.symbol, request.interval, page_end)
            now = upbit.now()
            rows = [venue_kline(c, request.step_ms) for c in candles
                    if cursor <= c.open_time < page_end
                    and close_of(c, request.interval) <= now]  # fmt: skip
            if not sink.take(rows, page_end, now):
                break
            cursor = page_end
    return sink.written
