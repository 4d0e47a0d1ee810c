"""Pre-trade risk checks: every intent, entry or exit, passes here before the journal and
the broker see it.

Every check runs and is recorded with its numbers, so a refusal in the journal shows all
that was wrong, not only the first thing. Exits (any purpose but ENTRY) reduce exposure,
so the entry-only limits (futures/leverage, position size, open positions, daily loss,
circuit breaker, orders per day) never block them: refusing a stop-loss because the day
went badly would turn a loss limit into a larger loss. Exits still respect the order
type, the exchange filters, slippage, the per-second rate (an exchange ban stops every
later exit too) and, on spot, the quantity actually held.
"""

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from tui_trader.clock import utc_day_start
from tui_trader.domain.enums import IntentPurpose, MarketKind, OrderType, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.risk.context import CheckResult, RiskContext, RiskDecision
from tui_trader.risk.limits import RiskLimits

__all__ = ["CheckResult", "RiskDecision", "RiskManager"]  # callers import all three here

ONE_SECOND = timedelta(seconds=1)
OPERATOR_CLOSES = frozenset({IntentPurpose.FLATTEN, IntentPurpose.MANUAL_CLOSE})


def _num(value: Decimal) -> str:
    """A plain decimal string (no exponent) for people and the journal."""
    return format(value.normalize(), "f") if value else "0"


def _pct(value: Decimal) -> str:
    """Four decimals at most; format() never overflows the context as quantize can."""
    return _num(Decimal(format(value, ".4f")))


def _market_price(intent: OrderIntent, ctx: RiskContext) -> Decimal:
    """The latest market price, falling back to the price the decision was made at."""
    return ctx.reference_prices.get(intent.symbol) or intent.reference_price


def _finite(intent: OrderIntent) -> CheckResult:
    numbers = [intent.quantity, intent.reference_price]
    if intent.price is not None:
        numbers.append(intent.price)
    passed = all(n.is_finite() for n in numbers)

    def explain() -> tuple[str, str, str]:
        value = ", ".join(str(n) for n in numbers)
        reason = "numbers are finite" if passed else f"non-finite number in the intent: {value}"
        return value, "finite", reason

    return CheckResult.lazy("numbers", passed, explain)


def _order_type(intent: OrderIntent, limits: RiskLimits) -> CheckResult:
    allowed = "LIMIT or MARKET" if limits.allow_market_orders else "LIMIT only"
    kind = intent.order_type.value
    if intent.order_type is OrderType.LIMIT and intent.price is None:
        return CheckResult("order_type", False, kind, allowed, "LIMIT order without a price")
    if intent.order_type is OrderType.MARKET and not limits.allow_market_orders:
        reason = "market orders are disabled (ALLOW_MARKET_ORDERS=false)"
        return CheckResult("order_type", False, kind, allowed, reason)
    return CheckResult("order_type", True, kind, allowed, "order type allowed")


def _filters(intent: OrderIntent, ctx: RiskContext) -> CheckResult:
    rules = ctx.rules.get(intent.symbol)
    if rules is None:
        reason = f"no exchange rules for {intent.symbol}: refused rather than sent to see"
        return CheckResult("filters", False, intent.symbol, "rules required", reason)
    price = intent.price if intent.price is not None else intent.reference_price
    try:
        found = rules.violations(intent.quantity, price)
    except InvalidOperation:  # the tick/step remainder needs more digits than Decimal has
        found = [f"numbers out of range: quantity {intent.quantity} at price {price}"]
    if intent.order_type is OrderType.MARKET:
        # A market order carries no price: the tick filter does not apply to it and the
        # notional is estimated at the reference price.
        found = [text for text in found if not text.startswith("PRICE_FILTER")]

    def explain() -> tuple[str, str, str]:
        limit = (
            f"tick {_num(rules.tick_size)}, step {_num(rules.step_size)}, "
            f"min notional {_num(rules.min_notional)}"
        )
        reason = "; ".join(found) if found else "exchange filters met"
        return f"qty {_num(intent.quantity)} @ {_num(price)}", limit, reason

    return CheckResult.lazy("filters", not found, explain)


def _slippage(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> CheckResult:
    limit = f"{_num(limits.max_slippage_bps)} bps"
    if intent.order_type is OrderType.MARKET or intent.price is None:
        return CheckResult("slippage", True, "market", limit, "no limit price to compare")
    reference = _market_price(intent, ctx)
    if reference <= 0:
        reason = f"no reference price for {intent.symbol}"
        return CheckResult("slippage", False, "unknown", limit, reason)
    price = intent.price
    worse = price - reference if intent.side is Side.BUY else reference - price
    bps = worse / reference * 10000

    def explain() -> tuple[str, str, str]:
        reason = f"limit {_num(price)} is {_pct(bps)} bps worse than reference {_num(reference)}"
        return f"{_pct(bps)} bps", limit, reason

    return CheckResult.lazy("slippage", bps <= limits.max_slippage_bps, explain)


def _spot_oversell(intent: OrderIntent, ctx: RiskContext) -> CheckResult:
    if ctx.market is not MarketKind.SPOT or intent.side is Side.BUY:
        return CheckResult("spot_oversell", True, "-", "-", "not a spot sell")
    held = ctx.position_qty(intent.symbol)
    reserved = sum(
        (
            o.remaining
            for o in ctx.open_orders
            if o.symbol == intent.symbol and o.side is Side.SELL and o.is_open
        ),
        Decimal(0),
    )
    available = max(held - reserved, Decimal(0))

    def explain() -> tuple[str, str, str]:
        reason = (
            f"sell {_num(intent.quantity)} vs {_num(available)} available on spot "
            f"(held {_num(held)}, {_num(reserved)} in open sells)"
        )
        return _num(intent.quantity), _num(available), reason

    return CheckResult.lazy("spot_oversell", intent.quantity <= available, explain)


def _futures(_intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> CheckResult:
    limit = f"{limits.max_leverage}x" if limits.futures_enabled else "futures disabled"
    if ctx.market is MarketKind.SPOT:
        return CheckResult("futures_leverage", True, "spot", limit, "spot: no leverage")
    value = f"{ctx.leverage}x"
    if not limits.futures_enabled:
        reason = "futures trading is disabled (FUTURES_ENABLED=false)"
        return CheckResult("futures_leverage", False, value, limit, reason)
    passed = 1 <= ctx.leverage <= limits.max_leverage
    reason = f"leverage {ctx.leverage}x, maximum {limits.max_leverage}x"
    return CheckResult("futures_leverage", passed, value, limit, reason)


def _position_size(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> CheckResult:
    # Conservative: every open entry order counts as if it fills, whatever its side.
    price = _market_price(intent, ctx)
    held = abs(ctx.position_qty(intent.symbol)) * price
    pending = sum(
        (
            o.remaining * (o.price or price)
            for o in ctx.open_orders
            if o.symbol == intent.symbol and o.is_open and not o.purpose.is_exit
        ),
        Decimal(0),
    )
    total = held + pending + intent.notional
    cap = ctx.equity * limits.max_position_pct / 100

    def explain() -> tuple[str, str, str]:
        reason = (
            f"position {_num(total)} (held {_num(held)} + open {_num(pending)} + this "
            f"{_num(intent.notional)}) vs {_num(limits.max_position_pct)}% of equity "
            f"{_num(ctx.equity)} = {_num(cap)}"
        )
        return _num(total), _num(cap), reason

    return CheckResult.lazy("position_size", ctx.equity > 0 and total <= cap, explain)


def _open_positions(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> CheckResult:
    after = len(ctx.open_symbols() | {intent.symbol})
    most = limits.max_open_positions

    def explain() -> tuple[str, str, str]:
        return str(after), str(most), f"{after} open positions with this one, maximum {most}"

    return CheckResult.lazy("open_positions", after <= most, explain)


def _daily_loss(_intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> CheckResult:
    if ctx.day_start_equity <= 0:
        reason = "no equity at the UTC day start: the daily loss cannot be measured"
        limit = f"{_num(limits.max_daily_loss_pct)}%"
        return CheckResult("daily_loss", False, "unknown", limit, reason)
    loss_pct = (ctx.day_start_equity - ctx.equity) / ctx.day_start_equity * 100

    def explain() -> tuple[str, str, str]:
        limit = f"{_num(limits.max_daily_loss_pct)}%"
        reason = (
            f"day loss {_pct(loss_pct)}% (equity {_num(ctx.equity)} vs "
            f"{_num(ctx.day_start_equity)} at 00:00 UTC), limit {limit}"
        )
        return f"{_pct(loss_pct)}%", limit, reason

    # Reaching the limit stops new entries: the limit is the most the day may lose.
    return CheckResult.lazy("daily_loss", loss_pct < limits.max_daily_loss_pct, explain)


def _circuit_breaker(intent: OrderIntent, ctx: RiskContext, _limits: RiskLimits) -> CheckResult:
    tripped = intent.symbol in ctx.breaker_tripped

    def explain() -> tuple[str, str, str]:
        reason = (
            f"circuit breaker tripped for {intent.symbol}: no new entries"
            if tripped
            else "circuit breaker not tripped"
        )
        return str(tripped).lower(), "false", reason

    return CheckResult.lazy("circuit_breaker", not tripped, explain)


def _exempt(result: CheckResult) -> CheckResult:
    if result.passed:
        return result

    def explain() -> tuple[str, str, str]:
        return result.value, result.limit, f"exit exempt: {result.reason}"

    return CheckResult.lazy(result.name, True, explain)


EntryCheck = Callable[[OrderIntent, RiskContext, RiskLimits], CheckResult]
# The limits that only entries must meet, in the order a decision lists them (the
# order-rate limit per day comes last, from the manager's own count).
ENTRY_ONLY: tuple[tuple[str, EntryCheck], ...] = (
    ("futures_leverage", _futures),
    ("position_size", _position_size),
    ("open_positions", _open_positions),
    ("daily_loss", _daily_loss),
    ("circuit_breaker", _circuit_breaker),
)


def _exempt_when_read(
    name: str, check: EntryCheck, intent: OrderIntent, ctx: RiskContext, limits: RiskLimits
) -> CheckResult:
    """An entry-only limit on an exit: passed whatever it finds, so it is worked out only
    when its numbers are read (the journal's record). The context is a snapshot and the
    limits are frozen: it finds then what it would have found now."""

    def explain() -> tuple[str, str, str]:
        found = _exempt(check(intent, ctx, limits))
        return found.value, found.limit, found.reason

    return CheckResult.lazy(name, True, explain)


class RiskManager:
    """Checks intents against the limits; keeps only the order-rate history."""

    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits
        self._recent: deque[datetime] = deque()  # send times within the last second
        self._day: datetime | None = None  # UTC day the counter belongs to
        self._day_count = 0

    def check(self, intent: OrderIntent, ctx: RiskContext) -> RiskDecision:
        sane = _finite(intent)
        if not sane.passed:  # NaN/inf would break every comparison below
            return RiskDecision(False, f"numbers: {sane.reason}", (sane,))
        limits = self.limits
        checks = [
            _order_type(intent, limits),
            _filters(intent, ctx),
            _slippage(intent, ctx, limits),
            _spot_oversell(intent, ctx),
        ]
        # An operator's own closes (kill switch flatten, close key) are never throttled
        # by our local rate: closing five positions must not take five seconds.
        rate = self._per_second(ctx.now)
        checks.append(_exempt(rate) if intent.purpose in OPERATOR_CLOSES else rate)
        if intent.purpose.is_exit:
            checks += [_exempt_when_read(n, f, intent, ctx, limits) for n, f in ENTRY_ONLY]
            checks.append(_exempt(self._per_day(ctx.now)))  # the count changes once sent
        else:
            checks += [check(intent, ctx, limits) for _, check in ENTRY_ONLY]
            checks.append(self._per_day(ctx.now))
        refused = [c for c in checks if not c.passed]
        reason = f"{refused[0].name}: {refused[0].reason}" if refused else "approved"
        return RiskDecision(not refused, reason, tuple(checks))

    def record_sent(self, ts: datetime) -> None:
        """Count an order actually sent to the broker (feeds both rate limits)."""
        if ts.tzinfo is None:
            raise ValueError("record_sent needs a timezone-aware UTC time")
        self._recent.append(ts)
        while self._recent and self._recent[0] <= ts - ONE_SECOND:
            self._recent.popleft()
        day = utc_day_start(ts)
        if self._day is None or day > self._day:
            self._day, self._day_count = day, 0
        if day == self._day:  # a late record from a past day does not count today
            self._day_count += 1

    def orders_today(self, now: datetime) -> int:
        """Orders sent during the UTC day of `now` (0 once that day has rolled over)."""
        return self._day_count if self._day == utc_day_start(now) else 0

    def _per_second(self, now: datetime) -> CheckResult:
        count = sum(1 for ts in self._recent if ts > now - ONE_SECOND)
        limit = self.limits.max_orders_per_sec

        def explain() -> tuple[str, str, str]:
            reason = f"{count} orders sent in the last second, maximum {limit}"
            return str(count), str(limit), reason

        return CheckResult.lazy("orders_per_sec", count < limit, explain)

    def _per_day(self, now: datetime) -> CheckResult:
        count = self.orders_today(now)
        limit = self.limits.max_orders_per_day

        def explain() -> tuple[str, str, str]:
            return str(count), str(limit), f"{count} orders sent today (UTC), maximum {limit}"

        return CheckResult.lazy("orders_per_day", count < limit, explain)
