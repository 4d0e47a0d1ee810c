"""The order path of a fast run, on the candles where money can move: the core's entry
and signal exit (core/trading_core.py `_act_on`, `_entry`, `_signal_exit`), its cancel of
entries older than ENTRY_ORDER_TTL_SEC, the risk checks that can refuse in the declared
subset (risk/manager.py, in its order: the first that fails names the refusal) and the
paper exchange's acceptance (its matching: book.py), all in Decimal with the same
operations.

The exchange filters, the rounding to lot and tick and the client order id are the live
code's own functions (SymbolRules, client_order_id), called, not copied."""

from collections import deque
from decimal import Decimal

from tui_trader.backtest.fast.book import Book, Resting
from tui_trader.backtest.fast.ledger import ZERO, Account
from tui_trader.backtest.results import RunCounts
from tui_trader.config import Settings
from tui_trader.domain.enums import Side
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.rules import SymbolRules
from tui_trader.execution.idempotency import client_order_id

HUNDRED = Decimal(100)
SECOND_US = 1_000_000


class OrderPath:
    def __init__(self, settings: Settings, symbol: str, account: Account) -> None:
        s = settings
        self.symbol, self.strategy = symbol, s.strategy
        self.rules = SymbolRules(symbol)
        self.account = account
        self.book = Book(account, symbol, (s.quote_asset, s.base_asset(symbol)), s.fee_rate,
                         self.rules.step_size)  # fmt: skip
        self.counts = RunCounts()
        self.market = s.allow_market_orders
        self.slip, self.ttl_us = s.slippage_bps / 10000, s.entry_order_ttl_sec * 1_000_000
        self.share = s.partial_fill_share
        self.size_pct, self.max_position_pct = s.position_size_pct, s.max_position_pct
        self.max_open, self.max_daily_loss = s.max_open_positions, s.max_daily_loss_pct
        self.max_slippage = s.max_slippage_bps
        self.per_sec, self.per_day = s.max_orders_per_sec, s.max_orders_per_day
        self.day_start = ZERO
        self._sent: deque[int] = deque()  # send times (µs) within the last second
        self._sent_day, self._day_count = -1, 0

    # --- the strategy's signal (TradingCore._act_on) ------------------------------------
    def on_signal(self, buy: bool, close: Decimal, now: int, open_ms: int, tripped: bool) -> None:
        """The signal on a candle closing at `now` (µs): decided on the book as it stands,
        then the core's TTL cancels, then the intent (the engine's order of commands).
        `tripped`: the circuit breaker, once it has seen this candle."""
        stale = self.stale(now) if self.book.orders else []
        intent = self._intent(buy, close, open_ms)
        if stale:
            self._cancel(stale)
        if intent is not None:
            self._place(*intent, close, now, tripped)

    def _intent(
        self, buy: bool, close: Decimal, open_ms: int
    ) -> tuple[str, Side, Decimal, Decimal | None] | None:
        """TradingCore._act_on's entry or signal exit: (intent id, side, quantity, limit
        price: None for a MARKET order)."""
        held, book, rules = self.account.held, self.book.orders, self.rules
        if not buy and held > 0:
            quantity = rules.round_qty(abs(held))
            if any(order.exit for order in book) or quantity <= 0:
                return None  # an exit in flight (ExitManager.in_flight), or nothing to sell
            limit = None if self.market else rules.round_price(close, Side.SELL)
            return f"exit-{self.strategy}-{self.symbol}-{open_ms}", Side.SELL, quantity, limit
        if not buy or held != 0 or book:
            return None  # a sell while flat (no shorts on spot), or a position or order open
        equity = self.account.equity(close)
        budget = equity * self.size_pct / HUNDRED  # Sizer.budget, fixed
        quantity = rules.round_qty(budget / close)
        if quantity <= 0:
            return None
        limit = None if self.market else rules.round_price(close, Side.BUY)
        return f"entry-{self.strategy}-{self.symbol}-{open_ms}", Side.BUY, quantity, limit

    def stale(self, now: int) -> list[Resting]:
        """TradingCore._expire_entries: open entries at least the TTL old."""
        return [o for o in self.book.orders if not o.exit and now - o.created_us >= self.ttl_us]

    def cancel_stale(self, now: int) -> None:
        """The TTL cancels of a candle without a signal."""
        self._cancel(self.stale(now))

    def _cancel(self, stale: list[Resting]) -> None:
        for order in stale:
            self.counts.cancels += 1
            if order in self.book.orders:
                self.book.close(order)

    def _place(self, intent: str, side: Side, qty: Decimal, price: Decimal | None,
               close: Decimal, now: int, tripped: bool) -> None:  # fmt: skip
        """SyncTrader._place: the gate's risk checks, then the exchange's acceptance."""
        counts = self.counts
        counts.intents += 1
        failed = self._refusal(side, qty, price, close, now, tripped)
        if failed:
            counts.refusals[failed] += 1
            counts.safety[SafetyKind.RISK_REJECTED] += 1
            return
        book = self.book
        fill_at = close * (1 + self.slip) if side is Side.BUY else close * (1 - self.slip)
        asset, per_unit = book.cost(side, fill_at if price is None else price)
        amount = per_unit * qty
        self._record_sent(now)
        if amount > book.balance(asset) - book.held(asset):
            counts.rejected += 1
            counts.safety[SafetyKind.ORDER_REJECTED] += 1
            return
        counts.orders += 1
        cid = client_order_id(intent)
        book.add(Resting(cid, side, qty, price, side is Side.SELL, now, asset, per_unit, amount))

    def _refusal(
        self, side: Side, qty: Decimal, limit: Decimal | None, close: Decimal, now: int,
        tripped: bool,
    ) -> str:  # fmt: skip
        """The name of the first risk check that fails (RiskManager.check), or ""."""
        found = self.rules.violations(qty, close if limit is None else limit)
        if limit is None:
            found = [text for text in found if not text.startswith("PRICE_FILTER")]
        if found:
            return "filters"
        if limit is not None:
            worse = limit - close if side is Side.BUY else close - limit
            if not worse / close * 10000 <= self.max_slippage:
                return "slippage"
        if side is Side.SELL and qty > max(self.account.held - ZERO, ZERO):
            return "spot_oversell"
        if not self._sent_last_second(now) < self.per_sec:
            return "orders_per_sec"
        if side is Side.SELL:
            return ""  # an exit: the entry-only checks are exempt
        return self._entry_refusal(qty * (close if limit is None else limit), close, now, tripped)

    def _entry_refusal(self, notional: Decimal, close: Decimal, now: int, tripped: bool) -> str:
        account = self.account
        equity = account.equity(close)
        total = abs(account.held) * close + ZERO + notional
        if not (equity > 0 and total <= equity * self.max_position_pct / 100):
            return "position_size"
        if self.max_open < 1:
            return "open_positions"
        day_start = self.day_start or equity
        if day_start <= 0:
            return "daily_loss"
        if not (day_start - equity) / day_start * 100 < self.max_daily_loss:
            return "daily_loss"
        if tripped:
            return "circuit_breaker"
        today = self._day_count if self._sent_day == _day(now) else 0
        return "" if today < self.per_day else "orders_per_day"

    def _sent_last_second(self, now: int) -> int:
        """RiskManager._per_second's count; the times are in order, so the oldest one
        answers for all in the usual case (orders a candle or more apart)."""
        sent, since = self._sent, now - SECOND_US
        if not sent or sent[-1] <= since:
            return 0
        if sent[0] > since:
            return len(sent)
        return sum(1 for ts in sent if ts > since)

    def _record_sent(self, now: int) -> None:
        """RiskManager.record_sent."""
        sent = self._sent
        sent.append(now)
        while sent and sent[0] <= now - SECOND_US:
            sent.popleft()
        day = _day(now)
        if day > self._sent_day:
            self._sent_day, self._day_count = day, 0
        self._day_count += 1


def _day(micros: int) -> int:
    return micros // 86_400_000_000
