"""BinanceFuturesBroker against the exchange double's USD-M side: leverage and margin
type at start, reduce-only exits, ORDER_TRADE_UPDATE and ACCOUNT_UPDATE over the
listenKey stream, funding settlements from the income history (announced once each,
found after a stream gap, paged, a failed read recovered), and an expired listenKey."""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble, HttpFault
from tests.integration.conftest_binance import exchange_fixture, spec_fixture  # noqa: F401
from tui_trader.binance.client import ClientSpec
from tui_trader.binance.futures_account import AccountUpdate
from tui_trader.binance.futures_broker import BinanceFuturesBroker
from tui_trader.binance.futures_stream import EVENTS
from tui_trader.binance.parse import ms_to_utc
from tui_trader.clock import SystemClock
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Severity, Side
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import FundingFee
from tui_trader.execution.broker import BrokerError, BrokerEvent
from tui_trader.resilience.retry import Backoff

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def order(
    cid: str,
    side: Side = Side.BUY,
    qty: str = "0.01",
    price: str | None = "49000",
    purpose: IntentPurpose = IntentPurpose.ENTRY,
) -> Order:
    return Order(
        cid,
        f"intent-{cid}",
        "BTCUSDT",
        side,
        OrderType.LIMIT if price else OrderType.MARKET,
        Decimal(qty),
        Decimal(price) if price else None,
        OrderStatus.NEW,
        T0,
        T0,
        purpose=purpose,
    )


class Kit:
    def __init__(self, spec: ClientSpec, exchange: BinanceExchangeDouble, **options: Any) -> None:
        self.exchange, self.futures = exchange, exchange.futures
        self.events: list[BrokerEvent] = []
        self.safety: list[SafetyEvent] = []
        self.accounts: list[AccountUpdate] = []
        self.changed = asyncio.Event()
        defaults: dict[str, Any] = {
            "leverage": 3,
            "backoff": Backoff(base_s=0.02, max_s=0.2, jitter=0.5),
        }
        self.broker = BinanceFuturesBroker(
            spec,
            ["BTCUSDT"],
            clock=SystemClock(),
            on_safety=self._note(self.safety),
            on_account=self._note(self.accounts),
            request_timeout_s=0.5,
            ws_timeout_s=1.0,
            **(defaults | options),
        )
        self.broker.subscribe(self._note(self.events))

    def _note(self, into: list[Any]) -> Callable[[Any], None]:
        def note(item: Any) -> None:
            into.append(item)
            self.changed.set()

        return note

    def fills(self) -> list[Fill]:
        return [e for e in self.events if isinstance(e, Fill)]

    def kinds(self) -> list[str]:
        return [e.kind for e in self.safety]

    def funding(self) -> list[list[tuple[Decimal, str]]]:
        """(amount, ref) of the settlements of each announcement that had some."""
        return [[(f.amount, f.ref) for f in a.funding] for a in self.accounts if a.funding]

    async def until(self, predicate: Callable[[], bool]) -> None:
        async with asyncio.timeout(4.0):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def kits(
    spec: ClientSpec, exchange: BinanceExchangeDouble
) -> AsyncIterator[Callable[..., Kit]]:
    exchange.futures.set_mark("BTCUSDT", "50000")
    made: list[Kit] = []

    def make(**options: Any) -> Kit:
        made.append(Kit(spec, exchange, **options))
        return made[-1]

    yield make
    for kit in made:
        await kit.broker.close()


async def started(make: Callable[..., Kit], **options: Any) -> Kit:
    kit = make(**options)
    connects = kit.futures.connects
    await kit.broker.start()
    await kit.exchange.wait_until(lambda: kit.futures.connects > connects)
    return kit


async def test_start_sets_leverage_and_margin_type_once(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = await started(kits)
    assert [kind for kind, _ in kit.futures.settings] == ["leverage", "marginType"]
    assert kit.futures.settings[0][1]["leverage"] == "3"
    assert kit.futures.settings[1][1]["marginType"] == "ISOLATED"
    assert kit.futures.engine.leverage["BTCUSDT"] == 3
    assert kit.futures.engine.margin_type["BTCUSDT"] == "ISOLATED"
    [setup] = kit.safety
    assert setup.message == "BTCUSDT: leverage 3x, isolated margin, one-way positions"
    [conn] = kit.futures.conns
    assert conn.events == frozenset(EVENTS)  # production /private needs them named

    again = await started(kits)  # already ISOLATED: Binance's -4046 is not a failure
    assert again.kinds() == ["futures_setup"]


async def test_hedge_mode_and_bad_leverage_refuse_to_start(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    exchange.futures.engine.dual_side = True
    with pytest.raises(BrokerError, match="hedge mode; this trader places one-way orders"):
        await kits().broker.start()
    with pytest.raises(ValueError, match=r"leverage must be 1\.\.125"):
        kits(leverage=0)


async def test_fills_and_account_update_give_position_with_liquidation_price(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = await started(kits)

    def filled_to(qty: str) -> bool:
        position = kit.broker.last_positions.get("BTCUSDT")
        return position is not None and position.quantity == Decimal(qty)

    placed = await kit.broker.submit(order("f-1"))
    assert placed.status is OrderStatus.NEW and placed.exchange_order_id == "8000001"
    sent = exchange.futures.engine.orders[8000001]
    assert not sent.reduce_only
    await exchange.futures.fill("f-1", "0.004", "49000")
    await exchange.futures.fill("f-1", "0.006", "48900")
    await kit.until(lambda: filled_to("0.01") and kit.accounts[-1].reason == "POSITION_RISK")

    assert [(f.quantity, f.price, f.fee, f.fee_asset) for f in kit.fills()] == [
        (Decimal("0.004"), Decimal("49000"), Decimal("0.0784"), "USDT"),  # 0.04% of 196
        (Decimal("0.006"), Decimal("48900"), Decimal("0.11736"), "USDT"),
    ]
    position = kit.broker.last_positions["BTCUSDT"]
    entry = Decimal("48940")  # (0.004·49000 + 0.006·48900) / 0.01
    assert (position.quantity, position.average_entry, position.leverage) == (
        Decimal("0.01"),
        entry,
        3,
    )
    liquidation = entry * (1 - (Decimal(1) / 3 - Decimal("0.004")))  # the double's formula
    assert position.liquidation_price == liquidation.quantize(Decimal("0.00000001"))
    wallet = Decimal(10000) - Decimal("0.0784") - Decimal("0.11736")
    assert kit.broker.last_balances["USDT"].total == wallet
    assert kit.accounts[-1].positions["BTCUSDT"] == position


async def test_exit_is_reduce_only_and_cannot_flip_the_position(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = await started(kits)
    await kit.broker.submit(order("e-1", price=None))  # market buy 0.01 at the mark
    await kit.until(lambda: len(kit.fills()) == 1)
    too_big = await kit.broker.submit(
        order("x-1", Side.SELL, qty="0.02", price="51000", purpose=IntentPurpose.TAKE_PROFIT)
    )
    assert too_big.status is OrderStatus.REJECTED
    assert too_big.reason == "-2022 ReduceOnly Order is rejected."
    # Below the 5 USDT minimum notional: fine for a reduce-only order.
    dust = await kit.broker.submit(
        order("x-2", Side.SELL, qty="0.001", price="4000", purpose=IntentPurpose.STOP_LOSS)
    )
    assert dust.status is OrderStatus.FILLED
    sent = {o.cid: o for o in exchange.futures.engine.orders.values()}
    assert not sent["e-1"].reduce_only and sent["x-2"].reduce_only
    await kit.until(lambda: kit.broker.last_positions["BTCUSDT"].quantity == Decimal("0.009"))
    tiny_entry = await kit.broker.submit(order("e-2", qty="0.001", price="4000"))
    assert tiny_entry.reason.startswith("refused locally: NOTIONAL: 4.000 below minimum 5")


async def holding(make: Callable[..., Kit]) -> Kit:
    """A started broker holding a 0.01 BTC long at 50000: funding of rate r costs it
    0.01 · 50000 · r = 5·r USDT."""
    kit = await started(make)
    await kit.broker.submit(order("g-1", price=None))
    await kit.until(lambda: "BTCUSDT" in kit.broker.last_positions)
    return kit


def income_reads(exchange: BinanceExchangeDouble) -> int:
    return exchange.requests.count(("GET", "/fapi/v1/income"))


async def test_funding_fees_are_read_from_income_history_and_announced(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = await holding(kits)
    await exchange.futures.funding("BTCUSDT", "0.0001")  # the long pays 0.05
    await kit.until(lambda: kit.kinds().count("funding_fee") == 1)
    await exchange.futures.funding("BTCUSDT", "-0.0002")  # ...then receives 0.10
    await kit.until(lambda: kit.kinds().count("funding_fee") == 2)

    assert kit.broker.funding_fees == {"USDT": Decimal("0.05")}
    first, second = [e for e in kit.safety if e.kind == "funding_fee"]
    assert first.message == (
        "funding fee -0.05000000 USDT on BTCUSDT (total since start -0.05000000)"
    )
    assert second.data == {
        "asset": "USDT",
        "amount": "0.10000000",
        "total": "0.05000000",
        "symbol": "BTCUSDT",
        "ref": "9689322394",
    }
    assert kit.funding() == [
        [(Decimal("-0.05"), "9689322393")],
        [(Decimal("0.10"), "9689322394")],
    ]
    [fee] = kit.accounts[-1].funding
    assert fee.ts == ms_to_utc(exchange.futures.engine.income[1]["time"])
    wallet = kit.broker.last_balances["USDT"].total  # from the ACCOUNT_UPDATEs themselves
    assert wallet == exchange.futures.engine.wallet
    assert income_reads(exchange) == 2


async def test_a_duplicated_funding_event_books_nothing_twice(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = await holding(kits)
    event = exchange.futures.engine.funding("BTCUSDT", Decimal("0.0001"), exchange.now_ms())
    await exchange.futures.push([event, event])
    await kit.until(lambda: kit.kinds().count("funding_fee") == 1)
    await exchange.futures.funding("BTCUSDT", "0.0001")  # reads run in order: after both
    await kit.until(lambda: kit.kinds().count("funding_fee") == 2)

    assert kit.broker.funding_fees == {"USDT": Decimal("-0.10")}
    assert [fee for announced in kit.funding() for fee in announced] == [
        (Decimal("-0.05"), "9689322393"),
        (Decimal("-0.05"), "9689322394"),
    ]
    assert income_reads(exchange) >= 2


async def test_funding_since_finds_silent_settlements_and_pages_oldest_first(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = await holding(kits)
    engine = exchange.futures.engine
    t0 = exchange.now_ms() - 10_000_000  # settled while the trader was not running
    for i in range(1500):
        engine.funding("BTCUSDT", Decimal("0.0001"), t0 + i)
    exchange.futures.settle_funding_silently("BTCUSDT", "-0.0002")
    exchange.futures.settle_funding_silently("BTCUSDT", "0.0001")
    reads = income_reads(exchange)

    fees = await kit.broker.funding_since(ms_to_utc(t0 + 100))

    assert len(fees) == 1402 and len({fee.ref for fee in fees}) == 1402
    assert [fee.ref for fee in fees] == [str(9689322393 + i) for i in range(100, 1502)]
    assert fees[0] == FundingFee(
        ms_to_utc(t0 + 100), "USDT", Decimal("-0.05"), "BTCUSDT", fees[0].ref
    )
    assert [fee.amount for fee in fees[-2:]] == [Decimal("0.10"), Decimal("-0.05")]
    assert income_reads(exchange) - reads == 2  # 1000 rows, then the 402 from the last time
    # What funding_since returned is the caller's to book: never announced again.
    await exchange.futures.funding("BTCUSDT", "0.0001")
    await kit.until(lambda: kit.kinds().count("funding_fee") == 1)
    assert kit.funding() == [[(Decimal("-0.05"), "9689323895")]]


async def test_a_failed_income_read_is_reported_and_the_next_settlement_recovers_both(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = await holding(kits)
    exchange.faults.http.append(HttpFault("/fapi/v1/income", method="GET", status=503))
    await exchange.futures.funding("BTCUSDT", "0.0001")
    await kit.until(lambda: "funding_unknown" in kit.kinds())

    [unknown] = [e for e in kit.safety if e.kind == "funding_unknown"]
    assert unknown.severity is Severity.WARNING
    assert unknown.message.startswith("funding settlements unknown: ")
    assert kit.broker.funding_fees == {} and kit.funding() == []
    await exchange.futures.funding("BTCUSDT", "-0.0002")
    await kit.until(lambda: kit.kinds().count("funding_fee") == 2)

    assert kit.funding() == [[(Decimal("-0.05"), "9689322393"), (Decimal("0.10"), "9689322394")]]
    assert kit.broker.funding_fees == {"USDT": Decimal("0.05")}
    assert kit.broker.last_balances["USDT"].total == exchange.futures.engine.wallet


async def test_a_settlement_during_a_stream_gap_is_read_after_resubscribing(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = await holding(kits)
    await exchange.futures.expire_listen_key()
    exchange.futures.settle_funding_silently("BTCUSDT", "0.0001")  # no ACCOUNT_UPDATE
    await exchange.wait_until(lambda: exchange.futures.connects >= 2)
    await kit.until(lambda: kit.kinds().count("funding_fee") == 1)

    assert "user_stream_resubscribed" in kit.kinds()
    assert kit.funding() == [[(Decimal("-0.05"), "9689322393")]]


async def test_expired_listen_key_gets_a_new_key_and_reconciles(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = await started(kits)
    await kit.broker.submit(order("l-1"))
    first_key = exchange.futures.listen_key
    await exchange.futures.expire_listen_key()
    await exchange.futures.fill("l-1", "0.01", "49000")  # nobody can hear this one
    await exchange.wait_until(lambda: exchange.futures.connects >= 2)
    await kit.until(lambda: len(kit.fills()) == 1)  # recovered from userTrades

    assert exchange.futures.listen_key not in (None, first_key)
    assert "user_stream_resubscribed" in kit.kinds()
    assert kit.fills()[0].trade_id == "900001"
    assert ("GET", "/fapi/v1/userTrades") in exchange.requests
    await kit.broker.submit(order("l-2", price=None))
    await kit.until(lambda: len(kit.fills()) == 2)  # the new key delivers


async def test_listen_key_is_kept_alive(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    await started(kits, keepalive_s=0.1)
    await asyncio.sleep(0.35)
    assert exchange.futures.keepalives >= 2
    assert exchange.futures.connects == 1  # the same key: no reconnect


# --- what the trader did not place: foreign orders, liquidations, hedge mode -----------

FOREIGN = [  # (client id, type, side, price, stop): one of each USD-M type but ours
    ("web_trail", "TRAILING_STOP_MARKET", "SELL", "0", "51000"),
    ("web_stop", "STOP_MARKET", "SELL", "0", "45000"),
    ("web_tp", "TAKE_PROFIT_MARKET", "SELL", "0", "55000"),
    ("bot_stop", "STOP", "SELL", "45100", "45000"),
    ("bot_tp", "TAKE_PROFIT", "SELL", "55100", "55000"),
]
UNREADABLE = {  # an order row no parser can make sense of (no side, a garbled type)
    "symbol": "BTCUSDT",
    "orderId": 4242,
    "clientOrderId": "odd",
    "type": "?!",
    "status": "NEW",
}


def orders_seen(kit: Kit, cid: str) -> list[Order]:
    return [e for e in kit.events if isinstance(e, Order) and e.client_order_id == cid]


async def place_foreign_orders(kit: Kit) -> None:
    for cid, kind, side, price, stop in FOREIGN:
        await kit.futures.place_foreign(cid, kind, side, "0.01", price=price, stop=stop)
    await kit.until(lambda: kit.kinds().count("foreign_order") == len(FOREIGN))


async def test_foreign_orders_of_every_type_are_read_and_an_unreadable_one_is_skipped(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = await started(kits)
    await kit.broker.submit(order("f-1"))
    await place_foreign_orders(kit)
    exchange.futures.extra_open_orders.append(UNREADABLE)

    first = await kit.broker.open_orders()
    again = await kit.broker.open_orders()

    assert first == again
    shown = {o.client_order_id: (o.type_label, o.order_type, o.is_foreign) for o in first}
    assert shown == {
        "f-1": ("LIMIT", OrderType.LIMIT, False),
        "web_trail": ("TRAILING_STOP_MARKET", OrderType.MARKET, True),
        "web_stop": ("STOP_MARKET", OrderType.MARKET, True),
        "web_tp": ("TAKE_PROFIT_MARKET", OrderType.MARKET, True),
        "bot_stop": ("STOP", OrderType.LIMIT, True),
        "bot_tp": ("TAKE_PROFIT", OrderType.LIMIT, True),
    }
    [skipped] = [e for e in kit.safety if e.kind == "unreadable_order"]  # once, not per read
    assert skipped.severity is Severity.WARNING
    assert "orderId=4242" in skipped.message and "clientOrderId='odd'" in skipped.message
    assert kit.kinds().count("foreign_order") == len(FOREIGN)  # once each: stream and REST
    trail = next(e for e in kit.safety if e.data.get("client_order_id") == "web_trail")
    assert trail.symbol == "BTCUSDT" and trail.message == (
        "foreign order on binance-futures: TRAILING_STOP_MARKET SELL 0.01000000 BTCUSDT "
        "(web_trail), NEW: placed outside this trader"
    )
    assert "bad_user_event" not in kit.kinds()


async def test_a_foreign_stop_is_followed_over_the_stream_and_its_fill_booked(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = await holding(kits)
    await kit.futures.place_foreign(
        "web_trail", "TRAILING_STOP_MARKET", "SELL", "0.01", stop="51000"
    )
    await kit.until(lambda: bool(orders_seen(kit, "web_trail")))
    await exchange.futures.fill("web_trail", "0.01", "50500")  # triggered and filled
    await kit.until(lambda: any(f.client_order_id == "web_trail" for f in kit.fills()))

    new, filled = orders_seen(kit, "web_trail")
    assert (new.status, new.venue_type, new.is_foreign) == (
        OrderStatus.NEW,
        "TRAILING_STOP_MARKET",
        True,
    )
    assert (filled.status, filled.filled_quantity) == (OrderStatus.FILLED, Decimal("0.01"))
    [fill] = [f for f in kit.fills() if f.client_order_id == "web_trail"]
    assert (fill.side, fill.quantity, fill.price, fill.fee) == (
        Side.SELL,
        Decimal("0.01"),
        Decimal(50500),
        Decimal("0.202"),  # 0.04% of 505
    )
    assert "bad_user_event" not in kit.kinds()


async def test_liquidation_and_adl_book_their_fill_and_fee_and_are_critical(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = await holding(kits)
    await exchange.futures.liquidate("BTCUSDT", "40300")
    await kit.until(lambda: any(f.client_order_id.startswith("autoclose-") for f in kit.fills()))
    await kit.until(lambda: "BTCUSDT" not in kit.broker.last_positions)
    [fill] = [f for f in kit.fills() if f.client_order_id.startswith("autoclose-")]
    assert (fill.side, fill.quantity, fill.price, fill.fee, fill.fee_asset) == (
        Side.SELL,
        Decimal("0.01"),
        Decimal(40300),
        Decimal("2.015"),  # the 0.5% clearance fee of 403
        "USDT",
    )
    [liquidated] = [e for e in kit.safety if e.kind == "liquidation"]
    assert liquidated.severity is Severity.CRITICAL and liquidated.symbol == "BTCUSDT"
    assert liquidated.message.startswith(
        "BTCUSDT liquidated by binance-futures: SELL 0.01000000 @ 40300.00000000, "
        "fee 2.01500000 USDT (autoclose-"
    )
    [closing] = orders_seen(kit, fill.client_order_id)
    assert (closing.type_label, closing.status, closing.is_foreign) == (
        "LIQUIDATION",
        OrderStatus.FILLED,
        True,
    )
    assert await kit.broker.recover_fills(closing) == []  # trade history: the same trade

    await kit.broker.submit(order("g-2", price=None))  # long again, then ADL twice
    await kit.until(lambda: "BTCUSDT" in kit.broker.last_positions)
    await exchange.futures.liquidate("BTCUSDT", "50100", adl=True)
    await kit.broker.submit(order("g-3", price=None))
    await kit.until(lambda: len(kit.fills()) == 4)
    await exchange.futures.liquidate("BTCUSDT", "50200", adl=True)
    await kit.until(lambda: kit.kinds().count("liquidation") == 3)
    adl = [f for f in kit.fills() if f.client_order_id.startswith("adl_autoclose-")]
    assert [f.price for f in adl] == [Decimal(50100), Decimal(50200)]  # both booked
    messages = [e.message for e in kit.safety if e.kind == "liquidation"]
    assert ["auto-deleveraged (ADL)" in m for m in messages] == [False, True, True]


async def test_order_replies_without_optional_fields_are_read(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    """The current POST /fapi/v1/order reply has no avgPrice or cumQuote, and an
    unfilled order's may leave out executedQty too."""
    kit = await started(kits)
    exchange.futures.omit_reply_fields = frozenset({"avgPrice", "cumQuote", "executedQty"})
    placed = await kit.broker.submit(order("o-1"))
    cancelled = await kit.broker.cancel("o-1")
    assert (placed.status, placed.filled_quantity, placed.average_price) == (
        OrderStatus.NEW,
        Decimal(0),
        Decimal(0),
    )
    assert cancelled is not None and cancelled.status is OrderStatus.CANCELED


async def test_hedge_mode_position_rows_are_refused_never_merged(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = await holding(kits)
    before = kit.broker.last_positions
    engine = exchange.futures.engine
    engine.hedge_positions = {
        ("ETHUSDT", "LONG"): (Decimal("0.5"), Decimal(3000)),
        ("ETHUSDT", "SHORT"): (Decimal("-0.8"), Decimal(3100)),
    }
    with pytest.raises(BrokerError, match=r"ETHUSDT has a hedge-mode position"):
        await kit.broker.positions()
    await exchange.futures.push_hedge_account_update()
    await kit.until(lambda: "position_mode" in kit.kinds())
    [mode] = [e for e in kit.safety if e.kind == "position_mode"]
    assert mode.severity is Severity.CRITICAL and "One-way Position Mode" in mode.message
    assert kit.broker.last_positions == before  # nothing merged, nothing dropped
    # Told one-way by /positionSide/dual but holding hedge rows: refused at start too.
    with pytest.raises(BrokerError, match="hedge-mode position"):
        await kits().broker.start()
