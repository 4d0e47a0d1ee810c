"""Alpaca's historical stock bars through Alpaca's official SDK, alpaca-py.

Why the SDK: it is Alpaca's own, kept in step with the API, and already does what we
would otherwise hand-roll (the key headers, `next_page_token` paging, the 429 retry).
It is synchronous (requests): fine for `data download`, which runs outside any event
loop; never call it from the app's loop. It loads only when this module is imported,
i.e. for `--venue alpaca` (the `alpaca` extra).

Alpaca's rules this module keeps:
- Market data needs a key pair (APCA-API-KEY-ID / APCA-API-SECRET-KEY); 401/403 means
  the keys are wrong or lack the data subscription: configuration, not a failed fetch.
- Bars exist only while the market trades: nights, weekends and holidays are gaps.
- The SDK parses JSON numbers as floats; each is turned into a Decimal through its
  shortest repr (`Decimal(str(x))`), which is the number Alpaca sent for every price with
  fewer than 16 significant digits (all of them: cents, or 1/10,000 below a dollar)."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from alpaca.common.exceptions import APIError
from alpaca.data.enums import DataFeed
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.models.bars import Bar
from alpaca.data.requests import StockBarsRequest
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit
from requests import JSONDecodeError, RequestException

from tui_trader.alpaca.errors import KEYS_HINT, AlpacaBusy, AlpacaError, AlpacaKeysRefused
from tui_trader.domain.market import VenueBar

__all__ = ["AlpacaBusy", "AlpacaError", "AlpacaKeysRefused", "StockBars"]

API = "https://data.alpaca.markets"
QUOTE = "USD"
FEEDS = ("iex", "sip")
# Our interval names -> Alpaca's timeframes.
TIMEFRAMES: Mapping[str, TimeFrame] = {
    "1m": TimeFrame(1, TimeFrameUnit.Minute), "5m": TimeFrame(5, TimeFrameUnit.Minute),
    "15m": TimeFrame(15, TimeFrameUnit.Minute), "30m": TimeFrame(30, TimeFrameUnit.Minute),
    "1h": TimeFrame(1, TimeFrameUnit.Hour), "1d": TimeFrame(1, TimeFrameUnit.Day),
}  # fmt: skip


def stock_symbol(symbol: str) -> str:
    """Our symbol (base + quote, AAPLUSD) as Alpaca's ticker (AAPL)."""
    base = symbol.removesuffix(QUOTE)
    if base == symbol or not base.isalpha() or not base.isupper():
        raise AlpacaError(f"symbol {symbol!r}: expected a ticker + USD, e.g. AAPLUSD")
    return base


def exact(value: float | None) -> Decimal:
    """An SDK float as the decimal Alpaca sent (see the module docstring)."""
    return Decimal(str(value if value is not None else 0))


def to_bar(bar: Bar) -> VenueBar:
    try:
        o, h, low, c, volume = map(exact, (bar.open, bar.high, bar.low, bar.close, bar.volume))
        vwap, trades = exact(bar.vwap), int(bar.trade_count or 0)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise AlpacaError(f"unexpected bar from Alpaca ({exc!r}): {str(bar)[:120]}") from None
    if not all(n.is_finite() for n in (o, h, low, c, volume)) or min(o, h, low, c) <= 0:
        raise AlpacaError(f"unusable bar from Alpaca: {str(bar)[:120]}")
    opened = bar.timestamp.astimezone(UTC)
    return VenueBar(opened, o, h, low, c, volume, vwap * volume, trades)


class StockBars:
    """One SDK client against Alpaca's market data API (or a local double)."""

    def __init__(self, key_id: str, secret: str, base_url: str = API, feed: str = "iex"):
        self._client = StockHistoricalDataClient(key_id, secret, url_override=base_url)
        self._feed = DataFeed(feed)

    def bars(self, symbol: str, interval: str, start: datetime, end: datetime) -> list[VenueBar]:
        """Every bar opened in [start, end), oldest first (the SDK follows the pages)."""
        ticker = stock_symbol(symbol)
        request = StockBarsRequest(symbol_or_symbols=ticker, timeframe=TIMEFRAMES[interval],
                                   start=start, end=end - timedelta(microseconds=1),
                                   feed=self._feed)  # fmt: skip
        try:
            found = self._client.get_stock_bars(request)
        except APIError as exc:
            raise _refusal(exc) from None
        except JSONDecodeError:
            raise AlpacaError("a reply from Alpaca that is not JSON") from None
        except RequestException as exc:  # connection refused or reset, a timeout
            raise AlpacaBusy(f"cannot reach Alpaca ({type(exc).__name__})") from None
        except (ValueError, KeyError, TypeError) as exc:  # JSON, but not bars (pydantic's too)
            raise AlpacaError(f"unexpected reply from Alpaca ({type(exc).__name__})") from None
        rows = found.data.get(ticker, []) if not isinstance(found, dict) else []
        bars = [to_bar(bar) for bar in rows]
        return sorted((b for b in bars if start <= b.open_time < end), key=lambda b: b.open_time)


def _refusal(exc: APIError) -> AlpacaError:
    status = exc.status_code
    text = str(exc)[:120]
    if status in (401, 403):
        return AlpacaKeysRefused(f"Alpaca refused the keys (HTTP {status}: {text}); {KEYS_HINT}")
    if status == 429 or (status or 0) >= 500:
        return AlpacaBusy(f"Alpaca is busy (HTTP {status})")
    return AlpacaError(f"Alpaca error (HTTP {status}): {text}")
