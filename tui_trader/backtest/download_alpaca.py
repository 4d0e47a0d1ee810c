"""Download Alpaca's historical stock bars, in the format of Binance's klines
(download.py), into `<klines folder>/alpaca/`, so `backtest` reads them through the
same engine (QUOTE_ASSET=USD, SYMBOLS=AAPLUSD).

The request names our symbol (AAPLUSD, read as Alpaca's AAPL). The range is fetched in
windows of `window_bars` bars of time, each appended and flushed as it arrives, so a
rerun resumes after the last cached bar. Nights, weekends and holidays have no bars:
they stay gaps, which the backtest reports. The keys come from ALPACA_API_KEY_ID and
ALPACA_API_SECRET_KEY, else from the keyring under `alpaca` (`tui-trader keys set alpaca`).
This module imports the SDK: load it only for `--venue alpaca`."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from tui_trader.alpaca.bars import (
    API,
    FEEDS,
    TIMEFRAMES,
    AlpacaBusy,
    AlpacaError,
    AlpacaKeysRefused,
    StockBars,
    stock_symbol,
)
from tui_trader.alpaca.keys import AlpacaKeys, alpaca_keys
from tui_trader.backtest.download import (
    DownloadError,
    DownloadRefused,
    DownloadRequest,
    DownloadResult,
    PageSink,
    Progress,
    count_rows,
    resume_point,
    venue_kline,
)
from tui_trader.domain.market import VenueBar

WINDOW_BARS = 10_000  # bars of time per window: one SDK call, resumable between windows
RETRIES = 4  # tries of one window after 429 / 5xx (beyond the SDK's own 429 retries)
RESUME = "run the same command again to resume"
__all__ = ["AlpacaKeys", "alpaca_keys"]  # where the CLI finds them (alpaca/keys.py)


@dataclass(frozen=True, slots=True)
class AlpacaDownload:
    request: DownloadRequest
    keys: AlpacaKeys
    base_url: str = API
    feed: str = "iex"
    pause_s: float = 3.0  # the wait before another try after 429 / 5xx (tests shorten it)
    window_bars: int = WINDOW_BARS
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        check_request(self.request)
        if self.feed not in FEEDS:
            raise ValueError(f"feed {self.feed!r}: Alpaca has {', '.join(FEEDS)}")


def check_request(request: DownloadRequest) -> None:
    """ValueError for a request Alpaca cannot answer (before the keys are even read)."""
    if request.interval not in TIMEFRAMES:
        raise ValueError(f"interval {request.interval!r}: Alpaca has {', '.join(TIMEFRAMES)}")
    try:
        stock_symbol(request.symbol)
    except AlpacaError as exc:
        raise ValueError(str(exc)) from None


def download_alpaca(
    job: AlpacaDownload, folder: Path, progress: Progress | None = None
) -> DownloadResult:
    """Fetch the missing part of the request (synchronous: the SDK is)."""
    where = resume_point(job.request, folder / "alpaca")  # AAPLUSD is Alpaca's AAPL only here
    path, start, resumed = where.path, where.start, where.resumed
    with path.open("a", encoding="ascii", newline="") as out:
        try:
            written = _fetch(job, out, start, progress)
        except AlpacaKeysRefused as exc:
            raise DownloadRefused(str(exc)) from None
        except AlpacaError as exc:
            raise DownloadError(f"{exc}; {RESUME}") from None
    return DownloadResult(path, written, count_rows(path), resumed)


def _fetch(job: AlpacaDownload, out: TextIO, start: datetime, progress: Progress | None) -> int:
    request = job.request
    step = timedelta(milliseconds=request.step_ms)
    source = StockBars(job.keys.key_id, job.keys.secret, job.base_url, job.feed)
    sink, cursor = PageSink(request, out, progress), start
    while cursor < request.end:
        now = job.now()
        window_end = min(request.end, cursor + job.window_bars * step)
        bars = _window(job, source, cursor, window_end)
        # Closed bars only: the forming one would change after caching.
        rows = [venue_kline(bar, request.step_ms) for bar in bars
                if bar.open_time + step <= now]  # fmt: skip
        if not sink.take(rows, window_end, now):
            break
        cursor = window_end
    return sink.written


def _window(
    job: AlpacaDownload, source: StockBars, start: datetime, end: datetime
) -> list[VenueBar]:
    request = job.request
    for attempt in range(RETRIES):
        try:
            return source.bars(request.symbol, request.interval, start, end)
        except AlpacaBusy as exc:
            if attempt == RETRIES - 1:
                raise AlpacaError(f"{exc} after {RETRIES} tries") from None
            time.sleep(job.pause_s * (attempt + 1))
    raise AssertionError("unreachable")
