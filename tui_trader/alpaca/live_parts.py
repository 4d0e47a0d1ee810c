"""The Alpaca live broker, after the live gate: keys from the OS keyring only (`alpaca`),
the account check (key_check.py: ACTIVE, not blocked; paper or live as the trading URL
says), the assets' flags (tradable, fractionable), then an AlpacaBroker on Alpaca's
trading API and its trade_updates stream. Loaded only for the alpaca venue: nothing of
alpaca-py is imported before."""

import os
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from tui_trader.alpaca.bracket_entry import EntryExits
from tui_trader.alpaca.broker import AlpacaBroker
from tui_trader.alpaca.key_check import AlpacaKeyCheck, KeyPermissionError, check_key
from tui_trader.alpaca.order_rules import AssetRules, MarketOpen
from tui_trader.alpaca.queued_exits import NextOpen
from tui_trader.alpaca.trade_stream import TradeUpdateStream
from tui_trader.alpaca.trading_api import AlpacaRefused, AlpacaTrading
from tui_trader.clock import Clock
from tui_trader.config import Settings
from tui_trader.domain.events import SafetyEvent
from tui_trader.execution.broker import BrokerError
from tui_trader.secrets import ExchangeKeys, LiveKeysError

KEY_NAME = "alpaca"  # the keyring entry: `tui-trader keys set alpaca`


async def live_keys(settings: Settings, environ: Mapping[str, str] | None = None) -> ExchangeKeys:
    """Alpaca's key id and secret from the keyring; raises secrets errors saying what to
    do (live never takes keys from the environment)."""
    from tui_trader.secrets import resolve_exchange_keys
    from tui_trader.secrets.process_store import open_secret_store

    store = await open_secret_store(settings)
    env = os.environ if environ is None else environ
    keys = await resolve_exchange_keys("live", env, store, KEY_NAME)
    if keys is None:
        raise LiveKeysError(f"no {KEY_NAME} keys: run `tui-trader keys set {KEY_NAME}`")
    return keys


def stream_url(trading_url: str) -> str:
    """Alpaca's trade_updates stream sits at /stream under the trading URL."""
    return (
        trading_url.rstrip("/").replace("https://", "wss://").replace("http://", "ws://")
        + "/stream"
    )


async def asset_rules(api: AlpacaTrading, symbols: Iterable[str]) -> dict[str, AssetRules]:
    """GET /v2/assets/{ticker} for each of our symbols (AAPLUSD -> AAPL)."""
    found = {}
    for symbol in symbols:
        ticker = symbol.removesuffix("USD")
        try:
            asset = await api.asset(ticker)
        except AlpacaRefused as exc:
            raise BrokerError(f"Alpaca does not know {ticker}: {exc}") from None
        found[symbol] = AssetRules(symbol, ticker, bool(asset.tradable), bool(asset.fractionable))
    return found


async def start_live_broker(
    keys: ExchangeKeys,
    symbols: Iterable[str],
    *,
    trading_url: str,
    clock: Clock,
    is_open: MarketOpen,
    on_safety: Callable[[SafetyEvent], None],
    last_price: Callable[[str], Decimal | None],
    timeout_s: float = 10.0,
    poll_s: float = 2.0,
    entry_exits: EntryExits | None = None,
    next_open: NextOpen | None = None,
) -> tuple[AlpacaBroker, AlpacaKeyCheck]:
    """The started live broker and what the key check found; raises KeyPermissionError
    (the key must not be used) or BrokerError (Alpaca did not answer), closing what it
    opened."""
    if keys.source != "keyring":
        raise KeyPermissionError("live trading refused: live keys come from the keyring only")
    api = AlpacaTrading(keys, trading_url, timeout_s=timeout_s)
    await api.start()
    try:
        check = await check_key(api)
        assets = await asset_rules(api, symbols)
        stream = TradeUpdateStream(keys, stream_url(trading_url), clock=clock, on_safety=on_safety)
        broker = AlpacaBroker(
            api,
            assets,
            clock=clock,
            is_open=is_open,
            last_price=last_price,
            on_safety=on_safety,
            poll_s=poll_s,
            stream=stream,
            entry_exits=entry_exits,
            next_open=next_open,
        )
        await broker.start()
    except BaseException:
        await api.close()
        raise
    return broker, check
