"""The Upbit live broker, after the live gate: keys from the OS keyring only (`upbit`),
the key check (unexpired, the account's, blind to withdrawals unless the operator
overrides), then an UpbitBroker on Upbit's exchange API and its private myOrder stream.
Apart from venue_parts.py so a paper run on Upbit's data loads no signing library."""

import os
from collections.abc import Callable, Mapping
from decimal import Decimal

from tui_trader.clock import Clock
from tui_trader.config import Settings
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.rules import SymbolRules
from tui_trader.secrets import ExchangeKeys, LiveKeysError
from tui_trader.upbit.broker import UpbitBroker
from tui_trader.upbit.exchange import UpbitExchange
from tui_trader.upbit.key_check import KeyPermissionError, check_key
from tui_trader.upbit.private_stream import MyOrderStream
from tui_trader.upbit.quotation import market_code
from tui_trader.upbit.venue_parts import UpbitTiming

KEY_NAME = "upbit"  # the keyring entry: `tui-trader keys set upbit`


async def live_keys(settings: Settings, environ: Mapping[str, str] | None = None) -> ExchangeKeys:
    """Upbit's access and secret key from the keyring (the process's store: an encrypted
    file unlocked once serves every read); raises secrets errors saying what to do (live
    never takes keys from the environment)."""
    from tui_trader.secrets import resolve_exchange_keys
    from tui_trader.secrets.process_store import open_secret_store

    store = await open_secret_store(settings)
    env = os.environ if environ is None else environ
    keys = await resolve_exchange_keys("live", env, store, KEY_NAME)
    if keys is None:  # live never answers "no keys" silently; said here all the same
        raise LiveKeysError(f"no {KEY_NAME} keys: run `tui-trader keys set {KEY_NAME}`")
    return keys


async def start_live_broker(
    settings: Settings,
    keys: ExchangeKeys,
    rules: Mapping[str, SymbolRules],
    *,
    clock: Clock,
    on_safety: Callable[[SafetyEvent], None],
    last_price: Callable[[str], Decimal | None],
    timing: UpbitTiming,
) -> UpbitBroker:
    """The started live broker; raises KeyPermissionError (the key must not be used) or
    BrokerError (Upbit did not answer), closing what it opened."""
    if keys.source != "keyring":
        raise KeyPermissionError("live trading refused: live keys come from the keyring only")
    exchange = UpbitExchange(
        keys, settings.upbit_api_url, timeout_s=timing.request_timeout_s, pause_s=timing.pause_s
    )
    await exchange.start()
    try:
        await check_key(
            exchange, keys.api_key, clock.now(), allow_withdraw=settings.allow_withdraw_keys
        )
        # myOrder first, polling as the fallback (broker.py); the private endpoint sits
        # under the public one's address, so a double serving both needs no new setting
        stream = MyOrderStream(
            keys,
            [market_code(symbol) for symbol in rules],
            clock=clock,
            url=settings.upbit_ws_url.rstrip("/") + "/private",
            on_safety=on_safety,
        )
        broker = UpbitBroker(
            exchange,
            rules,
            quote=settings.quote_asset,
            clock=clock,
            last_price=last_price,
            on_safety=on_safety,
            poll_s=timing.poll_s,
            stream=stream,
            asset_settle_s=timing.asset_settle_s,
        )
        await broker.start()
    except BaseException:
        await exchange.close()
        raise
    return broker
