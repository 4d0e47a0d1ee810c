"""`tui-trader doctor`: every check can fail, on real inputs (a Binance double on
127.0.0.1, real journal files, a real keyring backend choice, the real disk)."""

import asyncio
import io
import os
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.doubles.binance_exchange import BinanceExchangeDouble
from tests.doubles.memory_keyring import MemoryKeyring
from tests.trader_support import START, make_settings
from tui_trader.app.doctor import run_check, run_doctor
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
from tui_trader.app.doctor_online import api_key_check, clock_check
from tui_trader.binance.client import ClientSpec, loopback_endpoints
from tui_trader.domain.portfolio import Balance
from tui_trader.journal import Journal
from tui_trader.ops.settings import load_ops_settings
from tui_trader.runtime.build_trader import journal_path
from tui_trader.secrets import SecretStore

FAIL_BACKEND = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def context(
    tmp_path: Path,
    settings: dict[str, str] | None = None,
    ops: dict[str, Any] | None = None,
    *,
    env: dict[str, str] | None = None,
    store: SecretStore | None = None,
    online: bool = False,
    spec: Any = None,
) -> DoctorContext:
    return DoctorContext(
        make_settings(tmp_path, **(settings or {})),
        load_ops_settings(**(ops or {})),
        env or {},
        online,
        spec,
        store,
    )


def memory_store(**secrets: str) -> SecretStore:
    store = SecretStore(MemoryKeyring())
    for name, value in secrets.items():
        service, field = name.split("_")
        store.put(service, field, value)
    return store


# --- clock ------------------------------------------------------------------------------
@pytest.fixture(name="exchange")
async def exchange_fixture() -> AsyncIterator[BinanceExchangeDouble]:
    double = BinanceExchangeDouble()
    await double.start()
    try:
        yield double
    finally:
        await double.stop()


async def test_clock_ok_then_fail_when_the_server_clock_is_off(
    tmp_path: Path, exchange: BinanceExchangeDouble
) -> None:
    spec = ClientSpec(loopback_endpoints(exchange.port))
    ok = await clock_check(context(tmp_path, online=True, spec=spec))
    assert ok.status == "OK" and "ms off Binance mainnet server time" in ok.detail
    exchange.faults.clock_skew_ms = 5000
    bad = await clock_check(context(tmp_path, online=True, spec=spec))
    assert bad.status == "FAIL"
    assert "fix NTP" in bad.detail and "MAX_CLOCK_SKEW_MS=1000" in bad.detail


async def test_clock_fails_when_binance_is_unreachable(tmp_path: Path) -> None:
    spec = ClientSpec(loopback_endpoints(1))  # nothing listens on port 1
    result = await clock_check(context(tmp_path, online=True, spec=spec))
    assert result.status == "FAIL" and "unreachable" in result.detail


async def test_clock_is_skipped_offline(tmp_path: Path) -> None:
    assert (await clock_check(context(tmp_path))).status == "SKIP"


# --- keyring and notification secrets -----------------------------------------------------
async def test_keyring_fails_in_live_mode_without_a_usable_backend(tmp_path: Path) -> None:
    live = await keyring_check(context(tmp_path, {"TRADING_MODE": "live"}, env=FAIL_BACKEND))
    assert live.status == "FAIL" and "live mode needs it" in live.detail
    paper = await keyring_check(context(tmp_path, env=FAIL_BACKEND))
    assert paper.status == "WARN"
    found = await keyring_check(context(tmp_path, store=memory_store()))
    assert found.status == "OK" and "MemoryKeyring" in found.detail


async def test_notify_fails_when_an_enabled_channel_has_no_secret(tmp_path: Path) -> None:
    ops = {"telegram_enabled": True, "telegram_chat_id": 42, "slack_enabled": True}
    missing = await notify_secrets_check(context(tmp_path, ops=ops, store=memory_store()))
    assert missing.status == "FAIL"
    assert "telegram (`tui-trader keys set telegram` or TELEGRAM_BOT_TOKEN)" in missing.detail
    assert "slack" in missing.detail
    store = memory_store(telegram_token="123:abc", slack_webhook="https://hooks.example/x")
    present = await notify_secrets_check(context(tmp_path, ops=ops, store=store))
    assert present == CheckResult("notify", "OK", "secrets present for telegram, slack")


# --- journal, disk, config ----------------------------------------------------------------
async def test_journal_fails_on_a_file_that_is_not_a_journal(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    assert (await journal_check(ctx)).status == "OK"  # none yet
    journal_path(ctx.settings).write_bytes(b"this is not SQLite at all" * 100)
    result = await journal_check(ctx)
    assert result.status == "FAIL" and "not a tui-trader journal" in result.detail


async def test_journal_ok_for_a_real_journal(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    journal = Journal(journal_path(ctx.settings))
    await journal.open()
    await journal.close()
    assert (await journal_check(ctx)).status == "OK"


async def test_disk_fails_below_the_free_space_floor(tmp_path: Path) -> None:
    assert (await disk_check(context(tmp_path, ops={"min_free_disk_mb": 1}))).status == "OK"
    huge = await disk_check(context(tmp_path, ops={"min_free_disk_mb": 1024**3}))  # 1 PiB
    assert huge.status == "FAIL" and "MIN_FREE_DISK_MB=1073741824" in huge.detail


async def test_config_fails_live_without_kill_switch_limits(tmp_path: Path) -> None:
    loose = {"MAX_DAILY_LOSS_PCT": "100", "STOP_LOSS_PCT": "0"}
    live = await config_check(context(tmp_path, {"TRADING_MODE": "live", **loose}))
    assert live.status == "FAIL"
    assert live.detail == (
        "live mode without kill-switch limits: MAX_DAILY_LOSS_PCT=100 (no daily loss limit); "
        "STOP_LOSS_PCT=0 (no stop loss)"
    )
    assert (await config_check(context(tmp_path, loose))).status == "WARN"
    assert (await config_check(context(tmp_path, {"TRADING_MODE": "live"}))).status == "OK"


# --- API key withdrawal permission ----------------------------------------------------------
@pytest.fixture(name="restrictions")
async def restrictions_fixture() -> AsyncIterator[tuple[dict[str, Any], int]]:
    """A minimal Binance: ping, time and the key's apiRestrictions."""
    answer: dict[str, Any] = {"enableWithdrawals": True, "enableSpotAndMarginTrading": True}

    async def ping(_r: web.Request) -> web.Response:
        return web.json_response({})

    async def server_time(_r: web.Request) -> web.Response:
        return web.json_response({"serverTime": int(time.time() * 1000)})

    async def api_restrictions(request: web.Request) -> web.Response:
        assert request.headers["X-MBX-APIKEY"] == "live-key"
        assert "signature=" in request.query_string
        return web.json_response(answer)

    app = web.Application()
    app.router.add_get("/api/v3/ping", ping)
    app.router.add_get("/api/v3/time", server_time)
    app.router.add_get("/sapi/v1/account/apiRestrictions", api_restrictions)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield answer, runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def test_api_key_fails_when_it_can_withdraw(
    tmp_path: Path, restrictions: tuple[dict[str, Any], int]
) -> None:
    answer, port = restrictions
    store = memory_store(binance_key="live-key", binance_secret="live-secret")
    spec = ClientSpec(loopback_endpoints(port))
    live = {"TRADING_MODE": "live"}
    bad = await api_key_check(context(tmp_path, live, store=store, online=True, spec=spec))
    assert bad.status == "FAIL" and "WITHDRAW" in bad.detail
    answer["enableWithdrawals"] = False
    good = await api_key_check(context(tmp_path, live, store=store, online=True, spec=spec))
    assert good == CheckResult(
        "api key", "OK", "withdrawals disabled, spot trading on, not IP-restricted"
    )
    offline = await api_key_check(context(tmp_path, live, store=store))
    assert offline.status == "WARN" and "unknown offline" in offline.detail
    no_keys = await api_key_check(
        context(tmp_path, live, store=memory_store(), online=True, spec=spec)
    )
    assert no_keys.status == "FAIL"


# --- a running instance ---------------------------------------------------------------------
async def journal_with_open_run(ctx: DoctorContext, pid: int) -> None:
    journal = Journal(journal_path(ctx.settings))
    await journal.open()
    await journal.start_run("paper", "spot", "sim", START, pid)
    journal.record_balances(START, {"USDT": Balance("USDT", Decimal(10000))}, Decimal(10000))
    await journal.close()  # no end_run: the run is still "running"


async def test_streams_fail_when_a_live_process_journals_nothing(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    assert (await streams_check(ctx)).detail == "no running instance (no journal yet)"
    await journal_with_open_run(ctx, os.getpid())
    ctx.now = START + timedelta(seconds=5)
    assert (await streams_check(ctx)).status == "OK"
    ctx.now = START + timedelta(seconds=120)
    quiet = await streams_check(ctx)
    assert quiet.status == "FAIL" and "last journaled books 120 s ago" in quiet.detail


async def test_streams_fail_when_the_health_endpoint_is_down(tmp_path: Path) -> None:
    ctx = context(tmp_path, ops={"health_port": 1})
    await journal_with_open_run(ctx, os.getpid())
    result = await streams_check(ctx)
    assert result.status == "FAIL" and "/health does not answer" in result.detail


async def test_streams_warn_about_a_run_whose_process_is_gone(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await process.wait()  # its pid now belongs to no process
    ctx = context(tmp_path)
    await journal_with_open_run(ctx, process.pid)
    result = await streams_check(ctx)
    assert result.status == "WARN" and "crashed?" in result.detail


# --- the runner --------------------------------------------------------------------------------
async def test_run_doctor_prints_one_line_per_check_and_fails_on_fail(tmp_path: Path) -> None:
    out = io.StringIO()
    code = await run_doctor(
        make_settings(tmp_path), load_ops_settings(), env={}, store=memory_store(), out=out
    )
    lines = out.getvalue().splitlines()
    assert lines[-1] == "OK   env      no unknown settings-like variables"  # after the checks
    names = [line[5:13].strip() for line in lines[:-1]]
    assert names == [
        "clock",
        "streams",
        "keyring",
        "notify",
        "journal",
        "disk",
        "data dir",
        "config",
        "api key",
    ]
    assert all(line[:4].strip() in {"OK", "WARN", "SKIP"} for line in lines)
    assert code == 0
    out = io.StringIO()
    failing = await run_doctor(
        make_settings(tmp_path),
        load_ops_settings(min_free_disk_mb=1024**3),
        env={},
        store=memory_store(),
        out=out,
    )
    assert failing == 1
    assert any(line.startswith("FAIL disk") for line in out.getvalue().splitlines())


async def test_disk_fails_when_the_data_dir_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file-not-dir").write_text("a file where the data dir should be")
    result = await disk_check(context(tmp_path / "file-not-dir"))
    assert result.status == "FAIL" and "is not a directory" in result.detail


async def test_a_crashing_check_is_a_fail_line_not_a_traceback(tmp_path: Path) -> None:
    async def broken(_ctx: DoctorContext) -> CheckResult:
        raise KeyError("surprise")

    result = await run_check("broken", broken, context(tmp_path))
    assert result == CheckResult("broken", "FAIL", "KeyError: 'surprise'")


# --- environment variables that look like settings ----------------------------------------
async def test_settings_like_variables_are_warn_lines_with_the_closest_name(
    tmp_path: Path,
) -> None:
    env = {
        "MAX_DAILY_LOS_PCT": "1",  # a typo of a known setting
        "LLM_TIMOUT_S": "5",  # ours by prefix and close to LLM_TIMEOUT_S
        "SIM_FOO": "x",  # ours by prefix, far from any name
        "MAX_OPEN_POSITIONS": "2",  # known
        "BINANCE_API_KEY": "k",  # a secret paper mode reads
        "HOME": "/home/x",
        "EDITOR": "vi",
        "lower_case_thing": "1",
    }
    out = io.StringIO()
    await run_doctor(make_settings(tmp_path), load_ops_settings(), env=env, out=out,
                     store=memory_store())  # fmt: skip
    warnings = [line for line in out.getvalue().splitlines() if line.startswith("WARN env")]
    assert warnings == [
        "WARN env      LLM_TIMOUT_S is not a setting and is ignored; did you mean LLM_TIMEOUT_S?",
        "WARN env      MAX_DAILY_LOS_PCT is not a setting and is ignored; "
        "did you mean MAX_DAILY_LOSS_PCT?",
        "WARN env      SIM_FOO is not a setting and is ignored",
    ]


def test_an_environment_of_known_and_unrelated_names_is_ok() -> None:
    results = env_results({"PATH": "/bin", "SYMBOLS": "BTCUSDT", "OPENAI_API_KEY": "sk"})
    assert results == [CheckResult("env", "OK", "no unknown settings-like variables")]
