"""`doctor --online` on VENUE=alpaca in live mode reads the account behind the keyring's
Alpaca key (the local trading double) as the live start would: an active account is OK
and says which account and that Alpaca keys cannot withdraw; a blocked account or a
refused key is one FAIL line; no answer is a WARN; no keys is a FAIL naming the command.
No line ever shows the key or the secret."""

from pathlib import Path

from tests.doubles.alpaca_trading import KEY_ID, SECRET, AlpacaTradingDouble, alpaca_trading
from tests.doubles.memory_keyring import MemoryKeyring
from tests.trader_support import make_settings
from tui_trader.app.doctor_checks import CheckResult, DoctorContext
from tui_trader.app.doctor_online import api_key_check
from tui_trader.ops.settings import load_ops_settings
from tui_trader.secrets import SecretStore

ALPACA = {"VENUE": "alpaca", "QUOTE_ASSET": "USD", "SYMBOLS": "AAPLUSD", "TRADING_MODE": "live"}


def keyring(key: str = KEY_ID, secret: str = SECRET) -> SecretStore:
    store = SecretStore(MemoryKeyring())
    if key:
        store.put("alpaca", "key", key)
        store.put("alpaca", "secret", secret)
    return store


async def key_line(tmp_path: Path, double: AlpacaTradingDouble, store: SecretStore) -> CheckResult:
    async with alpaca_trading(double) as url:
        settings = make_settings(tmp_path, **ALPACA, ALPACA_TRADING_URL=url)
        result = await api_key_check(
            DoctorContext(settings, load_ops_settings(), {}, True, None, store)
        )
    assert KEY_ID not in result.detail and SECRET not in result.detail
    return result


async def test_an_active_account_passes_and_is_named(tmp_path: Path) -> None:
    line = await key_line(tmp_path, AlpacaTradingDouble(), keyring())
    assert line.status == "OK", line
    assert "account PA0DOUBLE" in line.detail and "cannot withdraw" in line.detail


async def test_a_blocked_account_or_a_refused_key_fails(tmp_path: Path) -> None:
    blocked = AlpacaTradingDouble()
    blocked.account.trading_blocked = True
    line = await key_line(tmp_path, blocked, keyring())
    assert line.status == "FAIL" and "trading_blocked" in line.detail
    refused = await key_line(tmp_path, AlpacaTradingDouble(), keyring("FAKE-other", "FAKE-x"))
    assert refused.status == "FAIL" and "refused the API key" in refused.detail


async def test_no_answer_warns_and_no_keys_fails(tmp_path: Path) -> None:
    silent = AlpacaTradingDouble()
    silent.fault("GET /v2/account", "500", "500", "500")
    line = await key_line(tmp_path, silent, keyring())
    assert line.status == "WARN" and "cannot check the Alpaca API key" in line.detail
    missing = await key_line(tmp_path, AlpacaTradingDouble(), keyring(key=""))
    assert (
        missing.status == "FAIL" and "alpaca" in missing.detail and "Binance" not in missing.detail
    )
