"""Doctor checks that talk to the venue (only with --online): clock skew against the
server time, and whether the live API key may withdraw (it must not). On VENUE=upbit
both ask Upbit (doctor_upbit.py); on VENUE=alpaca the clock check asks Alpaca's clock
and data with its keys (alpaca/probe.py) and the key check reads the account behind the
live key (doctor_alpaca.py)."""

import asyncio
from typing import Any

from tui_trader.app.doctor_alpaca import alpaca_key_check
from tui_trader.app.doctor_checks import CheckResult, DoctorContext, open_store
from tui_trader.app.doctor_upbit import upbit_clock_check, upbit_key_check
from tui_trader.secrets import SecretsError, resolve_exchange_keys

CONNECT_TIMEOUT_S = 15.0


def _spec(ctx: DoctorContext, key: str | None = None, secret: str | None = None) -> Any:
    from tui_trader.binance.client import ClientSpec

    endpoints = ctx.spec.endpoints if ctx.spec is not None else None
    if endpoints is None:
        return ClientSpec.for_env(ctx.settings.binance_env, key, secret)
    return ClientSpec(endpoints, key, secret, request_timeout_s=5.0)


async def clock_check(ctx: DoctorContext) -> CheckResult:
    if not ctx.online:
        return CheckResult("clock", "SKIP", "skew against the venue's server time: pass --online")
    if ctx.settings.venue == "upbit":
        return await upbit_clock_check(ctx, CONNECT_TIMEOUT_S)
    if ctx.settings.venue == "alpaca":
        return await _alpaca_check(ctx)
    from tui_trader.binance.client import close_client, resync_time

    where = f"Binance {ctx.settings.binance_env}"
    try:
        client = await asyncio.wait_for(_spec(ctx).create(), CONNECT_TIMEOUT_S)
    except Exception as exc:  # DNS, TLS, HTTP errors: all mean "cannot check"
        return CheckResult("clock", "FAIL", f"{where} unreachable: {type(exc).__name__}: {exc}")
    try:
        skew_ms = abs(await resync_time(client))
    finally:
        await close_client(client)
    detail = f"{skew_ms} ms off {where} server time (MAX_CLOCK_SKEW_MS={ctx.ops.max_clock_skew_ms})"
    if skew_ms > ctx.ops.max_clock_skew_ms:
        return CheckResult("clock", "FAIL", f"{detail}: fix NTP (timedatectl set-ntp true)")
    return CheckResult("clock", "OK", detail)


async def _alpaca_check(ctx: DoctorContext) -> CheckResult:
    """Alpaca's keys, clock and data in one line (alpaca/probe.py)."""
    from tui_trader.alpaca.probe import ProbeFailed, probe_keys, reach_alpaca

    await open_store(ctx)
    try:
        keys = await probe_keys(ctx.env, ctx.store)
        reach = await reach_alpaca(ctx.settings, keys, ctx.now, CONNECT_TIMEOUT_S)
    except ProbeFailed as exc:
        return CheckResult("clock", "FAIL", str(exc))
    return CheckResult("clock", "OK" if reach.ok else "FAIL", reach.describe())


async def api_key_check(ctx: DoctorContext) -> CheckResult:
    if not ctx.live:
        return CheckResult("api key", "OK", "paper mode: no exchange key used")
    if not ctx.online:
        return CheckResult(
            "api key", "WARN", "withdrawal permission unknown offline: pass --online"
        )
    await open_store(ctx)
    venue = ctx.settings.venue
    name = venue if venue in ("upbit", "alpaca") else None  # Binance: its env's own entry
    try:
        keys = await resolve_exchange_keys("live", ctx.env, ctx.store, name)
    except SecretsError as exc:
        return CheckResult("api key", "FAIL", str(exc))
    if keys is None:
        return CheckResult("api key", "FAIL", "live mode without Binance keys in the keyring")
    if venue == "upbit":
        return await upbit_key_check(ctx, keys)
    if venue == "alpaca":
        return await alpaca_key_check(ctx, keys)
    return await _restrictions(ctx, keys.api_key, keys.api_secret)


async def _restrictions(ctx: DoctorContext, key: str, secret: str) -> CheckResult:
    from tui_trader.binance.client import close_client

    try:
        client = await asyncio.wait_for(_spec(ctx, key, secret).create(), CONNECT_TIMEOUT_S)
    except Exception as exc:
        return CheckResult(
            "api key", "WARN", f"cannot reach Binance to read key permissions: {exc}"
        )
    try:
        answer = await client.get_account_api_permissions()
    except Exception as exc:
        return CheckResult("api key", "WARN", f"cannot read the key's permissions: {exc}")
    finally:
        await close_client(client)
    if not isinstance(answer, dict):
        return CheckResult("api key", "WARN", "unexpected answer to apiRestrictions")
    if answer.get("enableWithdrawals"):
        return CheckResult(
            "api key",
            "FAIL",
            "the API key can WITHDRAW funds: disable withdrawals for it on Binance",
        )
    trading = "spot trading on" if answer.get("enableSpotAndMarginTrading") else "spot trading OFF"
    ip = "IP-restricted" if answer.get("ipRestrict") else "not IP-restricted"
    return CheckResult("api key", "OK", f"withdrawals disabled, {trading}, {ip}")
