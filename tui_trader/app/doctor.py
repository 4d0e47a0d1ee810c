"""`tui-trader doctor`: one OK/WARN/FAIL (or SKIP) line per check, exit 1 on any FAIL.

Offline it checks the keyring, notification secrets, the journal, disk space, the
config, a running instance's streams and environment variables that look like misspelt
settings; `--online` adds the chosen venue's reach and clock skew (Binance's server
time; Upbit's Date header, and the symbols listed) and the live API key's withdrawal
permission (Upbit's: also unexpired and the account's)."""

import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TextIO

from tui_trader.app.doctor_checks import (
    CheckResult,
    DoctorContext,
    config_check,
    disk_check,
    env_results,
    journal_check,
    keyring_check,
    notify_secrets_check,
    streams_check,
)
from tui_trader.app.doctor_datadir import datadir_check
from tui_trader.app.doctor_online import api_key_check, clock_check
from tui_trader.config import Settings
from tui_trader.ops.settings import OpsSettings
from tui_trader.secrets import SecretStore

Check = Callable[[DoctorContext], Awaitable[CheckResult]]
CHECKS: tuple[tuple[str, Check], ...] = (
    ("clock", clock_check),
    ("streams", streams_check),
    ("keyring", keyring_check),
    ("notify", notify_secrets_check),
    ("journal", journal_check),
    ("disk", disk_check),
    ("data dir", datadir_check),
    ("config", config_check),
    ("api key", api_key_check),
)


async def run_check(name: str, check: Check, ctx: DoctorContext) -> CheckResult:
    try:
        return await check(ctx)
    except Exception as exc:  # a check that crashes is a failed check, not a traceback
        return CheckResult(name, "FAIL", f"{type(exc).__name__}: {exc}")


async def doctor_checks(ctx: DoctorContext) -> list[CheckResult]:
    results = [await run_check(name, check, ctx) for name, check in CHECKS]
    return results + env_results(ctx.env)


def format_result(result: CheckResult) -> str:
    return f"{result.status:<4} {result.name:<8} {result.detail}"


async def run_doctor(
    settings: Settings,
    ops: OpsSettings,
    *,
    online: bool = False,
    env: Mapping[str, str] | None = None,
    spec: Any = None,
    store: SecretStore | None = None,
    out: TextIO | None = None,
) -> int:
    """Print the checks; 1 if any failed, else 0."""
    ctx = DoctorContext(
        settings, ops, dict(os.environ if env is None else env), online, spec, store
    )
    stream = out or sys.stdout
    results = await doctor_checks(ctx)
    for result in results:
        print(format_result(result), file=stream, flush=True)
    return 1 if any(r.status == "FAIL" for r in results) else 0
