"""`doctor --online` on VENUE=upbit in live mode checks the keyring's Upbit key against
Upbit (the local exchange double, every request's JWT verified) as the live start would:
expired, unknown to Upbit or able to see withdrawals is one FAIL line; no answer is a
WARN, as on Binance. No line ever shows the key or the secret."""

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.doubles.memory_keyring import MemoryKeyring
from tests.doubles.upbit_exchange import ACCESS, SECRET, UpbitExchangeDouble, upbit_exchange
from tests.doubles.upbit_quotation import UpbitQuotation, serve
from tests.trader_support import make_settings
from tui_trader.app.doctor import run_doctor
from tui_trader.app.doctor_checks import CheckResult, DoctorContext
from tui_trader.app.doctor_online import api_key_check
from tui_trader.ops.settings import load_ops_settings
from tui_trader.secrets import SecretStore

UPBIT = {"VENUE": "upbit", "QUOTE_ASSET": "KRW", "SYMBOLS": "BTCKRW", "TRADING_MODE": "live"}


@pytest.fixture
async def upbit() -> AsyncIterator[tuple[UpbitExchangeDouble, str]]:
    double = UpbitExchangeDouble()
    async with upbit_exchange(double) as url:
        yield double, url


def keyring(access: str = ACCESS, secret: str = SECRET) -> SecretStore:
    store = SecretStore(MemoryKeyring())
    if access:
        store.put("upbit", "key", access)
        store.put("upbit", "secret", secret)
    return store


async def key_line(tmp_path: Path, url: str, store: SecretStore) -> CheckResult:
    settings = make_settings(tmp_path, **UPBIT, UPBIT_API_URL=url)
    result = await api_key_check(
        DoctorContext(settings, load_ops_settings(), {}, True, None, store)
    )
    assert ACCESS not in result.detail and SECRET not in result.detail
    return result


async def test_a_key_that_may_only_trade_passes(
    upbit: tuple[UpbitExchangeDouble, str], tmp_path: Path
) -> None:
    double, url = upbit
    result = await key_line(tmp_path, url, keyring())
    assert result.status == "OK" and result.detail.endswith(
        "cannot see withdrawals (Upbit does not say more)"
    )
    assert [path for _, path, _ in double.requests] == ["/v1/api_keys", "/v1/withdraws/chance"]


async def test_a_key_that_sees_withdrawals_fails_even_with_the_override(
    upbit: tuple[UpbitExchangeDouble, str], tmp_path: Path
) -> None:
    double, url = upbit
    double.sees_withdrawals = True
    settings = make_settings(tmp_path, **UPBIT, UPBIT_API_URL=url, ALLOW_WITHDRAW_KEYS="true")
    ctx = DoctorContext(settings, load_ops_settings(), {}, True, None, keyring())
    result = await api_key_check(ctx)
    assert result.status == "FAIL" and "has withdrawal permissions" in result.detail
    assert "`tui-trader keys set upbit`" in result.detail


async def test_an_expired_or_unknown_key_fails(
    upbit: tuple[UpbitExchangeDouble, str], tmp_path: Path
) -> None:
    double, url = upbit
    double.key_expiry = datetime.now(UTC) - timedelta(days=1)
    expired = await key_line(tmp_path, url, keyring())
    assert expired.status == "FAIL" and "the Upbit API key expired on" in expired.detail
    unknown = await key_line(
        tmp_path, url, keyring("not-an-upbit-key", "nor-its-secret-" + "x" * 32)
    )
    assert unknown.status == "FAIL" and "invalid_access_key" in unknown.detail
    assert "not-an-upbit-key" not in unknown.detail and "nor-its-secret" not in unknown.detail


async def test_no_keys_fails_and_no_answer_warns(
    upbit: tuple[UpbitExchangeDouble, str], tmp_path: Path
) -> None:
    double, url = upbit
    missing = await key_line(tmp_path, url, keyring(access=""))
    assert missing.status == "FAIL" and "`tui-trader keys set upbit`" in missing.detail
    double.fault("GET /v1/api_keys", "garbage")
    garbage = await key_line(tmp_path, url, keyring())
    assert garbage.status == "WARN" and "cannot check the Upbit API key" in garbage.detail


async def test_doctor_on_upbit_live_checks_reach_and_key_in_one_run(tmp_path: Path) -> None:
    quotation, exchange = UpbitQuotation(now=datetime.now(UTC)), UpbitExchangeDouble()
    exchange.sees_withdrawals = True
    async with serve(exchange.add_routes(quotation.app())) as url:  # one address, as Upbit's
        settings = make_settings(tmp_path, **UPBIT, UPBIT_API_URL=url)
        out = io.StringIO()
        code = await run_doctor(settings, load_ops_settings(), online=True, env={},
                                store=keyring(), out=out)  # fmt: skip
    lines = out.getvalue().splitlines()
    assert code == 1 and ACCESS not in out.getvalue() and SECRET not in out.getvalue()
    [clock] = [line for line in lines if line[5:].startswith("clock ")]
    [key] = [line for line in lines if line[5:].startswith("api key ")]
    assert clock.startswith("OK") and "Upbit reachable" in clock
    assert key.startswith("FAIL") and "withdrawal permissions" in key and "Binance" not in key
