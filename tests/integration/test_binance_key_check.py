"""The live-start API key check against the exchange double: mainnet reads
/sapi/v1/account/apiRestrictions, testnet and demo the account's own flags."""

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble, key_restrictions
from tests.integration.conftest_binance import exchange_fixture, spec_fixture  # noqa: F401
from tui_trader.binance.client import ClientSpec, close_client
from tui_trader.binance.key_check import KeyPermissionError, KeyPermissions, check_key
from tui_trader.domain.enums import MarketKind


@pytest.fixture
async def client(spec: ClientSpec) -> AsyncIterator[Any]:
    made = await spec.create()
    yield made
    await close_client(made)


async def test_mainnet_key_without_withdrawals_passes(
    exchange: BinanceExchangeDouble, client: Any
) -> None:
    permissions = await check_key(client, "mainnet", MarketKind.SPOT, allow_withdraw=False)
    assert permissions == KeyPermissions(False, True, True, "apiRestrictions")
    assert ("GET", "/sapi/v1/account/apiRestrictions") in exchange.requests


async def test_mainnet_key_that_can_withdraw_is_refused_with_an_explanation(
    exchange: BinanceExchangeDouble, client: Any
) -> None:
    exchange.restrictions = key_restrictions(withdrawals=True)
    with pytest.raises(KeyPermissionError) as refused:
        await check_key(client, "mainnet", MarketKind.SPOT, allow_withdraw=False)
    text = str(refused.value)
    assert text.startswith("live trading refused: this API key can WITHDRAW funds")
    assert "(withdrawals ENABLED, trading enabled, IP-restricted, per apiRestrictions)" in text
    assert "ALLOW_WITHDRAW_KEYS=true" in text


async def test_operator_override_accepts_a_withdrawal_key(
    exchange: BinanceExchangeDouble, client: Any
) -> None:
    exchange.restrictions = key_restrictions(withdrawals=True)
    permissions = await check_key(client, "mainnet", MarketKind.SPOT, allow_withdraw=True)
    assert permissions.can_withdraw


async def test_futures_needs_a_key_enabled_for_futures(
    exchange: BinanceExchangeDouble, client: Any
) -> None:
    with pytest.raises(KeyPermissionError, match="this API key cannot trade"):
        await check_key(client, "mainnet", MarketKind.FUTURES, allow_withdraw=False)
    exchange.restrictions = key_restrictions(futures=True)
    assert (await check_key(client, "mainnet", MarketKind.FUTURES, allow_withdraw=False)).can_trade


@pytest.mark.parametrize("market", [MarketKind.SPOT, MarketKind.FUTURES])
async def test_testnet_reads_the_account_flags(
    exchange: BinanceExchangeDouble, client: Any, market: MarketKind
) -> None:
    assert not (await check_key(client, "testnet", market, allow_withdraw=False)).can_withdraw
    exchange.engine.can_withdraw = exchange.futures.engine.can_withdraw = True
    with pytest.raises(KeyPermissionError, match=r"can WITHDRAW funds .* per account\)"):
        await check_key(client, "demo", market, allow_withdraw=False)
    path = "/fapi/v2/account" if market is MarketKind.FUTURES else "/api/v3/account"
    assert exchange.requests.count(("GET", path)) == 2
    assert ("GET", "/sapi/v1/account/apiRestrictions") not in exchange.requests


async def test_unreadable_permissions_refuse(
    exchange: BinanceExchangeDouble, spec: ClientSpec
) -> None:
    wrong = await replace(spec, api_key="not-the-key").create()
    try:
        with pytest.raises(KeyPermissionError) as refused:
            await check_key(wrong, "mainnet", MarketKind.SPOT, allow_withdraw=False)
    finally:
        await close_client(wrong)
    assert str(refused.value) == (
        "cannot read the API key's permissions (-2015 Invalid API-key, IP, or permissions "
        "for action.); live trading refused"
    )


async def test_malformed_permissions_refuse(exchange: BinanceExchangeDouble, client: Any) -> None:
    exchange.restrictions = {"enableWithdrawals": "no"}
    with pytest.raises(KeyPermissionError, match="no usable 'enableWithdrawals'"):
        await check_key(client, "mainnet", MarketKind.SPOT, allow_withdraw=False)
