"""Alpaca's regulatory fees on sales, as the trading double charges them: the SEC fee
(a rate on the proceeds) and FINRA's TAF (per share, capped per trade), each rounded up
to the cent and taken from the cash, then listed as non-trade activities of type FEE
(GET /v2/account/activities/FEE) with Alpaca's `<New York time>::<uuid>` ids.
`hold` keeps new charges off the list (and off the cash) until `post()`, as Alpaca
posts them some time after the trade."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
CENT = Decimal("0.01")


def activity_id(at: datetime) -> str:
    local = at.astimezone(NEW_YORK)
    return f"{local:%Y%m%d%H%M%S}{local.microsecond // 1000:03d}::{uuid.uuid4()}"


@dataclass
class FeeDesk:
    sec_rate: Decimal = Decimal("0.0000278")  # per dollar sold
    taf_per_share: Decimal = Decimal("0.000166")
    taf_cap: Decimal = Decimal("8.30")
    hold: bool = False
    activities: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)

    def on_sale(self, ticker: str, qty: Decimal, price: Decimal) -> None:
        sec = (qty * price * self.sec_rate).quantize(CENT, ROUND_CEILING)
        taf = min((qty * self.taf_per_share).quantize(CENT, ROUND_CEILING), self.taf_cap)
        now = datetime.now(UTC)
        for what, amount in (("REG fee", sec), ("TAF fee", taf)):
            if amount > 0:
                self.pending.append({
                    "activity_type": "FEE", "id": activity_id(now), "date": f"{now:%Y-%m-%d}",
                    "net_amount": str(-amount), "symbol": ticker, "description": what,
                    "status": "executed"})  # fmt: skip

    def post(self) -> Decimal:
        """Post what is pending; returns what it takes from the cash."""
        posted, self.pending = self.pending, []
        self.activities += posted
        return -sum((Decimal(a["net_amount"]) for a in posted), Decimal(0))

    def listing(self, after: str, page_size: int, page_token: str) -> list[dict[str, Any]]:
        """GET /v2/account/activities/FEE, oldest first, after a time, paged by id."""
        moment = datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
        rows = [a for a in self.activities if moment is None or _at(a["id"]) > moment]
        rows.sort(key=lambda a: (_at(a["id"]), a["id"]))
        if page_token:
            ids = [a["id"] for a in rows]
            rows = rows[ids.index(page_token) + 1 :] if page_token in ids else []
        return rows[:page_size]


def _at(ref: str) -> datetime:
    stamp = ref.split("::", 1)[0]
    local = datetime.strptime(stamp[:14], "%Y%m%d%H%M%S").replace(
        microsecond=int(stamp[14:]) * 1000, tzinfo=NEW_YORK
    )
    return local.astimezone(UTC)
