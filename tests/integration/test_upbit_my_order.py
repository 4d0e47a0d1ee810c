"""UpbitBroker with Upbit's private myOrder stream on the local double (127.0.0.1): fills
come by the stream before any poll, every trade books once whichever path tells it and
however often, a dropped or silent stream is covered by polling and reconciled after the
reconnect, a refused key leaves polling in charge (and says so), and frames that read as
nothing Upbit sends are counted and skipped."""

import asyncio
from collections.abc import Callable
from decimal import Decimal

from tests.doubles.upbit_exchange import ACCESS, UpbitExchangeDouble
from tests.upbit_orders_support import KEYS, Run, an_order, upbit_broker
from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.orders import Order
from tui_trader.secrets.env import ExchangeKeys

LIMIT, BUY = OrderType.LIMIT, Side.BUY


async def until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


def queries(run: Run) -> int:
    return sum(1 for method, path, _ in run.double.requests if path == "/v1/order")


async def resting(run: Run, intent: str) -> Order:
    placed = await run.broker.submit(an_order(intent, BUY, LIMIT, "0.002", "89000000"))
    assert placed.status is OrderStatus.NEW
    return placed


def trade(run: Run, order: Order, volume: str) -> None:
    book = run.double.account.find(order.client_order_id)
    assert book is not None
    run.double.account.trade(book, Decimal(volume), order.created_at)


async def test_a_fill_arrives_by_the_stream_before_any_poll() -> None:
    async with upbit_broker(stream_keys=KEYS) as run:
        await until(lambda: bool(run.double.private.sockets))
        order = await resting(run, "ws-1")
        trade(run, order, "0.0005")
        await until(lambda: len(run.fills) == 1)
        (fill,) = run.fills
        assert fill.client_order_id == order.client_order_id and fill.fee_asset == "KRW"
        assert (fill.quantity, fill.price, fill.fee) == (
            Decimal("0.0005"), Decimal(89_000_000), Decimal("22.25"))  # fmt: skip
        assert queries(run) == 0  # nothing was polled: the stream told it
        trade(run, order, "0.0015")
        await until(lambda: any(isinstance(e, Order) and e.status is OrderStatus.FILLED
                                for e in run.events))  # fmt: skip
        assert [f.quantity for f in run.fills] == [Decimal("0.0005"), Decimal("0.0015")]
        last = [e for e in run.events if isinstance(e, Order)][-1]
        assert last.filled_quantity == Decimal("0.002")
        assert last.average_price == Decimal(89_000_000)
        assert queries(run) == 0 and not run.broker.fill_gaps()


async def test_duplicate_and_late_events_book_once() -> None:
    double = UpbitExchangeDouble()
    double.private.duplicate = double.private.replay_missed = True
    async with upbit_broker(double, stream_keys=KEYS) as run:
        await until(lambda: bool(double.private.sockets))
        order = await resting(run, "ws-dup")
        trade(run, order, "0.0005")
        await until(lambda: len(run.fills) == 1 and double.private.sent >= 4)
        double.private.accepting = False
        await double.private.drop()
        trade(run, order, "0.0005")  # told to nobody: comes late, after the poll booked it
        await asyncio.sleep(0.1)
        await run.broker.poll_once()
        assert len(run.fills) == 2
        sent = double.private.sent
        double.private.accepting = True
        await until(lambda: double.private.sent > sent)
        await asyncio.sleep(0.1)
        assert [f.quantity for f in run.fills] == [Decimal("0.0005")] * 2
        assert len({f.trade_id for f in run.fills}) == 2


async def test_a_dropped_stream_is_covered_by_polling_then_reconciled() -> None:
    double = UpbitExchangeDouble()
    async with upbit_broker(double, stream_keys=KEYS, poll_s=0.05) as run:
        await until(lambda: bool(double.private.sockets))
        order = await resting(run, "ws-drop")
        double.private.accepting = False
        await double.private.drop()
        trade(run, order, "0.0005")
        await until(lambda: len(run.fills) == 1)  # polling, while the stream is down
        assert queries(run) > 0
        assert any(e.kind is SafetyKind.FEED_RECONNECT for e in run.safety)
        double.private.accepting = True
        await until(lambda: double.private.connects == 2 and run.stream is not None
                    and run.stream.up)  # fmt: skip
        trade(run, order, "0.0015")
        await until(lambda: len(run.fills) == 2)
        await asyncio.sleep(0.2)
        assert [f.quantity for f in run.fills] == [Decimal("0.0005"), Decimal("0.0015")]


async def test_a_silent_stream_is_replaced_and_the_reconnect_polls_once() -> None:
    double = UpbitExchangeDouble()
    async with upbit_broker(double, stream_keys=KEYS, stale_after_s=0.3) as run:
        await until(lambda: bool(double.private.sockets))
        order = await resting(run, "ws-silent")
        double.private.silent = True
        trade(run, order, "0.0005")  # never told: the stream says nothing at all
        await until(lambda: double.private.connects >= 2)
        double.private.silent = False
        await until(lambda: len(run.fills) == 1)  # the reconcile after the reconnect
        silent = [e for e in run.safety if e.kind is SafetyKind.FEED_RECONNECT]
        assert silent and "silent" in silent[0].message


async def test_a_refused_key_leaves_polling_in_charge_and_says_so() -> None:
    double = UpbitExchangeDouble()
    wrong = ExchangeKeys(ACCESS, "not-the-secret-of-this-access-key", "keyring")
    async with upbit_broker(double, stream_keys=wrong, poll_s=0.05) as run:
        await until(lambda: any(e.kind is SafetyKind.EXCHANGE_KEYS for e in run.safety))
        (refused,) = [e for e in run.safety if e.kind is SafetyKind.EXCHANGE_KEYS]
        assert "HTTP 401" in refused.message and "polling" in refused.message
        assert double.private.connects == 0
        order = await resting(run, "ws-refused")
        trade(run, order, "0.0005")
        await until(lambda: len(run.fills) == 1)


async def test_malformed_frames_are_counted_and_skipped() -> None:
    double = UpbitExchangeDouble()
    async with upbit_broker(double, stream_keys=KEYS) as run:
        await until(lambda: bool(double.private.sockets))
        await double.private.malformed()
        order = await resting(run, "ws-junk")
        trade(run, order, "0.0005")
        await until(lambda: len(run.fills) == 1)
        assert run.stream is not None and run.stream.counts["bad_frames"] == 6
        assert run.stream.up and double.private.connects == 1 and queries(run) == 0
        (bad,) = [e for e in run.safety if e.kind is SafetyKind.BAD_USER_EVENT]
        assert "frame skipped" in bad.message
