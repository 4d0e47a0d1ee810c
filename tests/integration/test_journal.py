import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tui_trader.domain import (
    Balance,
    Fill,
    FundingFee,
    IntentPurpose,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Position,
    SafetyEvent,
    Severity,
    Side,
)
from tui_trader.journal import Journal, JournalError

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def make_intent(n: int = 1, **changes: Any) -> OrderIntent:
    fields: dict[str, Any] = {
        "intent_id": f"ema:BTCUSDT:{n}",
        "symbol": "BTCUSDT",
        "side": Side.BUY,
        "order_type": OrderType.LIMIT,
        "quantity": Decimal("0.00150000"),
        "price": Decimal("64999.99"),
        "purpose": IntentPurpose.ENTRY,
        "created_at": T0,
        "reference_price": Decimal("65000.01"),
        "reason": "ema cross",
        "strategy": "ema_cross",
        "meta": {"confidence": "0.7"},
    }
    return OrderIntent(**{**fields, **changes})


def make_order(n: int = 1, status: OrderStatus = OrderStatus.NEW, **changes: Any) -> Order:
    fields: dict[str, Any] = {
        "client_order_id": f"tt-{n}",
        "intent_id": f"ema:BTCUSDT:{n}",
        "symbol": "BTCUSDT",
        "side": Side.BUY,
        "order_type": OrderType.LIMIT,
        "quantity": Decimal("0.00150000"),
        "price": Decimal("64999.99"),
        "status": status,
        "created_at": T0,
        "updated_at": T0,
    }
    return Order(**{**fields, **changes})


def make_fill(trade_id: str = "9001", symbol: str = "BTCUSDT", **changes: Any) -> Fill:
    fields: dict[str, Any] = {
        "client_order_id": "tt-1",
        "symbol": symbol,
        "side": Side.BUY,
        "quantity": Decimal("0.00150000"),
        "price": Decimal("64999.99"),
        "fee": Decimal("0.0000015"),
        "fee_asset": "BTC",
        "ts": T0,
        "trade_id": trade_id,
    }
    return Fill(**{**fields, **changes})


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in path.read_text().splitlines()] if path.exists() else []


def raw(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@pytest.fixture
async def journal(tmp_path: Path) -> AsyncIterator[Journal]:
    j = Journal(tmp_path / "data" / "journal.db", tmp_path / "logs")
    await j.open()
    yield j
    await j.close()


async def test_money_reads_back_as_the_exact_decimal(journal: Journal) -> None:
    order = make_order(average_price=Decimal("1E-8"), filled_quantity=Decimal("0.00000"))
    journal.record_order(order)
    await journal.flush()
    [got] = await journal.orders()
    assert got == order
    assert (str(got.quantity), str(got.price), str(got.average_price)) == (
        "0.00150000",
        "64999.99",
        "1E-8",
    )
    assert str(got.filled_quantity) == "0.00000"
    types = raw(journal.db_path, "SELECT typeof(quantity), typeof(price), created_at FROM orders")
    assert types == [("text", "text", "2025-03-01T12:00:00.000000+00:00")]


async def test_order_keeps_latest_state_and_full_history(journal: Journal) -> None:
    new = make_order()
    partial = new.evolve(
        status=OrderStatus.PARTIALLY_FILLED,
        filled_quantity=Decimal("0.0005"),
        average_price=Decimal("64999.99"),
        updated_at=T0 + timedelta(seconds=1),
    )
    filled = partial.evolve(
        status=OrderStatus.FILLED,
        filled_quantity=Decimal("0.0015"),
        updated_at=T0 + timedelta(seconds=2),
        exchange_order_id="778",
    )
    for order in (new, partial, filled):
        journal.record_order(order)
    await journal.flush()
    assert await journal.orders() == [filled]
    assert await journal.open_orders() == []
    history = raw(journal.db_path, "SELECT status, filled_quantity FROM order_updates ORDER BY id")
    assert history == [("NEW", "0"), ("PARTIALLY_FILLED", "0.0005"), ("FILLED", "0.0015")]


async def test_late_or_stale_updates_never_roll_an_order_back(journal: Journal) -> None:
    filled = make_order(status=OrderStatus.FILLED, updated_at=T0 + timedelta(seconds=5))
    late_new = make_order(status=OrderStatus.NEW, updated_at=T0 + timedelta(seconds=1))
    newer_but_open = make_order(
        status=OrderStatus.PARTIALLY_FILLED, updated_at=T0 + timedelta(seconds=9)
    )
    for order in (filled, late_new, newer_but_open):
        journal.record_order(order)
    await journal.flush()
    assert await journal.orders() == [filled]
    assert raw(journal.db_path, "SELECT COUNT(*) FROM order_updates") == [(3,)]


async def test_record_intent_is_committed_before_it_returns(journal: Journal) -> None:
    intent = make_intent(meta={"confidence": Decimal("0.70"), "at": T0})
    await journal.record_intent(intent, "tt-1")
    # No flush: another connection must already see it.
    assert raw(journal.db_path, "SELECT client_order_id, price FROM intents") == [
        ("tt-1", "64999.99")
    ]
    [(got, cid)] = await journal.unfinished_intents()
    assert cid == "tt-1"
    assert got.meta == {"confidence": "0.70", "at": "2025-03-01T12:00:00.000000+00:00"}
    assert got == make_intent(meta=got.meta)


async def test_unfinished_intents_follow_the_order_state(journal: Journal) -> None:
    for n in (1, 2, 3):
        await journal.record_intent(make_intent(n), f"tt-{n}")
    journal.record_order(make_order(1, OrderStatus.FILLED))
    journal.record_order(make_order(2, OrderStatus.PARTIALLY_FILLED))
    await journal.flush()
    unfinished = [cid for _, cid in await journal.unfinished_intents()]
    assert unfinished == ["tt-2", "tt-3"]  # 3 never got an order row at all
    assert [o.client_order_id for o in await journal.open_orders()] == ["tt-2"]


async def test_duplicate_client_order_id_is_refused(journal: Journal, tmp_path: Path) -> None:
    await journal.record_intent(make_intent(1), "tt-1")
    with pytest.raises(JournalError, match="client order id tt-1 is already journaled"):
        await journal.record_intent(make_intent(2, reason="second"), "tt-1")
    [(kept, _)] = await journal.unfinished_intents()
    assert kept.intent_id == "ema:BTCUSDT:1"
    assert [r["type"] for r in jsonl(tmp_path / "logs" / "decisions.jsonl")] == ["intent"]


async def test_duplicate_fill_is_ignored_once_per_symbol(journal: Journal, tmp_path: Path) -> None:
    fill = make_fill("9001")
    journal.record_fill(fill)
    journal.record_fill(fill)
    journal.record_fill(make_fill("9001", symbol="ETHUSDT"))  # trade ids repeat across symbols
    await journal.flush()
    assert await journal.fills() == [fill, make_fill("9001", symbol="ETHUSDT")]
    assert len(jsonl(tmp_path / "logs" / "fills.jsonl")) == 2


async def test_funding_fees_read_back_exactly_and_once(journal: Journal, tmp_path: Path) -> None:
    paid = FundingFee(T0, "USDT", Decimal("-0.01234567"), "BTCUSDT", "7001")
    journal.record_funding(paid)
    journal.record_funding(paid)  # the same settlement delivered twice
    # Same time, asset and amount, another symbol: another settlement.
    other = FundingFee(T0, "USDT", Decimal("-0.01234567"), "ETHUSDT", "7002")
    journal.record_funding(other)
    received = FundingFee(T0 + timedelta(hours=8), "USDT", Decimal("0.5"), "BTCUSDT", "7003")
    journal.record_funding(received)
    await journal.flush()
    assert await journal.funding_fees() == [paid, other, received]
    assert await journal.funding_fees(since=T0 + timedelta(hours=1)) == [received]
    [line, _, _] = jsonl(tmp_path / "logs" / "balances.jsonl")
    assert (line["type"], line["amount"], line["ref"]) == ("funding", "-0.01234567", "7001")


async def test_orders_and_fills_filters(journal: Journal) -> None:
    for n in range(4):
        at = T0 + timedelta(minutes=n)
        journal.record_order(make_order(n, created_at=at, updated_at=at))
        journal.record_fill(make_fill(str(n), ts=at))
    await journal.flush()
    newest = [o.client_order_id for o in await journal.orders(limit=2)]
    assert newest == ["tt-3", "tt-2"]
    since = [o.client_order_id for o in await journal.orders(since=T0 + timedelta(minutes=2))]
    assert since == ["tt-3", "tt-2"]
    assert [f.trade_id for f in await journal.fills(since=T0 + timedelta(minutes=1))] == [
        "1",
        "2",
        "3",
    ]
    assert await journal.known_client_order_ids() == {"tt-0", "tt-1", "tt-2", "tt-3"}


async def test_balance_and_position_snapshots(journal: Journal) -> None:
    assert await journal.latest_balances() is None
    journal.record_balances(T0, {"USDT": Balance("USDT", Decimal("100"))}, Decimal("100"))
    later = T0 + timedelta(seconds=30)
    balances = {
        "USDT": Balance("USDT", Decimal("902.12345678"), Decimal("97.5")),
        "BTC": Balance("BTC", Decimal("0.00150000")),
    }
    journal.record_balances(later, balances, Decimal("1097.61"))
    position = Position("BTCUSDT", Decimal("0.0015"), Decimal("64999.99"), opened_at=T0)
    journal.record_positions(T0, [position])
    await journal.flush()
    assert await journal.latest_balances() == (later, balances, Decimal("1097.61"))
    assert await journal.latest_positions() == [position]
    journal.record_positions(later, [])  # flat again: the empty snapshot is the latest
    await journal.flush()
    assert await journal.latest_positions() == []


async def test_safety_events_newest_first(journal: Journal) -> None:
    for n in range(3):
        journal.record_safety(
            SafetyEvent(T0 + timedelta(seconds=n), Severity.WARNING, "price_jump", f"jump {n}")
        )
    await journal.flush()
    assert [e.message for e in await journal.safety_events(limit=2)] == ["jump 2", "jump 1"]


async def test_runs_and_meta(journal: Journal) -> None:
    first = await journal.start_run("PAPER", "spot", "sim", T0, 4242)
    second = await journal.start_run("PAPER", "futures", "binance", T0, 4243)
    assert (first, second) == (1, 2)
    running = await journal.latest_run()
    assert running is not None and running.state == "RUNNING" and running.pid == 4243
    journal.end_run(second, T0 + timedelta(hours=1), "IDLE")
    journal.set_meta("kill_reason", "first")
    journal.set_meta("kill_reason", "operator")
    await journal.flush()
    ended = await journal.latest_run()
    assert ended is not None and ended.state == "IDLE" and ended.market == "futures"
    assert await journal.get_meta("kill_reason") == "operator"
    assert await journal.get_meta("missing") is None


async def test_every_record_lands_in_its_jsonl_category(journal: Journal, tmp_path: Path) -> None:
    await journal.record_intent(make_intent(), "tt-1")
    journal.record_risk_decision("ema:BTCUSDT:1", "tt-1", False, "max exposure", [{"ok": False}])
    journal.record_order(make_order())
    journal.record_fill(make_fill())
    journal.record_balances(T0, {}, Decimal("0"))
    journal.record_positions(T0, [])
    journal.record_safety(SafetyEvent(T0, Severity.CRITICAL, "kill_switch", "killed"))
    journal.record_event("feed", "reconnected", {"after_s": Decimal("1.5")})
    journal.record_event("decisions", "signal", {"action": "BUY"})
    await journal.start_run("PAPER", "spot", "sim", T0, 1)
    await journal.flush()
    logs = tmp_path / "logs"
    kinds = {p.name: [r["type"] for r in jsonl(p)] for p in sorted(logs.iterdir())}
    assert kinds == {
        "balances.jsonl": ["balances", "positions"],
        "decisions.jsonl": ["intent", "risk_decision", "event"],
        "fills.jsonl": ["fill"],
        "general.jsonl": ["event", "run_started"],
        "orders.jsonl": ["order"],
        "safety.jsonl": ["safety"],
    }
    [event] = jsonl(logs / "general.jsonl")[:1]
    assert event["payload"] == {"after_s": "1.5"} and event["category"] == "feed"
    [risk] = jsonl(logs / "decisions.jsonl")[1:2]
    assert risk["approved"] is False and risk["checks"] == [{"ok": False}]


async def test_secrets_are_redacted_in_sqlite_and_jsonl(tmp_path: Path) -> None:
    secret = "sk-LIVE-7c1f9a"
    j = Journal(tmp_path / "j.db", tmp_path / "logs", redact=lambda s: s.replace(secret, "sk-***"))
    await j.open()
    await j.record_intent(make_intent(reason=f"key {secret}", meta={"k": [secret]}), "tt-1")
    j.record_order(make_order(reason=f"rejected for {secret}"))
    j.record_event("llm", "request", {"headers": {"Authorization": f"Bearer {secret}"}})
    j.record_safety(SafetyEvent(T0, Severity.INFO, "auth", f"bad {secret}", data={"k": secret}))
    j.record_risk_decision("i", "tt-1", True, secret, [{"detail": secret}])
    j.set_meta("last_error", secret)
    await j.flush()
    assert await j.get_meta("last_error") == "sk-***"
    await j.close()
    files = files_under(tmp_path)
    assert any(p.name == "j.db" for p in files)
    for path in files:
        assert secret.encode() not in path.read_bytes(), path
    assert "sk-***" in (tmp_path / "logs" / "orders.jsonl").read_text()


async def test_bad_input_and_lifecycle_errors(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db")
    with pytest.raises(JournalError, match="not open"):
        j.record_order(make_order())
    await j.open()
    with pytest.raises(JournalError, match="naive datetime"):
        j.record_order(make_order(updated_at=datetime(2025, 1, 1)))
    assert j.pending == 0
    j.record_order(make_order())
    await j.close()
    await j.close()  # idempotent
    with pytest.raises(JournalError, match="closed"):
        j.record_order(make_order())
    reopened = Journal(tmp_path / "j.db")
    await reopened.open()
    assert len(await reopened.orders()) == 1  # close committed what was queued
    await reopened.close()


async def test_20000_order_records_all_commit(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db", tmp_path / "logs")
    await j.open()
    for n in range(20_000):
        j.record_order(make_order(n))
    await j.flush()
    assert j.pending == 0
    assert raw(j.db_path, "SELECT COUNT(*) FROM orders") == [(20_000,)]
    assert raw(j.db_path, "SELECT COUNT(*) FROM order_updates") == [(20_000,)]
    assert len((tmp_path / "logs" / "orders.jsonl").read_text().splitlines()) == 20_000
    await j.close()


async def test_orders_and_fills_are_read_per_account(journal: Journal) -> None:
    paper, testnet, legacy = make_fill("1"), make_fill("2"), make_fill("3")
    journal.record_fill(paper, "paper")
    journal.record_fill(testnet, "testnet/spot")
    journal.record_fill(legacy, "")  # written before accounts were recorded: paper
    journal.record_order(make_order(1), "paper")
    journal.record_order(make_order(2), "testnet/spot")
    await journal.flush()
    assert await journal.fills(account="paper") == [paper, legacy]
    assert await journal.fills(account="testnet/spot") == [testnet]
    assert await journal.fills() == [paper, testnet, legacy]
    assert [o.client_order_id for o in await journal.open_orders(account="paper")] == ["tt-1"]
    testnet_orders = await journal.open_orders(account="testnet/spot")
    assert [o.client_order_id for o in testnet_orders] == ["tt-2"]
    assert len(await journal.open_orders()) == 2
