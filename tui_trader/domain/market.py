"""Market data events. Prices and volumes are Decimal from the wire on."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Tick:
    """A top-of-book / last-trade update for one symbol."""

    symbol: str
    ts: datetime
    price: Decimal  # last trade or mark price
    bid: Decimal
    ask: Decimal
    volume: Decimal = Decimal(0)  # traded quantity since the previous tick

    @property
    def spread_pct(self) -> Decimal:
        mid = (self.bid + self.ask) / 2
        return (self.ask - self.bid) / mid * 100 if mid > 0 else Decimal(0)


@dataclass(frozen=True, slots=True)
class Candle:
    """One kline. `closed` is False for the still-forming candle."""

    symbol: str
    open_time: datetime
    close_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    closed: bool = True
    interval: str = "1m"

    @property
    def range_pct(self) -> Decimal:
        return (self.high - self.low) / self.low * 100 if self.low > 0 else Decimal(0)


@dataclass(frozen=True, slots=True)
class VenueBar:
    """A closed bar as another venue's REST history gives it (Upbit's candles, Alpaca's
    stock bars): what `data download` writes as a kline row and Upbit's warm-up reads.
    quote_volume: the traded value (Alpaca sends none: its vwap × volume)."""

    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int = 0  # where the venue counts them (Alpaca)
