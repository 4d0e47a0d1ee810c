"""The Upbit key check against the local double: a key that is the account's, unexpired
and blind to withdrawals passes; one that can see withdrawals, has expired, or cannot
be checked at all is refused with what to do."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.doubles.upbit_exchange import UpbitExchangeDouble, upbit_exchange
from tests.upbit_orders_support import KEYS
from tui_trader.secrets.env import ExchangeKeys
from tui_trader.upbit.exchange import UpbitExchange
from tui_trader.upbit.key_check import KeyPermissionError, UpbitKeyCheck, check_key

NOW = datetime.now(UTC)


async def checked(
    double: UpbitExchangeDouble, keys: ExchangeKeys = KEYS, allow_withdraw: bool = False
) -> UpbitKeyCheck:
    async with upbit_exchange(double) as url:
        exchange = UpbitExchange(keys, url, timeout_s=2.0, pause_s=0.01)
        await exchange.start()
        try:
            return await check_key(exchange, keys.api_key, NOW, allow_withdraw=allow_withdraw)
        finally:
            await exchange.close()


async def test_a_trading_only_key_passes() -> None:
    check = await checked(UpbitExchangeDouble())
    assert not check.sees_withdrawals and check.expires > NOW
    assert "cannot see withdrawals" in check.describe()


async def test_a_key_that_can_see_withdrawals_is_refused_unless_overridden() -> None:
    with pytest.raises(KeyPermissionError, match=r"withdrawal permissions.*ALLOW_WITHDRAW_KEYS"):
        await checked(UpbitExchangeDouble(sees_withdrawals=True))
    allowed = await checked(UpbitExchangeDouble(sees_withdrawals=True), allow_withdraw=True)
    assert allowed.sees_withdrawals


async def test_an_expired_key_is_refused() -> None:
    double = UpbitExchangeDouble(key_expiry=NOW - timedelta(days=1))
    with pytest.raises(KeyPermissionError, match=r"expired on .*keys set upbit"):
        await checked(double)


async def test_a_key_that_cannot_be_checked_is_not_trusted() -> None:
    wrong = ExchangeKeys(KEYS.api_key, "FAKE-not-the-secret-0000000000000000000", "keyring")
    with pytest.raises(KeyPermissionError, match=r"cannot check.*jwt_verification"):
        await checked(UpbitExchangeDouble(), wrong)
    double = UpbitExchangeDouble()
    double.fault("GET /v1/api_keys", "500", "500", "500")
    with pytest.raises(KeyPermissionError, match=r"cannot check.*HTTP 502"):
        await checked(double)
