"""Builds the operations edge tasks for one trader from OpsSettings: notification
channels, the notifier, Telegram remote control, the health/metrics endpoint.

The host (headless runner, TUI) runs the returned tasks next to `trader.edge_tasks()`.
None of them raises out of its loop: a dead Slack or a busy port never counts as a
trading failure.

Slack, Telegram and the health endpoint are imported only when enabled: they load
aiohttp (~0.1 s), which a trader without them should not pay for at every start."""

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from tui_trader.clock import Clock, SystemClock
from tui_trader.config import ConfigError
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.notify.channel import Channel, Transport
from tui_trader.notify.notifier import Notifier
from tui_trader.ops.error_logs import ErrorLogRelay
from tui_trader.ops.hook import run_hook
from tui_trader.ops.metrics import TraderMetrics
from tui_trader.ops.settings import OpsSettings
from tui_trader.resilience.breaker import ServiceBreaker
from tui_trader.runtime.schedules import Schedule
from tui_trader.runtime.trader import Trader
from tui_trader.secrets import KeyMode, SecretsError, SecretStore, resolve_secret
from tui_trader.secrets.process_store import optional_secret_store

if TYPE_CHECKING:
    from tui_trader.notify.remote import RemoteControl
    from tui_trader.ops.health import HealthServer

EdgeTask = tuple[str, Callable[[], Awaitable[None]]]
WEEK = timedelta(days=7)
KEYS_HINT = {"telegram": "TELEGRAM_BOT_TOKEN", "slack": "SLACK_WEBHOOK_URL"}


@dataclass(slots=True)
class OpsRuntime:
    metrics: TraderMetrics
    tasks: list[EdgeTask] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    notifier: Notifier | None = None
    remote: "RemoteControl | None" = None
    health: "HealthServer | None" = None


async def _secret(
    name: str, field_name: str, mode: KeyMode, env: Mapping[str, str], store: SecretStore | None
) -> str:
    try:
        found = await resolve_secret(name, field_name, mode, env, store)
    except SecretsError as exc:
        raise ConfigError(f"{name} notifications: {exc}") from None
    if found is None:
        raise ConfigError(
            f"{name.upper()}_ENABLED=true but no {name} {field_name} is stored: run "
            f"`tui-trader keys set {name}` (paper mode also reads {KEYS_HINT[name]})"
        )
    return found[0]


def _channel(transport: Transport, trader: Trader, ops: OpsSettings, clock: Clock) -> Channel:
    limits = trader.settings.breaker_limits
    breaker = ServiceBreaker(
        transport.name,
        clock,
        failure_threshold=limits.failures,
        reset_after_s=limits.reset_after_s,
        on_event=trader.record_safety,
    )
    return Channel(transport, min_interval_s=ops.notify_interval_s, breaker=breaker)


@dataclass(frozen=True, slots=True)
class OpsWiring:
    """How a trader starts its operations tasks at open (given by `build_trader`)."""

    settings: OpsSettings

    async def start(self, trader: Trader, metrics: TraderMetrics | None) -> "OpsRuntime":
        store = await optional_secret_store(trader.settings)
        return await build_ops(trader, self.settings, store=store, metrics=metrics)


async def build_ops(
    trader: Trader,
    ops: OpsSettings,
    *,
    env: Mapping[str, str] | None = None,
    store: SecretStore | None = None,
    metrics: TraderMetrics | None = None,
    clock: Clock | None = None,
) -> OpsRuntime:
    """Raises ConfigError when an enabled channel has no secret (exit status 2)."""
    env = os.environ if env is None else env
    clock = clock or SystemClock()
    mode: KeyMode = "live" if trader.settings.trading_mode == "live" else "paper"
    runtime = OpsRuntime(metrics or TraderMetrics())
    if ops.slack_enabled:
        from tui_trader.notify.slack import SlackWebhook

        url = await _secret("slack", "webhook", mode, env, store)
        runtime.channels.append(_channel(SlackWebhook(url), trader, ops, clock))
    if ops.telegram_enabled and ops.telegram_chat_id is not None:
        token = await _secret("telegram", "token", mode, env, store)
        _add_telegram(runtime, token, ops.telegram_chat_id, trader, ops, clock)
    _add_tasks(runtime, trader, ops, clock)
    return runtime


def _add_telegram(
    runtime: OpsRuntime, token: str, chat_id: int, trader: Trader, ops: OpsSettings, clock: Clock
) -> None:
    from tui_trader.notify.remote import RemoteControl
    from tui_trader.notify.telegram import TelegramBot, TelegramTransport

    bot = TelegramBot(token, ops.telegram_api_base)
    runtime.channels.append(_channel(TelegramTransport(bot, chat_id), trader, ops, clock))
    if ops.telegram_remote:
        runtime.remote = RemoteControl(
            bot,
            chat_id,
            trader,
            clock,
            poll_s=ops.telegram_poll_s,
            allowed_users=ops.telegram_user_ids,
        )


def _add_tasks(runtime: OpsRuntime, trader: Trader, ops: OpsSettings, clock: Clock) -> None:
    for channel in runtime.channels:
        runtime.tasks.append((f"notify-{channel.name}", channel.run))
    if runtime.channels:
        notifier = Notifier(
            runtime.channels,
            clock,
            min_severity=ops.notify_min_severity,
            signals=ops.notify_signals,
            daily_summary=ops.daily_summary,
            fills=trader.parts.journal,
        )
        runtime.notifier = notifier
        runtime.tasks.append(("notifier", lambda: notifier.run(trader.snapshot)))
    if ops.weekly_hook:
        runtime.tasks.append(("weekly-hook", _weekly_hook(trader, ops, clock).run))
    send = runtime.notifier.send if runtime.notifier and ops.notify_error_logs else None
    relay = ErrorLogRelay(runtime.metrics, send, per_hour=ops.notify_error_logs_per_hour)
    runtime.tasks.append(("error-logs", relay.run))
    if runtime.remote is not None:
        runtime.tasks.append(("telegram-remote", runtime.remote.run))
    if ops.health_port:
        from tui_trader.ops.health import HealthServer

        metrics = runtime.metrics
        runtime.health = HealthServer(
            trader.snapshot,
            metrics,
            clock,
            port=ops.health_port,
            journal=trader.parts.journal,
            on_event=trader.record_safety,
        )
        runtime.tasks.append(("health", runtime.health.serve_forever))
        runtime.tasks.append(("metrics", lambda: metrics.run(trader.snapshot, clock)))


def _weekly_hook(trader: Trader, ops: OpsSettings, clock: Clock) -> Schedule:
    """WEEKLY_HOOK on the clock-aligned weekly schedule, its outcome a safety event."""

    async def run() -> None:
        outcome = await run_hook(
            ops.weekly_hook, trader.settings.data_path, ops.weekly_hook_timeout_s
        )
        say(Severity.INFO if outcome.ok else Severity.WARNING, outcome.text)

    def say(severity: Severity, message: str) -> None:
        trader.record_safety(SafetyEvent(clock.now(), severity, SafetyKind.SCHEDULE, message))

    return Schedule("weekly hook", WEEK, run, clock, lambda text: say(Severity.WARNING, text))
