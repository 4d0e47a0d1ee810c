"""The checks behind `tui-trader doctor`. Each returns one CheckResult and never raises:
the runner turns an unexpected exception into a FAIL line."""

import asyncio
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import aiohttp

from tui_trader.config import Settings
from tui_trader.journal import check_journal, read_status
from tui_trader.journal.errors import JournalError
from tui_trader.known_settings import unknown_lookalikes
from tui_trader.ops.settings import OpsSettings
from tui_trader.runtime.build_trader import journal_path
from tui_trader.safety.kill_switch import KillSwitch
from tui_trader.secrets import KeyMode, SecretsError, SecretStore, resolve_secret

Status = Literal["OK", "WARN", "FAIL", "SKIP"]
MIB = 1024 * 1024
LOOSE_FAILURES = 20
JOURNAL_QUIET_S = 60.0  # a running trader journals its books at least every 10 s
STREAM_ENV_HINT = {"telegram": "TELEGRAM_BOT_TOKEN", "slack": "SLACK_WEBHOOK_URL"}


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    status: Status
    detail: str


@dataclass(slots=True)
class DoctorContext:
    settings: Settings
    ops: OpsSettings
    env: dict[str, str]
    online: bool = False
    spec: Any = None  # tui_trader.binance.client.ClientSpec; None = BINANCE_ENV's hosts
    store: SecretStore | None = None
    store_error: str = ""
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def live(self) -> bool:
        return self.settings.trading_mode == "live"


# --- keyring and secrets --------------------------------------------------------------
async def open_store(ctx: DoctorContext) -> None:
    if ctx.store is not None or ctx.store_error:
        return
    try:
        ctx.store = await asyncio.to_thread(
            SecretStore.open,
            ctx.settings.secrets_backend,
            ctx.env,
            ctx.settings.data_path / "secrets.cfg",
        )
        await asyncio.to_thread(ctx.store.probe)
    except SecretsError as exc:
        ctx.store, ctx.store_error = None, str(exc).splitlines()[0]


async def keyring_check(ctx: DoctorContext) -> CheckResult:
    await open_store(ctx)
    if ctx.store is not None:
        return CheckResult("keyring", "OK", f"backend {ctx.store.backend_name}")
    if ctx.live:
        return CheckResult("keyring", "FAIL", f"{ctx.store_error} (live mode needs it)")
    why = "needed for live mode; paper mode can read keys from the environment"
    return CheckResult("keyring", "WARN", f"{ctx.store_error} ({why})")


async def notify_secrets_check(ctx: DoctorContext) -> CheckResult:
    enabled = [
        n
        for n, on in (("telegram", ctx.ops.telegram_enabled), ("slack", ctx.ops.slack_enabled))
        if on
    ]
    if not enabled:
        return CheckResult("notify", "OK", "no notification channel enabled")
    await open_store(ctx)
    mode: KeyMode = "live" if ctx.live else "paper"
    missing = []
    for name in enabled:
        field_name = "token" if name == "telegram" else "webhook"
        try:
            found = await resolve_secret(name, field_name, mode, ctx.env, ctx.store)
        except SecretsError as exc:
            return CheckResult("notify", "FAIL", str(exc))
        if found is None:
            missing.append(f"{name} (`tui-trader keys set {name}` or {STREAM_ENV_HINT[name]})")
    if missing:
        return CheckResult("notify", "FAIL", "enabled without a secret: " + ", ".join(missing))
    return CheckResult("notify", "OK", "secrets present for " + ", ".join(enabled))


# --- journal, disk, config ------------------------------------------------------------
async def journal_check(ctx: DoctorContext) -> CheckResult:
    path = journal_path(ctx.settings)
    if not path.exists():
        return CheckResult("journal", "OK", f"no journal yet at {path}")
    try:
        problems = await check_journal(path)
    except JournalError as exc:
        return CheckResult("journal", "FAIL", str(exc))
    if problems:
        return CheckResult("journal", "FAIL", "; ".join(problems[:5]))
    return CheckResult("journal", "OK", f"{path} passes the integrity check")


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


async def disk_check(ctx: DoctorContext) -> CheckResult:
    data = ctx.settings.data_path
    if data.exists() and not data.is_dir():
        return CheckResult("disk", "FAIL", f"data dir {data} is not a directory")
    where = _existing(data)
    if not os.access(where, os.W_OK):
        return CheckResult("disk", "FAIL", f"{where} is not writable")
    free_mb = shutil.disk_usage(where).free // MIB
    floor = ctx.ops.min_free_disk_mb
    detail = f"{free_mb} MiB free at {where} (MIN_FREE_DISK_MB={floor})"
    if free_mb < floor:
        return CheckResult("disk", "FAIL", detail)
    return CheckResult("disk", "WARN" if free_mb < 4 * floor else "OK", detail)


def loose_limits(settings: Settings) -> list[str]:
    """Safety limits that are switched off in effect."""
    found = []
    if settings.max_daily_loss_pct >= 100:
        found.append("MAX_DAILY_LOSS_PCT=100 (no daily loss limit)")
    if settings.circuit_breaker_pct >= 100:
        found.append("CIRCUIT_BREAKER_PCT=100 (no circuit breaker)")
    if settings.anomaly_jump_pct >= 100:
        found.append("ANOMALY_JUMP_PCT=100 (price jumps never flagged)")
    if settings.max_consecutive_failures >= LOOSE_FAILURES:
        found.append(
            f"MAX_CONSECUTIVE_FAILURES={settings.max_consecutive_failures} "
            "(failures hardly ever trip the kill switch)"
        )
    if settings.stop_loss_pct == 0:
        found.append("STOP_LOSS_PCT=0 (no stop loss)")
    return found


async def config_check(ctx: DoctorContext) -> CheckResult:
    loose = loose_limits(ctx.settings)
    notes = []
    kill = KillSwitch(ctx.settings.data_path).read()
    if kill is not None:
        notes.append(f"kill switch is active ({kill.source}: {kill.reason})")
    if loose and ctx.live:
        return CheckResult(
            "config", "FAIL", "live mode without kill-switch limits: " + "; ".join(loose)
        )
    if loose:
        notes.append("paper mode with limits off: " + "; ".join(loose))
    if notes:
        return CheckResult("config", "WARN", "; ".join(notes))
    return CheckResult("config", "OK", f"{ctx.settings.trading_mode} mode, safety limits set")


def env_results(env: dict[str, str]) -> list[CheckResult]:
    """One WARN line per environment variable that looks like a setting but is none (a
    typo there is ignored; in .env it stops the program), else one OK line."""
    found = unknown_lookalikes(env)
    if not found:
        return [CheckResult("env", "OK", "no unknown settings-like variables")]
    return [
        CheckResult(
            "env",
            "WARN",
            f"{name} is not a setting and is ignored"
            + (f"; did you mean {close}?" if close else ""),
        )
        for name, close in found
    ]


# --- a running instance ---------------------------------------------------------------
async def _fetch_health(port: int) -> dict[str, Any] | None:
    timeout = aiohttp.ClientTimeout(total=3)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"http://127.0.0.1:{port}/health") as response,
        ):
            body = await response.json()
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def _feeds_result(body: dict[str, Any]) -> CheckResult:
    feeds = body.get("feeds") or []
    bad = [
        f"{f.get('name')}: {'stale' if f.get('stale') else 'disconnected'}, last event "
        f"{f.get('age_s')} s ago"
        for f in feeds
        if f.get("stale") or not f.get("connected")
    ]
    if bad:
        return CheckResult("streams", "FAIL", "; ".join(bad))
    if not feeds:
        return CheckResult("streams", "WARN", "the running instance reports no feeds")
    ages = ", ".join(f"{f.get('name')} {f.get('age_s')} s" for f in feeds)
    return CheckResult("streams", "OK", f"fresh (last event: {ages})")


async def streams_check(ctx: DoctorContext) -> CheckResult:
    port = ctx.ops.health_port
    if port:
        body = await _fetch_health(port)
        if body is not None:
            return _feeds_result(body)
    path = journal_path(ctx.settings)
    if not path.exists():
        return CheckResult("streams", "OK", "no running instance (no journal yet)")
    report = await read_status(path)
    run = report.run
    if run is None or run.ended_at is not None:
        return CheckResult("streams", "OK", "no running instance")
    if report.run_alive is False:
        return CheckResult(
            "streams", "WARN", f"run #{run.id} (pid {run.pid}) ended without closing: crashed?"
        )
    if port:
        return CheckResult(
            "streams",
            "FAIL",
            f"pid {run.pid} runs but http://127.0.0.1:{port}/health does not answer",
        )
    if report.balances_at is None:
        return CheckResult("streams", "WARN", f"pid {run.pid} runs but has journaled no books yet")
    quiet = (ctx.now - report.balances_at).total_seconds()
    detail = (
        f"pid {run.pid} running; last journaled books {quiet:.0f} s ago "
        "(set HEALTH_PORT for feed ages)"
    )
    return CheckResult("streams", "FAIL" if quiet > JOURNAL_QUIET_S else "OK", detail)
