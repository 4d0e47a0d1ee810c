"""The Alpaca key check before live trading, against the local trading double: an
ACTIVE, unblocked account passes and says which (paper or live, by the URL); a blocked
or inactive account, a refused key, and a silent Alpaca are refused, each in its own
words; live keys from the environment are refused; the live broker starts on the
keyring's keys and closes what it opened when the check fails."""

from decimal import Decimal

import pytest

from tests.doubles.alpaca_trading import KEY_ID, SECRET, AlpacaTradingDouble, alpaca_trading
from tui_trader.alpaca.key_check import KeyPermissionError, KeyUncheckable, check_key
from tui_trader.alpaca.live_parts import start_live_broker, stream_url
from tui_trader.alpaca.trading_api import AlpacaTrading, trading_mode
from tui_trader.clock import SystemClock
from tui_trader.secrets.env import ExchangeKeys

KEYS = ExchangeKeys(KEY_ID, SECRET, "keyring")


async def checked(double: AlpacaTradingDouble, keys: ExchangeKeys = KEYS) -> str:
    async with alpaca_trading(double) as url:
        api = AlpacaTrading(keys, url, timeout_s=0.5, pause_s=0.01)
        await api.start()
        try:
            return (await check_key(api)).describe()
        finally:
            await api.close()


def test_the_trading_url_decides_paper_or_live() -> None:
    assert trading_mode("https://paper-api.alpaca.markets") == "paper"
    assert trading_mode("https://api.alpaca.markets/") == "live"
    assert trading_mode("http://127.0.0.1:8080").startswith("other (http://127.0.0.1")
    assert stream_url("https://paper-api.alpaca.markets") == "wss://paper-api.alpaca.markets/stream"


async def test_an_active_account_passes_and_says_what_it_is() -> None:
    double = AlpacaTradingDouble()
    double.account.multiplier, double.account.daytrade_count = "2", 1
    said = await checked(double)
    assert "other (http://127.0.0.1" in said and "account PA0DOUBLE" in said
    assert "margin" in said and "1 day trade(s)" in said and "cannot withdraw" in said


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"trading_blocked": True}, "trading_blocked"),
        ({"account_blocked": True}, "account_blocked"),
        ({"status": "ACCOUNT_CLOSED"}, "status ACCOUNT_CLOSED"),
    ],
)
async def test_an_account_that_cannot_trade_is_refused(
    change: dict[str, object], words: str
) -> None:
    double = AlpacaTradingDouble()
    for name, value in change.items():
        setattr(double.account, name, value)
    with pytest.raises(KeyPermissionError, match="cannot trade") as caught:
        await checked(double)
    assert words in str(caught.value) and not isinstance(caught.value, KeyUncheckable)


async def test_a_refused_key_and_a_silent_alpaca_are_told_apart() -> None:
    with pytest.raises(KeyPermissionError, match="refused the API key") as caught:
        await checked(AlpacaTradingDouble(), ExchangeKeys("FAKE-wrong", "FAKE-wrong", "keyring"))
    assert not isinstance(caught.value, KeyUncheckable)
    double = AlpacaTradingDouble()
    double.fault("GET /v2/account", "500", "500", "500")
    with pytest.raises(KeyUncheckable, match="cannot check"):
        await checked(double)


async def test_the_live_broker_starts_on_keyring_keys_only() -> None:
    double = AlpacaTradingDouble()
    async with alpaca_trading(double) as url:
        common = {
            "trading_url": url,
            "clock": SystemClock(),
            "on_safety": lambda e: None,
            "is_open": lambda now: True,
            "last_price": lambda s: Decimal(190),
        }
        with pytest.raises(KeyPermissionError, match="keyring only"):
            await start_live_broker(ExchangeKeys(KEY_ID, SECRET, "env"), ["AAPLUSD"], **common)  # type: ignore[arg-type]
        broker, check = await start_live_broker(KEYS, ["AAPLUSD"], **common)  # type: ignore[arg-type]
        try:
            assert check.mode.startswith("other") and broker.guard_kinds("AAPLUSD")
            assert (await broker.balances())["USD"].total == 100_000
        finally:
            await broker.close()
        double.account.trading_blocked = True
        with pytest.raises(KeyPermissionError, match="trading_blocked"):
            await start_live_broker(KEYS, ["AAPLUSD"], **common)  # type: ignore[arg-type]
