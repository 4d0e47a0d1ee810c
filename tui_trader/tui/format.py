"""Number and time formatting for the panels: short, aligned, never scientific."""

from datetime import datetime
from decimal import Decimal

SPARK_CHARS = "▁▂▃▄▅▆▇█"


def money(value: Decimal, places: int = 2) -> str:
    """Thousands separators and fixed places: 12,345.67."""
    return f"{value:,.{places}f}"


def signed(value: Decimal, places: int = 2) -> str:
    return f"{value:+,.{places}f}"


def pct(value: Decimal, places: int = 2) -> str:
    return f"{value:+.{places}f}%"


def price(value: Decimal) -> str:
    """Enough decimals to see a tick move at any price level, no more. From a million
    on (KRW prices: Upbit's units there are whole won or more) no decimals, so the
    number still fits its column at 80 columns."""
    if value == 0:
        return "-"
    magnitude = abs(value)
    places = 0 if magnitude >= 1_000_000 else 2 if magnitude >= 100 else 4 if magnitude >= 1 else 6
    return f"{value:.{places}f}"


def optional_price(value: Decimal | None) -> str:
    return "-" if value is None else price(value)


def qty(value: Decimal) -> str:
    """Quantities as given, trailing zeros dropped (0.00100000 -> 0.001)."""
    text = f"{value.normalize():f}"
    return text if len(text) <= 12 else f"{value:.6f}"


def clock(ts: datetime) -> str:
    return ts.strftime("%H:%M:%S")


def age(seconds: float) -> str:
    if seconds < 0:
        return "0.0s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.0f}h"


def sparkline(values: tuple[float, ...], width: int) -> str:
    """The last `width` values as block characters scaled between their min and max."""
    recent = values[-width:]
    if not recent:
        return ""
    low, high = min(recent), max(recent)
    span = high - low
    if span <= 0:
        return SPARK_CHARS[3] * len(recent)
    top = len(SPARK_CHARS) - 1
    return "".join(SPARK_CHARS[round((v - low) / span * top)] for v in recent)


def small_pct(value: Decimal) -> str:
    """Two significant digits for small percentages (spreads): 0.0004, 0.012, 1.2."""
    if value == 0:
        return "0"
    return f"{float(value):.2g}"
