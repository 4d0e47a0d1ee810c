"""Issue 17, Alpaca's market hours for exits (alpaca/exit_queue.py): an exit asked for
while the US market is closed is held by the broker, not sent, and handed to the engine
(SendQueued) at the next regular open, once, under the same client order id; an entry is
still refused; a queued exit can be cancelled; a restart hands the journal's queued
exits back and sends each once (or adopts it, when it had gone before the crash); the
calendar's holidays and early closes decide which open it waits for.

The broker runs on the local Alpaca trading double with a clock the test moves; the
calendar is the clock double's (tests/doubles/alpaca_clock.py), as Alpaca sends it."""

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from tests.alpaca_orders_support import Run, alpaca_broker, an_order
from tests.doubles.alpaca_clock import AlpacaClock
from tests.doubles.alpaca_trading import AlpacaTradingDouble
from tui_trader.alpaca.hours import MarketHours
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.orders import Order

EVENING = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)  # a Wednesday, New York's 18:00
NEXT_OPEN = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)  # Thursday 09:30 in New York


class MovedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def calendar(
    holidays: set[date] | None = None, early: dict[date, time] | None = None
) -> MarketHours:
    clock = AlpacaClock(EVENING, holidays or set(), early or {})
    first, last = date(2026, 11, 20), date(2026, 12, 20)
    return MarketHours.from_rows(clock.rows(first, last), first, last)


def a_sell(
    intent: str, qty: str = "3", purpose: IntentPurpose = IntentPurpose.EXIT_SIGNAL
) -> Order:
    order = an_order(intent, Side.SELL, OrderType.MARKET, qty)
    return order.evolve(purpose=purpose)


def holding(qty: str = "3") -> AlpacaTradingDouble:
    double = AlpacaTradingDouble()
    double.account.positions["AAPL"] = Decimal(qty)
    return double


def on_calendar(
    double: AlpacaTradingDouble, hours: MarketHours, clock: MovedClock
) -> AbstractAsyncContextManager[Run]:
    """A broker on `double` that knows the market's hours and its next open."""
    return alpaca_broker(double, clock=clock, is_open=hours.is_open, next_open=hours.next_open)


def handed_over(run: Run) -> list[str]:
    """The client ids the broker hands to the engine to send, as it hands them."""
    due: list[str] = []
    run.broker.send_queued_through(due.append)
    return due


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_an_exit_at_night_is_queued_not_sent_and_goes_once_at_the_open() -> None:
    hours, clock = calendar(), MovedClock(EVENING)
    double = holding()
    async with on_calendar(double, hours, clock) as run:
        due = handed_over(run)
        entry = await run.broker.submit(an_order("night-entry", Side.BUY, OrderType.MARKET, "1"))
        assert entry.status is OrderStatus.REJECTED
        assert "market is closed" in entry.reason and "an entry is refused" in entry.reason
        exit_ = await run.broker.submit(a_sell("night-exit"))
        assert exit_.status is OrderStatus.NEW and exit_.queued
        assert exit_.reason.startswith("queued for the open at 2026-12-03 14:30 UTC")
        [said] = [e for e in run.safety if e.kind is SafetyKind.EXIT_QUEUED]
        assert "queued for the open at 2026-12-03 14:30 UTC" in said.message
        assert await run.broker.submit(exit_) == exit_  # asked again: still only held
        assert await run.broker.query(exit_.client_order_id) == exit_
        assert [o.client_order_id for o in run.broker.queued()] == [exit_.client_order_id]
        await asyncio.sleep(0.1)
        clock.at = NEXT_OPEN - timedelta(seconds=1)  # still closed
        await asyncio.sleep(0.1)
        assert due == [] and double.posted() == []  # nothing sent while closed
        clock.at = NEXT_OPEN
        await until(lambda: due == [exit_.client_order_id])
        await asyncio.sleep(0.1)
        assert due == [exit_.client_order_id]  # handed over once
        released = run.broker.release(exit_.client_order_id)
        assert released is not None and run.broker.release(exit_.client_order_id) is None
        sent = await run.broker.submit(released)
        assert sent.status is OrderStatus.FILLED and sent.exchange_order_id
        assert double.account.placed == [exit_.client_order_id]
        assert double.posted()[0]["type"] == "market" and double.posted()[0]["side"] == "sell"
        assert await run.broker.submit(released) == sent  # never sent twice
        assert double.account.placed == [exit_.client_order_id]


async def test_a_queued_exit_can_be_cancelled_and_then_never_goes() -> None:
    hours, clock = calendar(), MovedClock(EVENING)
    double = holding()
    async with on_calendar(double, hours, clock) as run:
        due = handed_over(run)
        queued = await run.broker.submit(a_sell("cancel-me"))
        cancelled = await run.broker.cancel(queued.client_order_id)
        assert cancelled is not None and cancelled.status is OrderStatus.CANCELED
        assert "never sent" in cancelled.reason
        assert await run.broker.cancel(queued.client_order_id) is None
        assert run.broker.queued() == []
        clock.at = NEXT_OPEN
        await asyncio.sleep(0.15)
        assert due == [] and double.posted() == []


async def test_an_exit_alpaca_would_refuse_is_refused_now_not_queued() -> None:
    hours, clock = calendar(), MovedClock(EVENING)
    async with alpaca_broker(
        holding(), clock=clock, is_open=hours.is_open, next_open=hours.next_open
    ) as run:
        odd = a_sell("odd-tick").evolve(order_type=OrderType.LIMIT, price=Decimal("190.005"))
        refused = await run.broker.submit(odd)
        assert refused.status is OrderStatus.REJECTED and "tick" in refused.reason
        assert run.broker.queued() == []


async def test_no_calendar_for_the_next_open_means_refused_with_the_reason() -> None:
    clock = MovedClock(EVENING)
    async with alpaca_broker(
        holding(), clock=clock, is_open=lambda t: False, next_open=lambda t: None
    ) as run:
        refused = await run.broker.submit(a_sell("beyond"))
        assert refused.status is OrderStatus.REJECTED
        assert "next open is not in the calendar" in refused.reason


def journaled(order: Order) -> Order:
    """The queued exit as the journal gives it back after a restart."""
    return order.evolve(updated_at=order.updated_at)


async def test_a_restart_restores_the_queue_and_sends_each_exit_once() -> None:
    hours, clock = calendar(), MovedClock(EVENING)
    double = holding()
    async with on_calendar(double, hours, clock) as first:
        queued = await first.broker.submit(a_sell("survives", purpose=IntentPurpose.FLATTEN))
    assert double.posted() == []
    # A new process at 23:30: the journal's open orders come back.
    clock.at = EVENING + timedelta(minutes=30)
    async with on_calendar(double, hours, clock) as again:
        due: list[str] = []
        again.broker.send_queued_through(due.append)
        [restored] = again.broker.restore_queued([journaled(queued)])
        assert restored.queued and "2026-12-03 14:30 UTC" in restored.reason
        said = [e.message for e in again.safety if e.kind is SafetyKind.EXIT_QUEUED]
        assert said and "restored from the journal" in said[0]
        # Reconciliation asks for it by id: Alpaca does not know it, it stays held.
        assert await again.broker.query(queued.client_order_id) == restored
        again.broker.remember([restored], [])  # the reconciler: never marked "sent"
        clock.at = NEXT_OPEN + timedelta(minutes=1)
        await until(lambda: due == [queued.client_order_id])
        released = again.broker.release(queued.client_order_id)
        assert released is not None
        sent = await again.broker.submit(released)
        assert sent.status is OrderStatus.FILLED
    assert double.account.placed == [queued.client_order_id]  # once, same client id


async def test_a_restored_exit_alpaca_already_has_is_adopted_not_sent_again() -> None:
    """The crash came at the open, after the exit was sent, before that was journaled:
    the journal still says queued; Alpaca knows the client_order_id."""
    hours, clock = calendar(), MovedClock(EVENING)
    double = holding()
    async with on_calendar(double, hours, clock) as first:
        queued = await first.broker.submit(a_sell("sent-then-crash"))
        clock.at = NEXT_OPEN
        released = first.broker.release(queued.client_order_id)
        assert released is not None
        await first.broker.submit(released)
    assert double.account.placed == [queued.client_order_id]
    async with on_calendar(double, hours, clock) as again:
        due: list[str] = []
        again.broker.send_queued_through(due.append)
        again.broker.restore_queued([journaled(queued)])
        found = await again.broker.query(queued.client_order_id)  # reconcile_unfinished
        assert found is not None and found.status is OrderStatus.FILLED
        assert again.broker.queued() == []
        await asyncio.sleep(0.15)
        assert due == []
    assert double.account.placed == [queued.client_order_id]  # never sent twice


async def test_a_restored_exit_released_before_it_was_asked_for_is_checked_first() -> None:
    hours, clock = calendar(), MovedClock(NEXT_OPEN)
    double = holding()
    async with alpaca_broker(
        double, clock=MovedClock(EVENING), is_open=hours.is_open, next_open=hours.next_open
    ) as first:
        queued = await first.broker.submit(a_sell("checked-first"))
        assert queued.queued
    sent_meanwhile = a_sell("checked-first")  # sent meanwhile by the crashed process
    double.account.place(
        {"symbol": "AAPL", "qty": "3", "side": "sell", "type": "market",
         "time_in_force": "day", "client_order_id": sent_meanwhile.client_order_id}
    )  # fmt: skip
    async with on_calendar(double, hours, clock) as again:
        again.broker.restore_queued([journaled(queued)])
        released = again.broker.release(queued.client_order_id)
        assert released is not None
        result = await again.broker.submit(released)
        assert result.exchange_order_id and result.status is OrderStatus.FILLED
    assert double.account.placed == [queued.client_order_id]


async def test_a_holiday_and_an_early_close_decide_which_open_it_waits_for() -> None:
    thursday, friday = date(2026, 12, 3), date(2026, 12, 4)
    hours = calendar(holidays={thursday}, early={friday: time(13, 0)})
    clock = MovedClock(EVENING)
    async with alpaca_broker(
        holding(), clock=clock, is_open=hours.is_open, next_open=hours.next_open
    ) as run:
        over_holiday = await run.broker.submit(a_sell("over-holiday"))
        assert over_holiday.reason.startswith("queued for the open at 2026-12-04 14:30 UTC")
        clock.at = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)  # Friday 13:30: closed early
        after_early_close = await run.broker.submit(a_sell("after-early-close", "1"))
        assert after_early_close.queued  # Monday's open, not sent at 13:30 New York
        assert after_early_close.reason.startswith("queued for the open at 2026-12-07 14:30 UTC")
        clock.at = datetime(2026, 12, 4, 17, 59, tzinfo=UTC)  # before the early close: open
        during = await run.broker.submit(a_sell("during-the-session", "1"))
        assert during.exchange_order_id and not during.queued
