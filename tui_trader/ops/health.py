"""The optional health and metrics endpoint, bound to 127.0.0.1 only.

GET /health: JSON with engine state, kill switch, feed ages, journal state and the last
error; HTTP 200 when healthy, 503 when not (engine in ERROR, kill switch active, a feed
stale or disconnected, the journal writer failing). GET /metrics: Prometheus text."""

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from tui_trader.clock import Clock
from tui_trader.domain.enums import EngineState, Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.ops.metrics import TraderMetrics, feed_age_s
from tui_trader.resilience.breaker import SafetySink
from tui_trader.snapshot import FeedStatus, OrderStreamView, TraderSnapshot

log = logging.getLogger("tui_trader.ops.health")

HOST = "127.0.0.1"  # never exposed beyond the machine: put a reverse proxy in front if needed


class JournalLike(Protocol):
    @property
    def errors(self) -> Sequence[Exception]: ...

    @property
    def pending(self) -> int: ...

    @property
    def db_path(self) -> Path: ...


@dataclass(frozen=True, slots=True)
class HealthReport:
    healthy: bool
    body: dict[str, Any]

    @property
    def status_code(self) -> int:
        return 200 if self.healthy else 503


def _feed_entry(feed: FeedStatus, now: datetime, problems: list[str]) -> dict[str, Any]:
    age = feed_age_s(feed.last_event_at, now)
    stale = feed.connected and age is not None and age > feed.stale_after_s
    if not feed.connected:
        problems.append(
            f"feed {feed.name} disconnected" + (f" ({feed.detail})" if feed.detail else "")
        )
    elif stale:
        problems.append(f"feed {feed.name} stale: last event {age:.1f} s ago")
    return {
        "name": feed.name,
        "connected": feed.connected,
        "age_s": None if age is None else round(age, 3),
        "stale_after_s": feed.stale_after_s,
        "stale": stale,
        "detail": feed.detail,
    }


def _order_stream_entry(view: OrderStreamView) -> dict[str, Any]:
    return {
        "venue": view.venue,
        "state": view.state,
        "since": view.since.isoformat() if view.since is not None else None,
        "detail": view.detail,
        "reconciled_at": view.reconciled_at.isoformat() if view.reconciled_at else None,
    }


def _journal_entry(journal: JournalLike | None, problems: list[str]) -> dict[str, Any]:
    if journal is None:
        return {"writable": None}
    folder = journal.db_path.parent
    failing = bool(journal.errors) and journal.pending > 0  # errors and records waiting
    writable = os.access(folder, os.W_OK) and (
        not journal.db_path.exists() or os.access(journal.db_path, os.W_OK)
    )
    if failing:
        problems.append(f"journal failing: {journal.pending} records not written")
    if not writable:
        problems.append(f"journal not writable: {journal.db_path}")
    return {
        "writable": writable and not failing,
        "pending": journal.pending,
        "errors": len(journal.errors),
        "last_error": str(journal.errors[-1]) if journal.errors else "",
    }


def health_report(
    snap: TraderSnapshot, now: datetime, journal: JournalLike | None, uptime_s: float = 0.0
) -> HealthReport:
    problems: list[str] = []
    if snap.engine_state is EngineState.ERROR:
        problems.append(f"engine state ERROR: {snap.last_error}")
    if snap.kill_switch_active:
        problems.append(f"kill switch active: {snap.kill_reason}")
    feeds = [_feed_entry(feed, now, problems) for feed in snap.feeds]
    journal_entry = _journal_entry(journal, problems)
    body = {
        "status": "unhealthy" if problems else "ok",
        "problems": problems,
        "mode": snap.mode,
        "engine_state": snap.engine_state.value,
        "kill_switch": {"active": snap.kill_switch_active, "reason": snap.kill_reason},
        "feeds": feeds,
        # How fills arrive per venue connection: polling is degraded, not a problem
        # (fills still come); empty on paper.
        "order_streams": [_order_stream_entry(view) for view in snap.order_streams],
        "journal": journal_entry,
        "last_error": snap.last_error,
        "uptime_s": round(uptime_s, 1),
        "checked_at": now.isoformat(),
    }
    return HealthReport(not problems, body)


def _ignore(_event: SafetyEvent) -> None:
    return None


class HealthServer:
    def __init__(
        self,
        source: Callable[[], TraderSnapshot],
        metrics: TraderMetrics,
        clock: Clock,
        *,
        port: int,
        journal: JournalLike | None = None,
        on_event: SafetySink = _ignore,
    ) -> None:
        self.port = port  # 0 picks a free port (tests); the bound port is stored here
        self._source = source
        self._metrics = metrics
        self._clock = clock
        self._journal = journal
        self._on_event = on_event
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics_page)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        try:
            await web.TCPSite(runner, HOST, self.port).start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]
        log.info("health endpoint on http://%s:%d/health", HOST, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def serve_forever(self) -> None:
        """The edge task. A port already in use is reported once as a safety event, not
        raised: a missing health endpoint must not count as a trading failure."""
        try:
            await self.start()
        except OSError as exc:
            message = f"health endpoint not started on {HOST}:{self.port}: {exc}"
            log.error(message)
            self._on_event(
                SafetyEvent(self._clock.now(), Severity.WARNING, SafetyKind.HEALTH, message)
            )
            return
        try:
            await asyncio.Event().wait()
        finally:
            with contextlib.suppress(Exception):
                await self.stop()

    def report(self) -> HealthReport:
        return health_report(
            self._source(), self._clock.now(), self._journal, self._metrics.uptime_s()
        )

    async def _health(self, _request: web.Request) -> web.Response:
        report = self.report()
        return web.json_response(report.body, status=report.status_code)

    async def _metrics_page(self, _request: web.Request) -> web.Response:
        self._metrics.update(self._source(), self._clock.now())
        return web.Response(
            body=self._metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
