"""`tui-trader selftest`: one OK/FAIL/SKIP line per check, non-zero exit on any FAIL."""

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from tui_trader.config import Settings
from tui_trader.journal.errors import JournalError
from tui_trader.runtime.build_trader import journal_path

Result = tuple[str, str]  # (OK | FAIL | SKIP, detail)


async def _config(settings: Settings) -> Result:
    return (
        "OK",
        f"mode={settings.trading_mode} market={settings.market_type.value} "
        f"symbols={','.join(settings.symbols)} strategy={settings.strategy}",
    )


async def _data_dir(settings: Settings) -> Result:
    path = settings.data_path
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".selftest-"):
            pass
    except OSError as exc:
        return "FAIL", f"{path} is not writable: {exc}"
    return "OK", f"{path} writable"


async def _journal(settings: Settings) -> Result:
    from tui_trader.journal import check_journal

    path = journal_path(settings)
    if not path.exists():
        return "OK", f"no journal yet at {path} (created on first run)"
    try:
        problems = await check_journal(path)
    except JournalError as exc:
        return "FAIL", str(exc)
    return ("FAIL", "; ".join(problems)) if problems else ("OK", f"{path} intact")


async def _clock(_settings: Settings) -> Result:
    now = datetime.now(UTC)
    if now.year < 2024:
        return "FAIL", f"system clock reads {now.isoformat()}: set the time (NTP)"
    return "OK", f"system clock {now:%Y-%m-%dT%H:%M:%SZ} (UTC, timezone-aware)"


async def _keyring(settings: Settings) -> Result:
    from tui_trader.secrets import SecretsError
    from tui_trader.secrets.process_store import open_secret_store

    try:
        store = await open_secret_store(settings)
    except SecretsError as exc:
        # Paper trading needs no keys: only live mode makes a missing keyring a failure.
        status = "FAIL" if settings.trading_mode == "live" else "OK"
        first_line = str(exc).splitlines()[0]
        return status, f"{first_line} (needed for live only; `tui-trader keys check` explains)"
    return "OK", f"keyring backend {store.backend_name}"


async def _exchange(settings: Settings, online: bool) -> Result:
    if not online:
        return "SKIP", "exchange reachability and clock skew (pass --online to check)"
    if settings.venue == "upbit":
        return await _upbit(settings)
    if settings.venue == "alpaca":
        return await _alpaca(settings)
    from tui_trader.binance.client import ClientSpec, close_client

    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        client = await asyncio.wait_for(ClientSpec.for_env(settings.binance_env).create(), 15)
    except Exception as exc:
        return "FAIL", f"Binance ({settings.binance_env}) unreachable: {exc}"
    latency_ms = (loop.time() - started) * 1000
    skew_ms = abs(int(client.timestamp_offset))
    await close_client(client)
    if skew_ms > 1000:
        return "FAIL", f"clock is {skew_ms} ms off Binance server time: fix NTP"
    return (
        "OK",
        f"Binance ({settings.binance_env}) reachable in {latency_ms:.0f} ms, "
        f"clock skew {skew_ms} ms",
    )


async def _upbit(settings: Settings) -> Result:
    from tui_trader.upbit.probe import ProbeFailed, reach_upbit

    try:
        reach = await reach_upbit(settings.upbit_api_url, settings.symbols)
    except ProbeFailed as exc:
        return "FAIL", str(exc)
    return ("OK" if reach.ok else "FAIL"), reach.describe()


async def _alpaca(settings: Settings) -> Result:
    from tui_trader.alpaca.probe import ProbeFailed, alpaca_line
    from tui_trader.secrets import SecretsError
    from tui_trader.secrets.process_store import open_secret_store

    try:
        store = await open_secret_store(settings)
    except SecretsError:  # the environment may still hold the keys
        store = None
    try:
        return "OK", await alpaca_line(settings, datetime.now(UTC), store)
    except ProbeFailed as exc:
        return "FAIL", str(exc)


async def run_selftest(settings: Settings, online: bool = False) -> int:
    checks: list[tuple[str, Callable[[Settings], Awaitable[Result]]]] = [
        ("config", _config),
        ("data dir", _data_dir),
        ("journal", _journal),
        ("clock", _clock),
        ("keyring", _keyring),
    ]
    failed = False
    for name, check in checks:
        status, detail = await _guarded(check, settings)
        failed |= status == "FAIL"
        print(f"{status:<4} {name:<9} {detail}")
    status, detail = await _exchange(settings, online)
    failed |= status == "FAIL"
    print(f"{status:<4} {'exchange':<9} {detail}")
    return 1 if failed else 0


async def _guarded(check: Callable[[Settings], Awaitable[Result]], settings: Settings) -> Result:
    try:
        return await check(settings)
    except Exception as exc:  # a check that crashes is a failed check, not a traceback
        return "FAIL", f"{type(exc).__name__}: {exc}"
