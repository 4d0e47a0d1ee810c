"""A deterministic paper exchange: order matching and balances, with no clock of its own.

The rules strategies are judged by:
- MARKET orders fill in full at the next matching event after submission, at the ask/bid
  (or the candle open) moved against the taker by `slippage_bps`.
- LIMIT orders rest and fill at their own price only when the market trades through it
  (touching is not enough). On each event the resting orders of a symbol together fill at
  most `partial_fill_share` of the event's traded volume, first submitted first served.
- Matching runs on ticks, or on closed candles when `fill_on_candles` is set; the other
  kind of event is ignored, and so are forming candles (their volume is cumulative).
- Fees are notional × fee_rate in the quote asset. Funds are locked on acceptance, so a
  fill never overdraws; a MARKET order the funds no longer cover at its fill price EXPIRES.
- Futures: margin = notional / leverage + fee; exit orders (any purpose but ENTRY) are
  reduce-only and expire once there is nothing left to reduce. No funding, no liquidation.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tui_trader.core.ledger import ZERO, Portfolio
from tui_trader.domain.enums import MarketKind, OrderStatus, OrderType, Side
from tui_trader.domain.market import Candle, Tick
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance, Position
from tui_trader.execution.broker import BrokerEvent


def _show(amount: Decimal) -> str:
    """A Decimal for people: no trailing zeros, never an exponent."""
    return f"{amount.normalize():f}"


@dataclass(slots=True)
class _Lock:
    asset: str
    per_unit: Decimal  # funds held per unit of order quantity
    amount: Decimal  # still held


class PaperExchange:
    def __init__(
        self,
        quote_asset: str,
        balances: Mapping[str, Decimal],
        fee_rate: Decimal = Decimal("0.001"),
        slippage_bps: Decimal = Decimal("5"),
        partial_fill_share: Decimal = Decimal("0.25"),
        market: MarketKind = MarketKind.SPOT,
        leverage: int = 1,
        base_of: Callable[[str], str] | None = None,
        fill_on_candles: bool = False,
        step_of: Callable[[str], Decimal] | None = None,
    ) -> None:
        if fee_rate < 0 or slippage_bps < 0:
            raise ValueError("fee_rate and slippage_bps must be >= 0")
        if not 0 < partial_fill_share <= 1:
            raise ValueError(f"partial_fill_share must be in (0, 1], got {partial_fill_share}")
        if market is MarketKind.SPOT and leverage != 1:
            raise ValueError("spot trading has no leverage; use leverage=1")
        self.quote_asset, self.market, self.fill_on_candles = quote_asset, market, fill_on_candles
        self._fee_rate, self._slip, self._share = fee_rate, slippage_bps / 10000, partial_fill_share
        # Partial fills are whole lot steps, as on the exchange: no unsellable dust.
        self._step_of = step_of
        self._base_of = base_of or (lambda symbol: symbol.removesuffix(quote_asset))
        self._ticks: dict[str, Tick] = {}  # latest matching event per symbol
        self._candles: dict[str, Candle] = {}
        self._reset(Portfolio(quote_asset, balances, market, self._base_of, leverage=leverage))

    def _reset(self, ledger: Portfolio) -> None:
        self._ledger = ledger  # total balances and positions, booked from our own fills
        self._orders: dict[str, Order] = {}  # every order ever seen, final or not
        self._books: dict[str, list[str]] = {}  # open client ids per symbol, oldest first
        self._locks: dict[str, _Lock] = {}
        self._locked: dict[str, Decimal] = {}  # per asset, sum of the order locks
        self._trade_counts: dict[str, int] = {}
        self._sequence = 0

    # --- orders --------------------------------------------------------------------------
    def submit(self, order: Order, now: datetime) -> Order:
        """Accept `order` (status NEW, funds locked) or return it REJECTED with a reason."""
        cid = order.client_order_id
        if cid in self._orders:
            reason = f"duplicate client order id {cid}"
            return order.evolve(status=OrderStatus.REJECTED, updated_at=now, reason=reason)
        # Built accepted at once (one copy per order): the checks read none of
        # status, exchange id and reason.
        accepted = order.evolve(
            filled_quantity=ZERO, average_price=ZERO, updated_at=now, status=OrderStatus.NEW,
            exchange_order_id=f"paper-{self._sequence + 1}", reason="",
        )  # fmt: skip
        problem = self._problem(accepted) or self._reserve(accepted)
        if problem:
            rejected = accepted.evolve(status=OrderStatus.REJECTED, reason=problem,
                                       exchange_order_id=order.exchange_order_id)  # fmt: skip
            self._orders[cid] = rejected
            return rejected
        self._sequence += 1
        self._orders[cid] = accepted
        self._books.setdefault(order.symbol, []).append(cid)
        return accepted

    def cancel(self, client_order_id: str, now: datetime) -> Order | None:
        """Cancel an open order and release its funds; None if no such open order."""
        order = self._orders.get(client_order_id)
        if order is None or not order.is_open:
            return None
        canceled = order.evolve(status=OrderStatus.CANCELED, updated_at=now, reason="canceled")
        self._store(canceled)
        return canceled

    def get(self, client_order_id: str) -> Order | None:
        return self._orders.get(client_order_id)

    def position(self, symbol: str) -> Position:
        """The exchange's own view of a position (futures margin and reduce-only use it)."""
        return self._ledger.position(symbol)

    def positions(self) -> dict[str, Position]:
        """Open positions, as booked from this exchange's own fills."""
        return {s: p for s, p in self._ledger.positions.items() if p.is_open}

    def has_open(self, symbol: str) -> bool:
        """Whether `symbol` has an order resting here (a cheap check per candle)."""
        return symbol in self._books

    def open_orders(self) -> list[Order]:
        return [self._orders[cid] for book in self._books.values() for cid in book]

    def balances(self) -> dict[str, Balance]:
        """Free and locked per asset. On futures the quote's locked part also holds the
        margin of open positions, so its total is the wallet balance."""
        result: dict[str, Balance] = {}
        for asset, balance in self._ledger.balances().items():
            locked = self._held(asset)
            result[asset] = Balance(asset, balance.total - locked, locked)
        return result

    def restore(
        self,
        balances: Mapping[str, Decimal],
        open_orders: Iterable[Order],
        positions: Iterable[Position] = (),
        fills: Iterable[Fill] = (),
    ) -> None:
        """Rebuild after a restart from total balances, the open orders (they lock their
        funds again), futures positions and the fills already recorded (so trade ids keep
        counting). A MARKET order still open is EXPIRED: its moment has passed. Raises
        ValueError and keeps the current state when the orders do not fit the funds."""
        saved = dict(vars(self))
        leverage = self._ledger.leverage
        self._reset(
            Portfolio(
                self.quote_asset,
                balances,
                self.market,
                self._base_of,
                leverage=leverage,
                positions=positions,
            )
        )
        try:
            for fill in fills:
                self._trade_counts[fill.client_order_id] = self._count(fill.client_order_id) + 1
            for order in open_orders:
                self._reopen(order)
        except ValueError:
            vars(self).update(saved)
            raise

    def _reopen(self, order: Order) -> None:
        cid = order.client_order_id
        if not order.is_open or cid in self._orders:
            raise ValueError(f"cannot restore {cid}: not open ({order.status}) or duplicated")
        if order.order_type is OrderType.MARKET:
            reason = "market order still pending at restart"
            self._orders[cid] = order.evolve(status=OrderStatus.EXPIRED, reason=reason)
            return
        problem = self._problem(order) or self._reserve(order)
        if problem:
            raise ValueError(f"cannot restore {cid}: {problem}")
        self._orders[cid] = order
        self._books.setdefault(order.symbol, []).append(cid)

    # --- checks and funds ----------------------------------------------------------------

    def _problem(self, order: Order) -> str:
        """Why `order` cannot be accepted, or "" when it can."""
        qty, symbol = order.quantity, order.symbol
        if not order.client_order_id:
            return "missing client order id"
        if not qty.is_finite() or qty <= 0:
            return f"quantity must be positive, got {qty}"
        base = self._base_of(symbol)
        if not base or base == symbol:
            return f"symbol {symbol} is not quoted in {self.quote_asset}"
        price = order.price
        if order.order_type is OrderType.LIMIT and (
            price is None or not price.is_finite() or price <= 0
        ):
            return f"limit order needs a positive price, got {price}"
        if self._reduce_only(order):
            held = self._ledger.position(symbol).quantity
            room = -held if order.side is Side.BUY else held
            if order.remaining > room:
                return f"reduce-only order for {qty} would increase the position ({held})"
        return ""

    def _reserve(self, order: Order) -> str:
        """Lock the funds for the rest of `order`; a reason when they are not there."""
        if order.order_type is OrderType.LIMIT:
            price = order.price
        else:
            price = self._market_price(order.symbol, order.side)
        if price is None:
            return f"no market price seen yet for {order.symbol}"
        asset, per_unit = self._cost(order, price)
        amount = per_unit * order.remaining
        free = self._ledger.balance(asset) - self._held(asset)
        if amount > free:
            return f"insufficient balance: needs {_show(amount)} {asset}, {_show(free)} free"
        self._locks[order.client_order_id] = _Lock(asset, per_unit, amount)
        self._locked[asset] = self._locked.get(asset, ZERO) + amount
        return ""

    def _cost(self, order: Order, price: Decimal) -> tuple[str, Decimal]:
        """The asset an order spends and how much per unit at `price`, fee included."""
        if self.market is MarketKind.SPOT:
            if order.side is Side.SELL:
                return self._base_of(order.symbol), Decimal(1)
            return self.quote_asset, price * (1 + self._fee_rate)
        if self._reduce_only(order):
            return self.quote_asset, price * self._fee_rate
        return self.quote_asset, price / self._ledger.leverage + price * self._fee_rate

    def _held(self, asset: str) -> Decimal:
        held = self._locked.get(asset, ZERO)
        if self.market is MarketKind.FUTURES and asset == self.quote_asset:
            held += self._ledger.margin_used()
        return held

    def _release(self, cid: str, quantity: Decimal | None) -> None:
        """Release the lock for `quantity` filled units, or all of it when None."""
        lock = self._locks[cid]
        amount = lock.amount if quantity is None else min(lock.amount, quantity * lock.per_unit)
        lock.amount -= amount
        self._locked[lock.asset] -= amount

    def _reduce_only(self, order: Order) -> bool:
        return self.market is MarketKind.FUTURES and order.purpose.is_exit

    def _market_price(self, symbol: str, side: Side) -> Decimal | None:
        """The taker price an order would get now, slippage included."""
        if self.fill_on_candles:
            candle = self._candles.get(symbol)
            return None if candle is None else self._slipped(candle.close, side)
        tick = self._ticks.get(symbol)
        if tick is None:
            return None
        return self._slipped(tick.ask if side is Side.BUY else tick.bid, side)

    def _slipped(self, price: Decimal, side: Side) -> Decimal:
        return price * (1 + self._slip) if side is Side.BUY else price * (1 - self._slip)

    # --- matching ------------------------------------------------------------------------

    def on_tick(self, tick: Tick) -> list[BrokerEvent]:
        if self.fill_on_candles:
            return []
        self._ticks[tick.symbol] = tick
        book = self._books.get(tick.symbol)
        if book is None:
            return []
        buy, sell = self._slipped(tick.ask, Side.BUY), self._slipped(tick.bid, Side.SELL)
        return self._match(book, tick.ts, tick.volume, tick.price, tick.price, buy, sell)

    def on_candle(self, candle: Candle) -> list[BrokerEvent]:
        if not self.fill_on_candles or not candle.closed:
            return []
        self._candles[candle.symbol] = candle
        book = self._books.get(candle.symbol)
        if book is None:
            return []
        buy, sell = self._slipped(candle.open, Side.BUY), self._slipped(candle.open, Side.SELL)
        ts, volume = candle.close_time, candle.volume
        return self._match(book, ts, volume, candle.low, candle.high, buy, sell)

    def _match(
        self,
        book: list[str],
        ts: datetime,
        volume: Decimal,
        low: Decimal,
        high: Decimal,
        buy_price: Decimal,
        sell_price: Decimal,
    ) -> list[BrokerEvent]:
        out: list[BrokerEvent] = []
        capacity = self._share * volume
        for cid in list(book):
            order = self._orders[cid]
            if order.order_type is OrderType.MARKET:
                price = buy_price if order.side is Side.BUY else sell_price
                self._execute(order, order.remaining, price, ts, out)
                continue
            limit = order.price or ZERO
            through = low < limit if order.side is Side.BUY else high > limit
            if through and capacity > 0:
                qty = self._whole_steps(order.symbol, min(order.remaining, capacity))
                if qty > 0:
                    capacity -= self._execute(order, qty, limit, ts, out)
        return out

    def _whole_steps(self, symbol: str, qty: Decimal) -> Decimal:
        if self._step_of is None:
            return qty
        step = self._step_of(symbol)
        return (qty // step) * step

    def _execute(
        self, order: Order, qty: Decimal, price: Decimal, ts: datetime, out: list[BrokerEvent]
    ) -> Decimal:
        """Fill up to `qty` of `order` at `price`; returns the quantity filled. A MARKET
        order never rests: whatever it cannot fill now expires."""
        qty, reason = self._fillable(order, qty, price)
        if qty:
            order = self._fill(order, qty, price, ts, out)
        if order.is_open and (reason or order.order_type is OrderType.MARKET):
            expired = order.evolve(status=OrderStatus.EXPIRED, updated_at=ts, reason=reason)
            self._store(expired)
            out.append(expired)
        return qty

    def _fillable(self, order: Order, qty: Decimal, price: Decimal) -> tuple[Decimal, str]:
        """How much of `qty` may fill now, with the reason when it is less."""
        reason = ""
        if self._reduce_only(order):
            held = self._ledger.position(order.symbol).quantity
            room = max(-held if order.side is Side.BUY else held, ZERO)
            if room < qty:
                qty, reason = room, "reduce-only: no position left to reduce"
        asset, per_unit = self._cost(order, price)
        own = self._locks[order.client_order_id].amount
        available = self._ledger.balance(asset) - self._held(asset) + own
        if per_unit * qty > available:
            return ZERO, f"insufficient balance at fill price {_show(price)}"
        return qty, reason

    def _fill(
        self, order: Order, qty: Decimal, price: Decimal, ts: datetime, out: list[BrokerEvent]
    ) -> Order:
        cid = order.client_order_id
        count = self._count(cid) + 1
        self._trade_counts[cid] = count
        fee = qty * price * self._fee_rate
        maker = order.order_type is OrderType.LIMIT
        fill = Fill(
            client_order_id=cid,
            symbol=order.symbol,
            side=order.side,
            quantity=qty,
            price=price,
            fee=fee,
            fee_asset=self.quote_asset,
            ts=ts,
            trade_id=f"{cid}-{count}",
            is_maker=maker,
        )
        self._release(cid, qty)
        self._ledger.apply_fill(fill)
        filled = order.filled_quantity + qty
        average = (order.filled_quantity * order.average_price + qty * price) / filled
        status = OrderStatus.FILLED if filled == order.quantity else OrderStatus.PARTIALLY_FILLED
        updated = order.evolve(
            status=status, filled_quantity=filled, average_price=average, updated_at=ts
        )
        self._store(updated)
        out += (fill, updated)
        return updated

    def _store(self, order: Order) -> None:
        """Record the new state of an open order; a final one leaves the book and frees
        what it still holds."""
        cid = order.client_order_id
        self._orders[cid] = order
        if order.is_open:
            return
        self._release(cid, None)
        del self._locks[cid]
        book = self._books[order.symbol]
        book.remove(cid)
        if not book:
            del self._books[order.symbol]

    def _count(self, cid: str) -> int:
        return self._trade_counts.get(cid, 0)
