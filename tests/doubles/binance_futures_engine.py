"""A tiny USD-M futures engine for the Binance exchange double: one-way positions,
leverage and margin type per symbol, reduce-only orders, funding (with its income
history rows), and the JSON Binance answers with (REST replies, ORDER_TRADE_UPDATE and
ACCOUNT_UPDATE events).

LIMIT orders rest unless they cross the mark price; MARKET orders fill at the mark.
Taker and maker fees are 0.04% of the notional, in USDT. The liquidation price is
entry × (1 ∓ 1/leverage ± 0.4%) (long / short): simple, and enough to be checked.

What the trader never sends can still be on the account: orders of any type placed
elsewhere (`place_foreign`: STOP_MARKET, TRAILING_STOP_MARKET, ... as Binance's
documented openOrders and ORDER_TRADE_UPDATE examples show them), liquidation and ADL
executions (`liquidate`: x=CALCULATED), and hedge-mode positions (`hedge_positions`:
positionRisk rows and ACCOUNT_UPDATE entries with positionSide LONG / SHORT)."""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.doubles.binance_matching import ExchangeError, num

FEE_RATE = Decimal("0.0004")
MAINT_RATE = Decimal("0.004")
_CID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")


@dataclass
class FuturesOrder:
    order_id: int
    cid: str
    symbol: str
    side: str
    type: str
    qty: Decimal
    price: Decimal  # 0 for MARKET
    reduce_only: bool
    time_ms: int
    status: str = "NEW"
    executed: Decimal = Decimal(0)
    quote: Decimal = Decimal(0)
    update_ms: int = 0
    fills: list[dict[str, Any]] = field(default_factory=list)
    tif: str = "GTC"
    stop: Decimal = Decimal(0)
    rest_extra: dict[str, Any] = field(default_factory=dict)  # e.g. activatePrice, priceRate
    event_extra: dict[str, Any] = field(default_factory=dict)  # e.g. AP, cr

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.executed

    @property
    def average(self) -> Decimal:
        return self.quote / self.executed if self.executed else Decimal(0)

    def json(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "symbol": self.symbol,
            "status": self.status,
            "clientOrderId": self.cid,
            "price": num(self.price),
            "avgPrice": num(self.average),
            "origQty": num(self.qty),
            "executedQty": num(self.executed),
            "cumQty": num(self.executed),
            "cumQuote": num(self.quote),
            "timeInForce": self.tif,
            "type": self.type,
            "origType": self.type,
            "reduceOnly": self.reduce_only,
            "closePosition": False,
            "side": self.side,
            "positionSide": "BOTH",
            "stopPrice": num(self.stop),
            "workingType": "CONTRACT_PRICE",
            "priceProtect": False,
            "priceMatch": "NONE",
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "goodTillDate": 0,
            "time": self.time_ms,
            "updateTime": self.update_ms or self.time_ms,
        } | self.rest_extra

    def event(self, now_ms: int, exec_type: str, trade: dict[str, Any] | None = None) -> dict:
        last = trade or {}
        return {
            "e": "ORDER_TRADE_UPDATE",
            "E": now_ms,
            "T": now_ms,
            "o": {
                "s": self.symbol,
                "c": self.cid,
                "S": self.side,
                "o": self.type,
                "f": self.tif,
                "q": num(self.qty),
                "p": num(self.price),
                "ap": num(self.average),
                "sp": num(self.stop),
                "x": exec_type,
                "X": self.status,
                "i": self.order_id,
                "l": last.get("qty", "0"),
                "z": num(self.executed),
                "L": last.get("price", "0"),
                "n": last.get("commission", "0"),
                "N": "USDT",
                "T": now_ms,
                "t": last.get("id", 0),
                "b": "0",
                "a": "0",
                "m": bool(last.get("maker", False)),
                "R": self.reduce_only,
                "wt": "CONTRACT_PRICE",
                "ot": self.type,
                "ps": "BOTH",
                "cp": False,
                "rp": last.get("realizedPnl", "0"),
                "pP": False,
                "si": 0,
                "ss": 0,
                "V": "EXPIRE_MAKER",
                "pm": "NONE",
                "gtd": 0,
                "er": "0",
            }
            | self.event_extra,
        }


class FuturesEngine:
    def __init__(self, symbols: list[str], wallet: Decimal) -> None:
        self.symbols = symbols
        self.wallet = wallet
        self.marks: dict[str, Decimal] = {}
        self.positions: dict[str, tuple[Decimal, Decimal]] = {}  # qty (signed), entry
        self.leverage = dict.fromkeys(symbols, 20)
        self.margin_type = dict.fromkeys(symbols, "CROSSED")
        self.dual_side = False
        self.can_withdraw = False
        self.orders: dict[int, FuturesOrder] = {}
        self.income: list[dict[str, Any]] = []  # GET /fapi/v1/income rows, as recorded
        # (symbol, "LONG" | "SHORT") → (qty, entry): a hedge-mode account's positions
        self.hedge_positions: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
        self._next_order, self._next_trade = 8_000_000, 900_000
        self._next_tran = 9_689_322_392  # tranId: a number, as USD-M sends it

    # --- queries ------------------------------------------------------------------
    def find(self, symbol: str, order_id: str | None, cid: str | None) -> FuturesOrder:
        for order in self.orders.values():
            if order.symbol == symbol and (str(order.order_id) == order_id or order.cid == cid):
                return order
        raise ExchangeError(-2013, "Order does not exist.")

    def open_orders(self) -> list[FuturesOrder]:
        return [o for o in self.orders.values() if o.status in ("NEW", "PARTIALLY_FILLED")]

    def position(self, symbol: str) -> tuple[Decimal, Decimal]:
        return self.positions.get(symbol, (Decimal(0), Decimal(0)))

    def liquidation(self, symbol: str) -> Decimal:
        qty, entry = self.position(symbol)
        if qty == 0:
            return Decimal(0)
        step = 1 / Decimal(self.leverage[symbol]) - MAINT_RATE
        return entry * (1 - step) if qty > 0 else entry * (1 + step)

    def unrealized(self, symbol: str) -> Decimal:
        qty, entry = self.position(symbol)
        return (self.marks.get(symbol, entry) - entry) * qty

    def position_rows(self) -> list[dict[str, Any]]:
        """GET /fapi/v3/positionRisk: one-way positions held, then hedge-mode rows."""
        held = [self.position_row(s) for s, (qty, _) in self.positions.items() if qty != 0]
        return held + [self.position_row(s, side) for s, side in self.hedge_positions]

    def position_row(self, symbol: str, side: str = "BOTH") -> dict[str, Any]:
        if side == "BOTH":
            qty, entry = self.position(symbol)
        else:
            qty, entry = self.hedge_positions[(symbol, side)]
        mark = self.marks.get(symbol, entry)
        return {
            "symbol": symbol,
            "positionSide": side,
            "positionAmt": num(qty),
            "entryPrice": num(entry),
            "breakEvenPrice": num(entry),
            "markPrice": num(mark),
            "unRealizedProfit": num((mark - entry) * qty),
            "liquidationPrice": num(self.liquidation(symbol)),
            "isolatedMargin": "0",
            "notional": num(qty * mark),
            "marginAsset": "USDT",
            "isolatedWallet": "0",
            "initialMargin": num(abs(qty) * entry / self.leverage[symbol]),
            "maintMargin": "0",
            "positionInitialMargin": num(abs(qty) * entry / self.leverage[symbol]),
            "openOrderInitialMargin": "0",
            "adl": 0,
            "bidNotional": "0",
            "askNotional": "0",
            "updateTime": 0,
        }

    def user_trades(self, symbol: str, order_id: str | None) -> list[dict[str, Any]]:
        return [
            t | {"symbol": o.symbol, "orderId": o.order_id, "side": o.side, "positionSide": "BOTH"}
            for o in self.orders.values()
            if o.symbol == symbol and order_id in (None, str(o.order_id))
            for t in o.fills
        ]

    # --- trading ------------------------------------------------------------------
    def place(self, p: dict[str, str], now_ms: int) -> tuple[FuturesOrder, list[dict[str, Any]]]:
        symbol, side, kind = p.get("symbol", ""), p.get("side"), p.get("type")
        if symbol not in self.symbols:
            raise ExchangeError(-1121, "Invalid symbol.")
        if side not in ("BUY", "SELL") or kind not in ("LIMIT", "MARKET"):
            raise ExchangeError(-1116, "Invalid orderType.")
        cid = p.get("newClientOrderId", "")
        if not _CID.match(cid):
            raise ExchangeError(-1100, "Illegal characters found in parameter 'newClientOrderId'.")
        if any(o.cid == cid for o in self.open_orders()):
            raise ExchangeError(-4116, "ClientOrderId is duplicated.")
        if kind == "LIMIT" and "price" not in p:
            raise ExchangeError(-1102, "Mandatory parameter 'price' was not sent.")
        qty = Decimal(p["quantity"])
        price = Decimal(p["price"]) if kind == "LIMIT" else self.marks[symbol]
        reduce_only = p.get("reduceOnly") == "true"
        self._check(symbol, side, qty, price, reduce_only)
        self._next_order += 1
        order = FuturesOrder(
            self._next_order,
            cid,
            symbol,
            side,
            kind,
            qty,
            price if kind == "LIMIT" else Decimal(0),
            reduce_only,
            now_ms,
            update_ms=now_ms,
        )
        self.orders[order.order_id] = order
        events = [order.event(now_ms, "NEW")]
        mark = self.marks.get(symbol)
        crosses = mark is not None and (price >= mark if side == "BUY" else price <= mark)
        if mark is not None and (kind == "MARKET" or crosses):
            events += self.fill(cid, qty, mark, now_ms, maker=False)
        return order, events

    def place_foreign(
        self,
        cid: str,
        kind: str,
        side: str,
        qty: Decimal,
        now_ms: int,
        *,
        price: Decimal = Decimal(0),
        stop: Decimal = Decimal(0),
        symbol: str = "BTCUSDT",
    ) -> list[dict[str, Any]]:
        """An order placed elsewhere (the web UI, another bot): any type Binance has, left
        resting. A trailing stop carries its activation price and callback rate as in
        Binance's documented examples (REST activatePrice / priceRate, event AP / cr)."""
        self._next_order += 1
        order = FuturesOrder(
            self._next_order, cid, symbol, side, kind, qty, price, False, now_ms,
            update_ms=now_ms, stop=stop,
        )  # fmt: skip
        if kind == "TRAILING_STOP_MARKET":
            order.rest_extra = {"activatePrice": num(stop), "priceRate": "0.3"}
            order.event_extra = {"AP": num(stop), "cr": "0.3"}
        self.orders[order.order_id] = order
        return [order.event(now_ms, "NEW")]

    def liquidate(
        self, symbol: str, price: Decimal, now_ms: int, *, adl: bool = False
    ) -> list[dict[str, Any]]:
        """The liquidation engine (or auto-deleveraging) closes the whole position at
        `price`: one order with a venue-made client id, filled at once and reported with
        x=CALCULATED, then the ACCOUNT_UPDATE. The clearance fee is 0.5% here."""
        qty, _ = self.position(symbol)
        assert qty != 0
        self._next_order += 1
        cid = "adl_autoclose" if adl else f"autoclose-{now_ms}{self._next_order}"
        side = "SELL" if qty > 0 else "BUY"
        order = FuturesOrder(
            self._next_order, cid, symbol, side, "LIQUIDATION", abs(qty), price, True, now_ms,
            update_ms=now_ms, tif="IOC",
        )  # fmt: skip
        self.orders[order.order_id] = order
        events = self.fill(cid, abs(qty), price, now_ms, maker=False, fee_rate=Decimal("0.005"))
        events[0]["o"]["x"] = "CALCULATED"
        return events

    def hedge_account_update(self, now_ms: int) -> dict[str, Any]:
        """ACCOUNT_UPDATE of a hedge-mode account: one entry per side of each symbol."""
        event = self.account_update(now_ms, "ORDER")
        event["a"]["P"] = [
            {"s": s, "pa": num(q), "ep": num(e), "bep": num(e), "cr": "0", "up": "0",
             "mt": "cross", "iw": "0", "ps": side}
            for (s, side), (q, e) in self.hedge_positions.items()
        ]  # fmt: skip
        return event

    def _check(self, symbol: str, side: str, qty: Decimal, price: Decimal, reduce: bool) -> None:
        if qty < Decimal("0.001") or qty % Decimal("0.001") != 0:
            raise ExchangeError(-1111, "Precision is over the maximum defined for this asset.")
        if price % Decimal("0.1") != 0:
            raise ExchangeError(-4014, "Price not increased by tick size.")
        held, _ = self.position(symbol)
        signed = qty if side == "BUY" else -qty
        if reduce and (held == 0 or (held > 0) == (signed > 0) or abs(signed) > abs(held)):
            raise ExchangeError(-2022, "ReduceOnly Order is rejected.")
        if not reduce and qty * price < 5:
            raise ExchangeError(
                -4164, "Order's notional must be no smaller than 5 (unless you choose reduce only)."
            )
        if not reduce and qty * price / self.leverage[symbol] > self.available():
            raise ExchangeError(-2019, "Margin is insufficient.")

    def available(self) -> Decimal:
        used = sum(
            (abs(q) * e / self.leverage[s] for s, (q, e) in self.positions.items()), Decimal(0)
        )
        return self.wallet - used

    def fill(
        self,
        cid: str,
        qty: Decimal,
        price: Decimal,
        now_ms: int,
        maker: bool = True,
        fee_rate: Decimal = FEE_RATE,
    ) -> list[dict[str, Any]]:
        order = next(o for o in self.open_orders() if o.cid == cid)
        assert order.status in ("NEW", "PARTIALLY_FILLED") and qty <= order.remaining
        fee = qty * price * fee_rate
        realized = self._move(order.symbol, qty if order.side == "BUY" else -qty, price)
        self.wallet += realized - fee
        self._next_trade += 1
        trade = {
            "id": self._next_trade,
            "price": num(price),
            "qty": num(qty),
            "quoteQty": num(qty * price),
            "commission": num(fee),
            "commissionAsset": "USDT",
            "realizedPnl": num(realized),
            "buyer": order.side == "BUY",
            "maker": maker,
            "time": now_ms,
        }
        order.fills.append(trade)
        order.executed += qty
        order.quote += qty * price
        order.status = "FILLED" if order.remaining == 0 else "PARTIALLY_FILLED"
        order.update_ms = now_ms
        return [order.event(now_ms, "TRADE", trade), self.account_update(now_ms, "ORDER", order)]

    def _move(self, symbol: str, delta: Decimal, price: Decimal) -> Decimal:
        qty, entry = self.position(symbol)
        if qty == 0 or (qty > 0) == (delta > 0):
            new_qty = qty + delta
            self.positions[symbol] = (new_qty, (qty * entry + delta * price) / new_qty)
            return Decimal(0)
        closed = min(abs(delta), abs(qty))
        realized = (price - entry) * closed * (1 if qty > 0 else -1)
        new_qty = qty + delta
        new_entry = entry if (new_qty > 0) == (qty > 0) else price
        self.positions[symbol] = (new_qty, new_entry if new_qty else Decimal(0))
        return realized

    def account_update(
        self, now_ms: int, reason: str, order: FuturesOrder | None = None, change: str = "0"
    ) -> dict[str, Any]:
        symbols = [order.symbol] if order is not None else []
        return {
            "e": "ACCOUNT_UPDATE",
            "E": now_ms,
            "T": now_ms,
            "a": {
                "m": reason,
                "B": [{"a": "USDT", "wb": num(self.wallet), "cw": num(self.wallet), "bc": change}],
                "P": [
                    {
                        "s": s,
                        "pa": num(self.position(s)[0]),
                        "ep": num(self.position(s)[1]),
                        "bep": num(self.position(s)[1]),
                        "cr": "0",
                        "up": num(self.unrealized(s)),
                        "mt": self.margin_type[s].lower(),
                        "iw": "0",
                        "ps": "BOTH",
                    }
                    for s in symbols
                ],
            },
        }

    def funding(self, symbol: str, rate: Decimal, now_ms: int) -> dict[str, Any]:
        """Settle funding: longs pay `rate` × notional at the mark (shorts receive it).
        The income row is recorded; the ACCOUNT_UPDATE is returned for pushing."""
        qty, _ = self.position(symbol)
        fee = -qty * self.marks[symbol] * rate
        self.wallet += fee
        self._next_tran += 1
        self.income.append(
            {
                "symbol": symbol,
                "incomeType": "FUNDING_FEE",
                "income": num(fee),
                "asset": "USDT",
                "info": "FUNDING_FEE",
                "time": now_ms,
                "tranId": self._next_tran,
                "tradeId": "",
            }
        )
        return self.account_update(now_ms, "FUNDING_FEE", change=num(fee))

    def income_history(self, p: dict[str, str]) -> list[dict[str, Any]]:
        """GET /fapi/v1/income: oldest first from startTime (inclusive), at most
        `limit` rows (default 100, max 1000)."""
        limit = int(p.get("limit", "100"))
        if not 1 <= limit <= 1000:
            raise ExchangeError(-1130, "Data sent for parameter 'limit' is not valid.")
        start, end = int(p.get("startTime", "0")), int(p.get("endTime", str(2**63)))
        rows = [
            row
            for row in sorted(self.income, key=lambda r: (r["time"], r["tranId"]))
            if p.get("incomeType", row["incomeType"]) == row["incomeType"]
            and p.get("symbol", row["symbol"]) == row["symbol"]
            and start <= row["time"] <= end
        ]
        return rows[:limit]

    def cancel(self, order: FuturesOrder, now_ms: int) -> list[dict[str, Any]]:
        if order.status not in ("NEW", "PARTIALLY_FILLED"):
            raise ExchangeError(-2011, "Unknown order sent.")
        order.status, order.update_ms = "CANCELED", now_ms
        return [order.event(now_ms, "CANCELED")]

    def account(self, now_ms: int) -> dict[str, Any]:
        upnl = sum((self.unrealized(s) for s in self.positions), Decimal(0))
        asset = {
            "asset": "USDT",
            "walletBalance": num(self.wallet),
            "unrealizedProfit": num(upnl),
            "marginBalance": num(self.wallet + upnl),
            "maintMargin": "0",
            "initialMargin": num(self.wallet - self.available()),
            "positionInitialMargin": num(self.wallet - self.available()),
            "openOrderInitialMargin": "0",
            "crossWalletBalance": num(self.wallet),
            "crossUnPnl": num(upnl),
            "availableBalance": num(self.available()),
            "maxWithdrawAmount": num(self.available()),
            "updateTime": now_ms,
        }
        return {
            "feeTier": 0,
            "canTrade": True,
            "canDeposit": True,
            "canWithdraw": self.can_withdraw,
            "updateTime": now_ms,
            "multiAssetsMargin": False,
            "totalWalletBalance": num(self.wallet),
            "availableBalance": num(self.available()),
            "assets": [asset],
            "positions": [],
        }
