"""`tui-trader status` / `export` helpers: read-only, usable while the trader writes."""

import asyncio
import csv
import json
import os
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tui_trader.domain import (
    Balance,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Position,
    SafetyEvent,
    Severity,
    Side,
)
from tui_trader.journal import (
    Journal,
    JournalError,
    check_journal,
    export_csv,
    pair_round_trips,
    read_status,
)
from tui_trader.journal.trades import quote_fee

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def order(n: int, status: OrderStatus) -> Order:
    at = T0 + timedelta(minutes=n)
    return Order(
        f"tt-{n}", f"i-{n}", "BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.5"),
        Decimal("100.10"), status, at, at,
    )  # fmt: skip


def fill(
    tid: str, side: Side, qty: str, price: str, fee: str, minutes: int, symbol: str = "BTCUSDT"
) -> Fill:
    ts = T0 + timedelta(minutes=minutes)
    return Fill(
        f"c{tid}", symbol, side, Decimal(qty), Decimal(price), Decimal(fee), "USDT", ts, tid
    )


# Long BTC: two buys closed by two sells (FIFO splits the second lot); short ETH.
FILLS = [
    fill("1", Side.BUY, "1", "100", "0.1", 0),
    fill("2", Side.BUY, "1", "110", "0.11", 10),
    fill("3", Side.SELL, "1.5", "120", "0.18", 20),
    fill("4", Side.SELL, "0.5", "90", "0.045", 30),
    fill("5", Side.SELL, "2", "50", "0", 40, symbol="ETHUSDT"),
    fill("6", Side.BUY, "2", "40", "0", 50, symbol="ETHUSDT"),
]


async def written_journal(tmp_path: Path) -> Journal:
    j = Journal(tmp_path / "journal.db")
    await j.open()
    await j.start_run("PAPER", "spot", "sim", T0, os.getpid())
    j.record_balances(
        T0, {"USDT": Balance("USDT", Decimal("900.5"), Decimal("50"))}, Decimal("1001.25")
    )
    j.record_positions(T0, [
        Position("BTCUSDT", Decimal("0.5"), Decimal("100.10"), liquidation_price=Decimal("80.5")),
        Position("ETHUSDT", Decimal("0"), Decimal("0")),
    ])  # fmt: skip
    for n, status in enumerate((OrderStatus.FILLED, OrderStatus.NEW, OrderStatus.CANCELED)):
        j.record_order(order(n, status))
    for f in FILLS:
        j.record_fill(f)
    j.record_safety(SafetyEvent(T0, Severity.WARNING, "price_jump", "old"))
    reconciling = "REDUCING: reconciling: with binance-spot (start)"
    data = {"mode": "REDUCING", "headline": reconciling}
    j.record_safety(SafetyEvent(T0, Severity.WARNING, "trading_state", "held", data=data))
    j.record_safety(SafetyEvent(T0 + timedelta(1), Severity.CRITICAL, "kill_switch", "newest"))
    await j.flush()
    return j


async def test_missing_journal_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    message = f"no journal at {missing}; run `tui-trader run` first"
    with pytest.raises(JournalError) as caught:
        await read_status(missing)
    assert str(caught.value) == message
    with pytest.raises(JournalError, match="run `tui-trader run` first"):
        await export_csv(missing, "orders", tmp_path / "out.csv")
    assert not missing.exists() and not (tmp_path / "out.csv").exists()


async def test_status_summarises_the_running_trader(tmp_path: Path) -> None:
    j = await written_journal(tmp_path)
    report = await read_status(j.db_path)
    assert report.run is not None and report.run.state == "RUNNING" and report.run_alive is True
    assert (report.balances_at, report.equity) == (T0, Decimal("1001.25"))
    assert report.balances == {"USDT": Balance("USDT", Decimal("900.5"), Decimal("50"))}
    assert [p.symbol for p in report.positions] == ["BTCUSDT"]  # the flat one is left out
    assert [o.client_order_id for o in report.open_orders] == ["tt-1"]
    assert report.open_orders_count == 1
    assert report.last_safety_event is not None and report.last_safety_event.message == "newest"
    assert report.counts == {
        "intents": 0, "orders": 3, "fills": 6, "risk_decisions": 0, "safety_events": 3,
        "events": 0,
    }  # fmt: skip
    await j.close()


async def test_status_lines_for_the_terminal(tmp_path: Path) -> None:
    j = await written_journal(tmp_path)
    report = await read_status(j.db_path)
    lines = report.lines()
    # In the quote asset's own unit when it is known: the won has no minor unit.
    assert report.lines("KRW")[3].startswith("equity: 1001 KRW at ")
    assert report.lines("USDT")[3].startswith("equity: 1001.25 USDT at ")
    assert lines[0] == f"journal: {j.db_path} (schema v4)"
    assert lines[1] == (
        f"run #1: PAPER spot feed=sim, process up since 2025-03-01T09:00:00.000000+00:00"
        f" (pid {os.getpid()} alive)"
    )
    assert lines[2:10] == [
        "trading state: REDUCING: reconciling: with binance-spot (start)"
        " (since 2025-03-01T09:00:00.000000+00:00)",
        "equity: 1001.25 at 2025-03-01T09:00:00.000000+00:00 (market time)",
        "balances: USDT 900.5 (+50 locked)",
        "open positions: 1",
        "  BTCUSDT 0.5 @ 100.10, liquidation 80.5",
        "open orders: 1",
        "  tt-1 BUY LIMIT 0.5 BTCUSDT @ 100.10 NEW",
        "last safety event: 2025-03-02T09:00:00.000000+00:00 CRITICAL kill_switch: newest",
    ]
    assert lines[10].startswith("records: intents 0, orders 3, fills 6")
    assert await check_journal(j.db_path) == []
    await j.close()


async def test_status_of_a_dead_run_and_an_ended_run(tmp_path: Path) -> None:
    dead = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await dead.wait()
    j = Journal(tmp_path / "journal.db")
    await j.open()
    run_id = await j.start_run("LIVE", "futures", "binance", T0, dead.pid)
    assert (await read_status(j.db_path)).run_alive is False  # crashed: no end, no process
    j.end_run(run_id, T0 + timedelta(hours=2), "STOPPED")
    await j.flush()
    report = await read_status(j.db_path)
    assert report.run is not None and report.run.state == "STOPPED"
    assert report.lines()[1:4] == [
        "run #1: LIVE futures feed=binance, STOPPED, ended 2025-03-01T11:00:00.000000+00:00",
        "trading state: no trader running",
        "balances: none recorded",
    ]
    assert report.run_alive is None and report.balances == {} and report.equity is None
    await j.close()


async def test_status_from_another_process_does_not_block_the_writer(tmp_path: Path) -> None:
    j = await written_journal(tmp_path)
    # A reader holding a snapshot open must not stop commits (WAL).
    reader = sqlite3.connect(j.db_path.resolve().as_uri() + "?mode=ro", uri=True)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM orders").fetchall()
    j.record_order(order(7, OrderStatus.NEW))
    await asyncio.wait_for(j.flush(), timeout=2)
    reader.close()

    code = (
        "import asyncio, json, sys; from pathlib import Path;"
        "from tui_trader.journal import read_status;"
        "r = asyncio.run(read_status(Path(sys.argv[1])));"
        "print(json.dumps([r.open_orders_count, str(r.equity), r.counts['orders']]))"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, str(j.db_path), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=20)
    assert json.loads(out) == [2, "1001.25", 4]
    await j.close()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


async def test_export_orders_and_fills(tmp_path: Path) -> None:
    j = await written_journal(tmp_path)
    out = tmp_path / "exports" / "orders.csv"
    assert await export_csv(j.db_path, "orders", out) == 3
    rows = read_csv(out)
    assert [(r["client_order_id"], r["status"]) for r in rows] == [
        ("tt-0", "FILLED"), ("tt-1", "NEW"), ("tt-2", "CANCELED"),
    ]  # fmt: skip
    assert rows[0]["price"] == "100.10" and rows[0]["created_at"].startswith("2025-03-01T09:00")
    assert await export_csv(j.db_path, "fills", tmp_path / "fills.csv") == 6
    first = read_csv(tmp_path / "fills.csv")[0]
    assert (first["trade_id"], first["quantity"], first["fee"]) == ("1", "1", "0.1")
    assert sorted(p.name for p in out.parent.iterdir()) == ["orders.csv"]  # no partial file
    with pytest.raises(ValueError, match="export kind"):
        await export_csv(j.db_path, "positions", out)  # type: ignore[arg-type]
    await j.close()


async def test_export_trades_pairs_fills_fifo(tmp_path: Path) -> None:
    j = await written_journal(tmp_path)
    out = tmp_path / "trades.csv"
    assert await export_csv(j.db_path, "trades", out) == 4
    got = [
        (r["symbol"], r["direction"], r["entry_price"], r["exit_price"], Decimal(r["quantity"]),
         Decimal(r["fees"]), Decimal(r["pnl"]), r["pnl_pct"], r["holding_seconds"])
        for r in read_csv(out)
    ]  # fmt: skip
    # Hand-computed: fees are the entry lot's and the exit fill's share of the quantity.
    assert got == [
        ("BTCUSDT", "LONG", "100", "120", 1, Decimal("0.22"), Decimal("19.78"), "19.7800",
         "1200.0"),
        ("BTCUSDT", "LONG", "110", "120", Decimal("0.5"), Decimal("0.115"), Decimal("4.885"),
         "8.8818", "600.0"),
        ("BTCUSDT", "LONG", "110", "90", Decimal("0.5"), Decimal("0.1"), Decimal("-10.1"),
         "-18.3636", "1200.0"),
        ("ETHUSDT", "SHORT", "50", "40", 2, 0, 20, "20.0000", "600.0"),
    ]  # fmt: skip
    await j.close()


def test_round_trips_leave_open_lots_and_convert_fees() -> None:
    open_only = [fill("1", Side.BUY, "1", "100", "0.1", 0)]
    assert pair_round_trips(open_only) == []
    base_fee = Fill("c", "BTCUSDT", Side.BUY, Decimal("1"), Decimal("100"), Decimal("0.001"),
                    "BTC", T0, "7")  # fmt: skip
    assert quote_fee(base_fee) == Decimal("0.1")
    bnb_fee = Fill("c", "BTCUSDT", Side.BUY, Decimal("1"), Decimal("100"), Decimal("0.01"),
                   "BNB", T0, "8")  # fmt: skip
    assert quote_fee(bnb_fee) == 0
    three_way = [
        fill("1", Side.BUY, "3", "10", "0.3", 0),
        fill("2", Side.SELL, "1", "11", "0", 1),
        fill("3", Side.SELL, "1", "12", "0", 2),
        fill("4", Side.SELL, "1", "13", "0", 3),
    ]
    trips = pair_round_trips(three_way)
    assert [(t.pnl, t.fees) for t in trips] == [
        (Decimal("0.9"), Decimal("0.1")),
        (Decimal("1.9"), Decimal("0.1")),
        (Decimal("2.9"), Decimal("0.1")),
    ]
    assert sum(t.fees for t in trips) == Decimal("0.3")  # shares add up to the fee exactly
