"""The order path of a fast run, on the few candles where money moves: the core's entry
and signal exit (core/trading_core.py `_act_on`, `_entry`, `_signal_exit`), the risk
checks that can refuse in the declared subset (risk/manager.py, in its order: the first
that fails names the refusal), the paper exchange's acceptance and its fill at the next
open (brokers/paper_exchange.py), all in Decimal with the same operations.

The exchange filters, the rounding to lot and tick and the client order id are the live
code's own functions (SymbolRules, client_order_id), called, not copied."""

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tui_trader.backtest.fast.ledger import ZERO, Account
from tui_trader.backtest.results import RunCounts
from tui_trader.config import Settings
from tui_trader.domain.enums import Side
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.orders import Fill
from tui_trader.domain.rules import SymbolRules
from tui_trader.execution.idempotency import client_order_id

HUNDRED = Decimal(100)
ONE = Decimal(1)
SECOND_US = 1_000_000


@dataclass(frozen=True, slots=True)
class Pending:
    """A MARKET order accepted on candle `at`: it fills (or expires) on candle at + 1."""

    cid: str
    side: Side
    quantity: Decimal
    lock: Decimal  # the funds the exchange locked for it
    at: int


class OrderPath:
    def __init__(self, settings: Settings, symbol: str, account: Account) -> None:
        s = settings
        self.symbol, self.strategy, self.quote = symbol, s.strategy, s.quote_asset
        self.rules = SymbolRules(symbol)
        self.account = account
        self.counts = RunCounts()
        self.fee_rate, self.slip = s.fee_rate, s.slippage_bps / 10000
        self.size_pct, self.max_position_pct = s.position_size_pct, s.max_position_pct
        self.max_open, self.max_daily_loss = s.max_open_positions, s.max_daily_loss_pct
        self.per_sec, self.per_day = s.max_orders_per_sec, s.max_orders_per_day
        self.day_start = ZERO
        self._sent: deque[int] = deque()  # send times (µs) within the last second
        self._sent_day, self._day_count = -1, 0
        self.pending: Pending | None = None

    # --- the strategy's signal (TradingCore._act_on) ------------------------------------
    def on_signal(self, buy: bool, at: int, close: Decimal, now_us: int, open_ms: int) -> None:
        held = self.account.held
        if not buy and held > 0:
            quantity = self.rules.round_qty(abs(held))
            if quantity > 0:
                self._place("exit", Side.SELL, quantity, at, close, now_us, open_ms)
        elif buy and held == 0:
            equity = self.account.equity(close)
            budget = equity * self.size_pct / HUNDRED  # Sizer.budget, fixed
            quantity = self.rules.round_qty(budget / close)
            if quantity > 0:
                self._place("entry", Side.BUY, quantity, at, close, now_us, open_ms)

    def _place(
        self, kind: str, side: Side, qty: Decimal, at: int, close: Decimal, now: int, ms: int
    ) -> None:
        """SyncTrader._place: the gate's risk checks, then the exchange's acceptance."""
        counts = self.counts
        counts.intents += 1
        failed = self._refusal(side, qty, close, now)
        if failed:
            counts.refusals[failed] += 1
            counts.safety[SafetyKind.RISK_REJECTED] += 1
            return
        cid = client_order_id(f"{kind}-{self.strategy}-{self.symbol}-{ms}")
        if side is Side.BUY:  # PaperExchange._reserve at the last close, slipped
            amount = close * (1 + self.slip) * (1 + self.fee_rate) * qty
            free = self.account.cash - ZERO
        else:
            amount, free = ONE * qty, self.account.base - ZERO
        self._record_sent(now)
        if amount > free:
            counts.rejected += 1
            counts.safety[SafetyKind.ORDER_REJECTED] += 1
            return
        counts.orders += 1
        self.pending = Pending(cid, side, qty, amount, at)

    def _refusal(self, side: Side, qty: Decimal, close: Decimal, now: int) -> str:
        """The name of the first risk check that fails (RiskManager.check), or ""."""
        found = self.rules.violations(qty, close)
        if [text for text in found if not text.startswith("PRICE_FILTER")]:
            return "filters"
        if side is Side.SELL and qty > max(self.account.held - ZERO, ZERO):
            return "spot_oversell"
        if not self._sent_last_second(now) < self.per_sec:
            return "orders_per_sec"
        if side is Side.SELL:
            return ""  # an exit: the entry-only checks are exempt
        return self._entry_refusal(qty, close, now)

    def _entry_refusal(self, qty: Decimal, close: Decimal, now: int) -> str:
        account = self.account
        equity = account.equity(close)
        total = abs(account.held) * close + ZERO + qty * close
        if not (equity > 0 and total <= equity * self.max_position_pct / 100):
            return "position_size"
        if self.max_open < 1:
            return "open_positions"
        day_start = self.day_start or equity
        if day_start <= 0:
            return "daily_loss"
        if not (day_start - equity) / day_start * 100 < self.max_daily_loss:
            return "daily_loss"
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

    # --- the next candle: the exchange fills the order at its open ------------------------
    def settle(self, open_price: Decimal, ts: datetime) -> Decimal | None:
        """Fill the pending order at `open_price` slipped (PaperExchange._match for a
        MARKET order); the fill price, or None when it expired for want of funds."""
        order, self.pending = self.pending, None
        assert order is not None
        buy = order.side is Side.BUY
        price = open_price * (1 + self.slip) if buy else open_price * (1 - self.slip)
        if buy:
            per_unit, balance = price * (1 + self.fee_rate), self.account.cash
        else:
            per_unit, balance = ONE, self.account.base
        if per_unit * order.quantity > balance - order.lock + order.lock:
            return None  # EXPIRED: insufficient balance at the fill price
        qty = order.quantity
        fill = Fill(
            client_order_id=order.cid, symbol=self.symbol, side=order.side, quantity=qty,
            price=price, fee=qty * price * self.fee_rate, fee_asset=self.quote, ts=ts,
            trade_id=f"{order.cid}-1", is_maker=False,
        )  # fmt: skip
        self.account.book(fill)
        return price


def _day(micros: int) -> int:
    return micros // 86_400_000_000
