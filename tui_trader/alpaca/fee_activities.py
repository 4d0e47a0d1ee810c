"""Alpaca's regulatory fees on sales (SEC fee, FINRA TAF) read from its account
activities (GET /v2/account/activities/FEE) as the venue's charges to book.

Alpaca charges no commission, so a fill carries no fee (order_memory.py); the fees
passed through on sales come later, as non-trade activities of type FEE, and take the
cash below what the fills alone leave. Booking them keeps the trader's cash equal to
Alpaca's, so reconciliation finds no difference that would hold entries.

An activity's `id` is `<time>::<uuid>`, the time in New York's clock to the millisecond
(YYYYMMDDHHMMSSmmm): that is when the fee was charged, and what says whether it came
after the account's start (the cash read then already holds the earlier ones).
`net_amount` is negative for a charge. Anything that does not read as that raises
ParseError: the whole reply is refused, and nothing of it is booked."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tui_trader.alpaca.parse_orders import QUOTE, ParseError
from tui_trader.alpaca.trading_api import AlpacaTrading
from tui_trader.domain.portfolio import VenueFee
from tui_trader.execution.broker import BrokerError
from tui_trader.numbers import parse_decimal
from tui_trader.text_safety import printable

NEW_YORK = ZoneInfo("America/New_York")
# Asked again from a little before the newest fee read: one posted late with an earlier
# time is still found (booking is once per activity id, so the overlap books nothing).
OVERLAP = timedelta(days=1)


class FeeReader:
    """The account's fee activities since its start, read again from near the newest."""

    def __init__(self, api: AlpacaTrading) -> None:
        self._api = api
        self._start: datetime | None = None
        self._after: datetime | None = None

    async def since(self, start: datetime) -> list[VenueFee]:
        """The fees charged after `start` (the account's start: the cash read then holds
        the earlier ones), which later reads keep to; raises BrokerError."""
        self._start = self._after = start
        return await self.new()

    async def new(self) -> list[VenueFee]:
        """The fees charged after the start, from a day before the newest one read on
        (none before `since` was asked); raises BrokerError."""
        if self._start is None or self._after is None:
            return []
        start = self._start
        try:
            fees = [fee for fee in parse_fees(await self._api.fee_activities(self._after))
                    if fee.ts > start]  # fmt: skip
        except ParseError as exc:
            raise BrokerError(f"unreadable Alpaca fee activities: {exc}") from None
        if fees:
            self._after = max(self._after, fees[-1].ts - OVERLAP)
        return fees


def parse_fees(rows: Any) -> list[VenueFee]:
    """The FEE activities of a reply, oldest first."""
    if not isinstance(rows, list):
        raise ParseError(f"fee activities: expected a list, got {printable(str(rows), 80)}")
    fees = [_fee(row) for row in rows]
    return sorted(fees, key=lambda fee: (fee.ts, fee.ref))


def _fee(row: Any) -> VenueFee:
    try:
        if row.get("activity_type") != "FEE":
            raise ValueError(f"activity_type {row.get('activity_type')!r}")
        ref = str(row["id"])
        amount = parse_decimal(str(row["net_amount"]), "net_amount")
        ticker = row.get("symbol") or ""
        if not isinstance(ticker, str) or (ticker and not ticker.isalpha()):
            raise ValueError(f"symbol {ticker!r}")
        kind = printable(str(row.get("description") or "FEE"), 60)
        return VenueFee(charged_at(ref), QUOTE, amount, f"{ticker}{QUOTE}" if ticker else "",
                        ref, kind)  # fmt: skip
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # NumberError too
        raise ParseError(
            f"unreadable Alpaca fee activity ({exc}): {printable(str(row), 120)}"
        ) from None


def charged_at(ref: str) -> datetime:
    """The UTC time in an activity id (its New York time to the millisecond)."""
    stamp = ref.split("::", 1)[0]
    if len(stamp) != 17 or not stamp.isdigit():
        raise ValueError(f"id {ref!r} does not begin with a YYYYMMDDHHMMSSmmm time")
    year, month, day = int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8])
    hour, minute, second, ms = (
        int(stamp[8:10]),
        int(stamp[10:12]),
        int(stamp[12:14]),
        int(stamp[14:]),
    )
    try:
        local = datetime(year, month, day, hour, minute, second, ms * 1000, tzinfo=NEW_YORK)
    except ValueError as exc:
        raise ValueError(f"id {ref!r}: {exc}") from None
    return local.astimezone(UTC)
