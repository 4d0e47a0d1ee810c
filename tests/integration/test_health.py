"""The health and metrics endpoint of a real paper trader on 127.0.0.1: content and
status codes (200 healthy; 503 when killed, in ERROR, with a stale feed or a failing
journal), Prometheus metrics collected from snapshots and the metered feed."""

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest_notify import eventually, limit_buy
from tests.trader_support import feed, make_settings, opened, running_engine, sim_events
from tui_trader.app.doctor_checks import DoctorContext, streams_check
from tui_trader.clock import SimulatedClock
from tui_trader.domain.enums import EngineState
from tui_trader.domain.events import SafetyEvent
from tui_trader.journal import Journal, WriterTuning
from tui_trader.ops.health import HealthServer, health_report
from tui_trader.ops.metered_feed import MeteredFeed
from tui_trader.ops.metrics import TraderMetrics
from tui_trader.ops.settings import load_ops_settings
from tui_trader.runtime.trader import Trader
from tui_trader.snapshot import OrderStreamView


async def get(port: int, path: str) -> tuple[int, Any, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        text = await response.text()
        body = await response.json() if path == "/health" else text
        return response.status, body, response.headers["Content-Type"]


Served = tuple[Trader, HealthServer, SimulatedClock, TraderMetrics]


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, **settings: str) -> AsyncIterator[Served]:
    async with running_engine(opened(make_settings(tmp_path, **settings))) as trader:
        await feed(trader, sim_events(trader), 10)
        clock = SimulatedClock(trader.parts.market_clock.now())  # the feed is fresh "now"
        metrics = TraderMetrics()
        server = HealthServer(trader.snapshot, metrics, clock, port=0, journal=trader.parts.journal)
        await server.start()
        try:
            yield trader, server, clock, metrics
        finally:
            await server.stop()


@pytest.fixture(name="served")
async def served_fixture(tmp_path: Path) -> AsyncIterator[Served]:
    async with serving(tmp_path) as served:
        yield served


async def test_healthy_is_200_with_state_feeds_and_journal(
    served: Served,
) -> None:
    trader, server, _clock, _ = served
    status, body, content_type = await get(server.port, "/health")
    assert status == 200 and content_type.startswith("application/json")
    assert body["status"] == "ok" and body["problems"] == []
    assert body["mode"] == "PAPER" and body["engine_state"] == "IDLE"
    assert body["kill_switch"] == {"active": False, "reason": ""}
    [feed_entry] = body["feeds"]
    assert feed_entry == {
        "name": trader.parts.feed.name,
        "connected": True,
        "age_s": 0.0,
        "stale_after_s": 9.0,  # 3 tick intervals of 3 s at speed 1
        "stale": False,
        "detail": "",
    }
    assert body["journal"] == {"writable": True, "pending": 0, "errors": 0, "last_error": ""}
    assert body["last_error"] == ""
    assert 0 <= body["uptime_s"] < 60


async def test_kill_switch_makes_it_503(
    served: Served,
) -> None:
    trader, server, _clock, _ = served
    await trader.kill(source="test")
    status, body, _ = await get(server.port, "/health")
    assert status == 503 and body["status"] == "unhealthy"
    assert body["problems"] == ["kill switch active: test: kill switch pressed"]


async def test_engine_error_makes_it_503(
    served: Served,
) -> None:
    trader, server, clock, _ = served
    await trader.start()
    for n in range(3):
        trader.count_failure("broker", f"broker: HTTP 50{n}")
    status, body, _ = await get(server.port, "/health")
    assert status == 503 and body["engine_state"] == "ERROR"
    assert "engine state ERROR: broker: HTTP 502" in body["problems"]
    # ERROR alone, without the kill switch the failures also triggered:
    alone = replace(trader.snapshot(), kill_switch_active=False, kill_reason="")
    report = health_report(alone, clock.now(), trader.parts.journal)
    assert (report.status_code, report.body["problems"]) == (
        503,
        ["engine state ERROR: broker: HTTP 502"],
    )
    assert alone.engine_state is EngineState.ERROR


async def test_a_stale_feed_makes_it_503_and_doctor_fails_streams(
    served: Served, tmp_path: Path
) -> None:
    trader, server, clock, _ = served
    clock.advance(timedelta(seconds=10))
    status, body, _ = await get(server.port, "/health")
    assert status == 503
    assert body["problems"] == [f"feed {trader.parts.feed.name} stale: last event 10.0 s ago"]
    ctx = DoctorContext(trader.settings, load_ops_settings(health_port=server.port), {})
    result = await streams_check(ctx)
    assert result.status == "FAIL" and "stale, last event 10.0 s ago" in result.detail


async def test_a_failing_journal_makes_it_503(served: Served, tmp_path: Path) -> None:
    trader, _server, clock, _ = served
    fast = WriterTuning(busy_timeout_ms=10, retry_delays=(0.01,), max_pause=0.05)
    journal = Journal(tmp_path / "locked.db", tuning=fast)
    await journal.open()
    blocker = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        journal.set_meta("k", "v")
        await eventually(lambda: bool(journal.errors), within_s=3)
        report = health_report(trader.snapshot(), clock.now(), journal)
        assert report.status_code == 503
        assert report.body["problems"] == ["journal failing: 1 records not written"]
        assert report.body["journal"]["writable"] is False
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    await journal.flush()
    assert health_report(trader.snapshot(), clock.now(), journal).status_code == 200
    await journal.close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_metrics_from_the_feed_and_from_snapshots(tmp_path: Path) -> None:
    async with serving(tmp_path, SIM_SPEED="100000") as (trader, server, _clock, metrics):
        await check_metrics(trader, server, metrics)


async def check_metrics(trader: Trader, server: HealthServer, metrics: TraderMetrics) -> None:
    metered = MeteredFeed(trader.parts.feed, metrics).events()  # unpaced: the test drives it

    async def pump(count: int) -> None:
        for _ in range(count):
            trader.on_market_event(await anext(metered))
            await trader.engine.drain()

    await pump(200)
    await get(server.port, "/metrics")  # baseline: what happened before is not counted
    await trader.start()
    placed = await trader.engine.process(limit_buy(trader, "1.001", "metrics-fill"))
    assert placed is not None
    assert await trader.engine.process(limit_buy(trader, "1.5", "metrics-refused")) is None
    await pump(10)
    await metered.aclose()

    status, text, content_type = await get(server.port, "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    found = samples(text)
    snap = trader.snapshot()
    events = found[("tui_trader_market_events_total", (("kind", "tick"),))] + found.get(
        ("tui_trader_market_events_total", (("kind", "candle"),)), 0.0
    )
    assert events == 210
    assert found[("tui_trader_event_processing_seconds_count", ())] == 210
    assert found[("tui_trader_orders_total", (("status", "FILLED"),))] == 1
    assert found[("tui_trader_risk_rejections_total", (("reason", "risk"),))] == 1
    assert found[("tui_trader_equity", (("quote", "USDT"),))] == float(snap.account.equity)
    position = snap.positions[0].position
    assert found[("tui_trader_unrealized_pnl", (("symbol", "BTCUSDT"),))] == pytest.approx(
        float(position.unrealized_pnl)
    )
    assert found[("tui_trader_engine_state", (("state", "RUNNING"),))] == 1
    assert found[("tui_trader_engine_state", (("state", "IDLE"),))] == 0
    assert found[("tui_trader_kill_switch_active", ())] == 0
    candles = found.get(("tui_trader_market_events_total", (("kind", "candle"),)), 0.0)
    assert candles > 0 and found[("tui_trader_strategy_execution_seconds_count", ())] == candles
    assert found[("tui_trader_service_up", ())] == 1
    assert found[("tui_trader_open_orders", ())] == len(snap.open_orders)
    assert position.quantity == Decimal("0.00100")


async def test_a_busy_port_is_a_safety_event_not_a_crash(
    served: Served,
) -> None:
    trader, server, clock, metrics = served
    events: list[SafetyEvent] = []
    second = HealthServer(trader.snapshot, metrics, clock, port=server.port, on_event=events.append)
    await asyncio.wait_for(second.serve_forever(), 5)  # returns instead of raising
    [event] = events
    assert event.kind == "health" and f"127.0.0.1:{server.port}" in event.message


async def test_the_order_streams_state_is_in_health_and_metrics_not_a_problem(
    served: Served,
) -> None:
    """Polling is degraded, not unhealthy: fills still arrive (issue 17)."""
    trader, _server, clock, metrics = served
    since = clock.now()
    polling = OrderStreamView("Upbit", "polling", since, "lost: connection closed")
    snap = replace(trader.snapshot(), order_streams=(polling,))
    report = health_report(snap, clock.now(), trader.parts.journal)
    assert report.status_code == 200 and report.body["problems"] == []
    assert report.body["order_streams"] == [
        {"venue": "Upbit", "state": "polling", "since": since.isoformat(),
         "detail": "lost: connection closed", "reconciled_at": None}
    ]  # fmt: skip
    metrics.update(snap, clock.now())
    # each change comes with a new snapshot version (the stream touches the trader)
    streaming = replace(
        snap, version=snap.version + 1, order_streams=(replace(polling, state="streaming"),)
    )
    assert gauge(metrics, "Upbit") == 0.0
    metrics.update(streaming, clock.now())
    assert gauge(metrics, "Upbit") == 1.0
    paper = replace(snap, version=snap.version + 2, order_streams=())
    metrics.update(paper, clock.now())  # back on paper
    assert gauge(metrics, "Upbit") is None
    assert health_report(trader.snapshot(), clock.now(), None).body["order_streams"] == []


def gauge(metrics: TraderMetrics, venue: str) -> float | None:
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            name, labels = sample.name, sample.labels
            if name == "tui_trader_order_stream_streaming" and labels.get("venue") == venue:
                return sample.value
    return None
