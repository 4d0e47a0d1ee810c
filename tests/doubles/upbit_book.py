"""The Upbit exchange double's account: orders kept by identifier, balances, matching.

Market orders fill at once at the market's price (a buy by amount spends what whole
0.00000001 steps it can and ends `cancel`, the remainder returned, as on Upbit; a sell
ends `done`); limit orders rest until `trade()` fills them. Fees: 0.05% of the value,
in KRW, as Upbit's KRW market charges. Refusals are returned as (status, name, message)
in Upbit's error names; `duplicate_identifier` is this double's name for a reused
identifier (Upbit refuses one, without documenting the body)."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal
from typing import Any

KST = timezone(timedelta(hours=9))
FEE = Decimal("0.0005")
STEP = Decimal("0.00000001")
UNITS = [(2_000_000, 1000), (1_000_000, 1000), (500_000, 500), (100_000, 100),
         (50_000, 50), (10_000, 10), (5_000, 5), (1_000, 1)]  # fmt: skip
Refusal = tuple[int, str, str]


def unit_at(price: Decimal) -> Decimal:
    return next((Decimal(u) for low, u in UNITS if price >= low), Decimal("0.0001"))


@dataclass
class Trade:
    trade_id: str
    price: Decimal
    volume: Decimal
    at: datetime

    def json(self, market: str, side: str) -> dict[str, Any]:
        funds = self.price * self.volume
        return {"market": market, "uuid": self.trade_id, "price": str(self.price),
                "volume": str(self.volume), "funds": str(funds), "trend": "up",
                "created_at": self.at.isoformat(), "side": side}  # fmt: skip


@dataclass
class BookOrder:
    identifier: str | None
    market: str
    side: str  # bid / ask
    ord_type: str  # limit / price / market
    price: Decimal | None  # limit price, or a market buy's amount
    volume: Decimal | None
    created_at: datetime
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: str = "wait"
    trades: list[Trade] = field(default_factory=list)

    @property
    def executed(self) -> Decimal:
        return sum((t.volume for t in self.trades), Decimal(0))

    @property
    def fee(self) -> Decimal:
        return sum((t.price * t.volume for t in self.trades), Decimal(0)) * FEE

    def json(self, with_trades: bool = True, state: str | None = None) -> dict[str, Any]:
        remaining = (self.volume - self.executed) if self.volume is not None else None
        body = {"uuid": self.uuid, "side": self.side, "ord_type": self.ord_type,
                "price": None if self.price is None else str(self.price),
                "state": state or self.state, "market": self.market,
                "created_at": self.created_at.isoformat(),
                "volume": None if self.volume is None else str(self.volume),
                "remaining_volume": None if remaining is None else str(remaining),
                "reserved_fee": "0", "remaining_fee": "0", "paid_fee": str(self.fee),
                "locked": "0", "executed_volume": str(self.executed),
                "trades_count": len(self.trades), "identifier": self.identifier}  # fmt: skip
        if with_trades:
            body["trades"] = [t.json(self.market, self.side) for t in self.trades]
        return body


@dataclass
class Account:
    prices: dict[str, Decimal] = field(default_factory=lambda: {"KRW-BTC": Decimal(90_000_000)})
    balances: dict[str, Decimal] = field(
        default_factory=lambda: {"KRW": Decimal(1_000_000), "BTC": Decimal("0.01")}
    )
    orders: dict[str, BookOrder] = field(default_factory=dict)  # by uuid
    placed: list[str] = field(default_factory=list)  # identifiers, in order: duplicates show

    def find(self, identifier: str) -> BookOrder | None:
        return next((o for o in self.orders.values() if o.identifier == identifier), None)

    def place(self, body: dict[str, Any], now: datetime) -> BookOrder | Refusal:
        ident = body.get("identifier")
        if ident is not None and self.find(ident) is not None:
            return 400, "duplicate_identifier", "identifier is already in use"
        market, side, kind = body.get("market"), body.get("side"), body.get("ord_type")
        if market not in self.prices or side not in ("bid", "ask"):
            return 400, "validation_error", "market or side is not valid"
        price = Decimal(body["price"]) if body.get("price") is not None else None
        volume = Decimal(body["volume"]) if body.get("volume") is not None else None
        refusal = self._refusal(side, kind, price, volume, self.prices[market])
        if refusal:
            return refusal
        order = BookOrder(ident, market, side, kind, price, volume, now.astimezone(KST))
        self.orders[order.uuid] = order
        self.placed.append(ident or order.uuid)
        if kind != "limit":
            self._fill_market(order, self.prices[market], now)
        return order

    def _refusal(self, side: str, kind: Any, price: Decimal | None,
                 volume: Decimal | None, last: Decimal) -> Refusal | None:  # fmt: skip
        if kind == "limit" and price is not None and volume is not None:
            if price % unit_at(price) != 0:
                return 400, f"invalid_price_{side}", "주문가격 단위를 잘못 입력하셨습니다."
            total = price * volume
        elif kind == "price" and side == "bid" and price is not None and volume is None:
            total = price
        elif kind == "market" and side == "ask" and volume is not None and price is None:
            total = volume * last
        else:
            return 400, f"create_{side}_error", "order parameters do not fit the order type"
        if total < 5000:
            return 400, f"under_min_total_{side}", "최소주문금액 이상으로 주문해주세요"
        need, have = (total, self.balances["KRW"]) if side == "bid" else (
            volume or Decimal(0), self.balances.get("BTC", Decimal(0)))  # fmt: skip
        if need > have:
            return 400, f"insufficient_funds_{side}", "주문가능한 금액이 부족합니다."
        return None

    def _fill_market(self, order: BookOrder, price: Decimal, now: datetime) -> None:
        if order.ord_type == "price":
            assert order.price is not None
            volume = (order.price / price / STEP).to_integral_value(ROUND_FLOOR) * STEP
            self.trade(order, volume, now)
            order.state = "cancel"  # the unspendable remainder returned
        else:
            assert order.volume is not None
            self.trade(order, order.volume, now)

    def trade(self, order: BookOrder, volume: Decimal, now: datetime) -> None:
        price = order.price if order.ord_type == "limit" else self.prices[order.market]
        assert price is not None
        order.trades.append(Trade(str(uuid.uuid4()), price, volume, now.astimezone(KST)))
        value, sign = price * volume, 1 if order.side == "bid" else -1
        self.balances["KRW"] -= sign * value + value * FEE
        self.balances["BTC"] = self.balances.get("BTC", Decimal(0)) + sign * volume
        if order.volume is not None and order.executed >= order.volume:
            order.state = "done"
