"""The Binance parts a trader is built from: the public market feed (no keys), the
symbols' exchange filters, and, for testnet/demo with keys or for live trading, a
started broker with reconciliation against the trader's own records.

`build_exchange_parts` doubles as the reachability probe: if Binance's public API does
not answer, it raises ExchangeUnavailable and the caller falls back to the simulated
market, saying so."""

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from tui_trader.binance.client import ENDPOINTS, BinanceEnv, ClientSpec, Endpoints, close_client
from tui_trader.binance.errors import classify
from tui_trader.binance.feed import BinanceFeed
from tui_trader.binance.filters import rules_from_exchange_info
from tui_trader.binance.futures_account import AccountUpdate
from tui_trader.binance.futures_broker import BinanceFuturesBroker
from tui_trader.binance.key_check import KeyPermissionError, check_key
from tui_trader.binance.key_names import exchange_key_name
from tui_trader.binance.klines import recent_klines
from tui_trader.binance.parse import ParseError
from tui_trader.binance.spot_broker import BinanceSpotBroker
from tui_trader.clock import Clock
from tui_trader.config import Settings
from tui_trader.domain.enums import MarketKind, Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.market import Candle
from tui_trader.domain.rules import SymbolRules
from tui_trader.execution.reconcile import Reconciler, TraderBook
from tui_trader.resilience.retry import Backoff
from tui_trader.safety.trading_state import TradingState
from tui_trader.secrets import ExchangeKeys, KeyMode

BinanceBroker = BinanceSpotBroker | BinanceFuturesBroker
SafetyListener = Callable[[SafetyEvent], None]
PriceSource = Callable[[str], Decimal | None]
AccountListener = Callable[[AccountUpdate], None]  # futures: funding, liquidation prices


class ExchangeUnavailable(Exception):
    """Binance's public API cannot be used (unreachable, or refuses the symbols)."""


log = logging.getLogger("tui_trader.binance.venue_parts")


@dataclass(frozen=True, slots=True)
class Timing:
    """Timeouts and intervals of the Binance parts; tests shrink them."""

    request_timeout_s: float = 10.0
    ws_timeout_s: float = 5.0
    stale_after_s: float = 10.0  # feed: a kline stream silent this long is recreated
    socket_poll_s: float = 1.0
    silence_s: float = 60.0  # user data: silence (orders working) before REST polling
    poll_s: float = 15.0
    backoff: Backoff | None = None
    retry: Backoff | None = None  # Binance unreachable at start: tries again this often


@dataclass(slots=True)
class ExchangeParts:
    env: BinanceEnv
    feed: BinanceFeed
    rules: dict[str, SymbolRules]
    broker: BinanceBroker | None = None  # None: paper trading on Binance's data
    history: list[Candle] = field(default_factory=list)  # closed klines to warm up on

    @property
    def label(self) -> str:
        broker = self.broker.name if self.broker is not None else "paper broker"
        return f"Binance {self.env} market data, {broker}"


def key_mode(settings: Settings, live: bool) -> KeyMode:
    """How keys may be found (secrets.resolve_exchange_keys): live → keyring only."""
    if live:
        return "live"
    return "paper" if settings.binance_env == "mainnet" else "testnet"


async def exchange_keys(
    settings: Settings, *, live: bool, environ: Mapping[str, str] | None = None
) -> ExchangeKeys | None:
    """The key pair this run may use: none for paper on mainnet data; testnet/demo keys
    from the environment or the keyring; live keys from the keyring only. Raises
    secrets.ExchangeKeysError (or LiveKeysError) with what to do."""
    from tui_trader.secrets import SecretsError, SecretStore, resolve_exchange_keys

    mode = key_mode(settings, live)
    if mode == "paper":
        return None
    try:
        store: SecretStore | None = await asyncio.to_thread(
            SecretStore.open,
            settings.secrets_backend,
            cryptfile_path=settings.data_path / "secrets.cfg",
        )
    except SecretsError:
        store = None  # testnet may still use the environment; live then refuses
    env = os.environ if environ is None else environ
    name = exchange_key_name(settings)
    return await resolve_exchange_keys(mode, env, store, name)


async def load_rules(
    spec: ClientSpec, market: MarketKind, symbols: tuple[str, ...]
) -> dict[str, SymbolRules]:
    """The symbols' filters from the public exchangeInfo; ExchangeUnavailable if
    Binance does not answer, answers nonsense, or does not list a symbol."""
    client: Any = None
    try:
        client = await spec.create()
        if market is MarketKind.FUTURES:
            info = await client.futures_exchange_info()
        else:
            info = await client.get_exchange_info()
        rules, _status = rules_from_exchange_info(info, market, symbols)
    except ParseError as exc:
        raise ExchangeUnavailable(f"unreadable exchangeInfo from Binance: {exc}") from None
    except Exception as exc:
        raise ExchangeUnavailable(f"Binance unreachable: {classify(exc).describe()}") from None
    finally:
        if client is not None:
            await close_client(client)
    missing = sorted(set(symbols) - set(rules))
    if missing:
        raise ExchangeUnavailable(f"symbols unknown to Binance {market}: {', '.join(missing)}")
    return rules


async def load_history(
    spec: ClientSpec,
    settings: Settings,
    history: tuple[int, int],
    clock: Clock,
    on_safety: SafetyListener,
) -> list[Candle]:
    """Recent closed klines for the warm-up; none (and a warning) when Binance does not
    give them: the strategies then warm up on live candles, as before."""
    count, interval_s = history
    if count <= 0:
        return []
    client: Any = None

    def bad(text: str) -> None:
        log.warning("warm-up kline skipped: %s", text)

    try:
        client = await spec.create()
        return await recent_klines(
            client,
            settings.symbols,
            settings.candle_interval,
            interval_s,
            count,
            clock.now(),
            bad,
            settings.market_type,
        )
    except Exception as exc:  # history is a convenience: never a reason not to trade
        message = f"no kline history for the warm-up ({classify(exc).describe()})"
        on_safety(SafetyEvent(clock.now(), Severity.WARNING, SafetyKind.FEED_ERROR, message))
        return []
    finally:
        if client is not None:
            await close_client(client)


async def build_exchange_parts(
    settings: Settings,
    *,
    clock: Clock,
    on_safety: SafetyListener,
    keys: ExchangeKeys | None = None,
    endpoints: Endpoints | None = None,
    reference_price: PriceSource | None = None,
    on_account: AccountListener | None = None,
    timing: Timing = Timing(),
    history: tuple[int, int] | None = None,
) -> ExchangeParts:
    """Feed and filters for the configured symbols (public, no keys) and, on testnet
    or demo with `keys`, a started broker. Raises ExchangeUnavailable when Binance's
    public API cannot be used, BrokerError when the broker cannot start. `history`:
    (candles per symbol, seconds per candle) of closed klines to load for the warm-up."""
    env = settings.binance_env
    public = ClientSpec(endpoints or ENDPOINTS[env], request_timeout_s=timing.request_timeout_s)
    rules = await load_rules(public, settings.market_type, settings.symbols)
    feed = BinanceFeed(
        public,
        settings.symbols,
        settings.candle_interval,
        clock=clock,
        name="binance" if env == "mainnet" else f"binance-{env}",
        on_safety=on_safety,
        stale_after_s=timing.stale_after_s,
        backoff=timing.backoff,
        socket_poll_s=timing.socket_poll_s,
        market=settings.market_type,
    )
    parts = ExchangeParts(env, feed, rules)
    if history is not None:
        parts.history = await load_history(public, settings, history, clock, on_safety)
    if keys is not None and env != "mainnet":
        spec = replace(public, api_key=keys.api_key, api_secret=keys.api_secret)
        parts.broker = await start_broker(
            settings,
            spec,
            clock=clock,
            on_safety=on_safety,
            reference_price=reference_price,
            on_account=on_account,
            timing=timing,
        )
        parts.rules = {s: r for s in settings.symbols if (r := parts.broker.rules(s))}
    return parts


async def start_live_broker(
    settings: Settings,
    keys: ExchangeKeys,
    *,
    clock: Clock,
    on_safety: SafetyListener,
    allow_withdraw_keys: bool,
    endpoints: Endpoints | None = None,
    reference_price: PriceSource | None = None,
    on_account: AccountListener | None = None,
    timing: Timing = Timing(),
) -> BinanceBroker:
    """The live broker, after the key check: keyring keys only, no withdrawal rights
    unless the operator overrides. Raises KeyPermissionError or BrokerError."""
    if keys.source != "keyring":
        raise KeyPermissionError("live trading refused: live keys come from the keyring only")
    spec = ClientSpec(
        endpoints or ENDPOINTS[settings.binance_env],
        keys.api_key,
        keys.api_secret,
        request_timeout_s=timing.request_timeout_s,
    )
    client = await spec.create()
    try:
        await check_key(
            client, settings.binance_env, settings.market_type, allow_withdraw=allow_withdraw_keys
        )
    finally:
        await close_client(client)
    return await start_broker(
        settings,
        spec,
        clock=clock,
        on_safety=on_safety,
        reference_price=reference_price,
        timing=timing,
        on_account=on_account,
    )


async def start_broker(
    settings: Settings,
    spec: ClientSpec,
    *,
    clock: Clock,
    on_safety: SafetyListener,
    reference_price: PriceSource | None,
    timing: Timing,
    on_account: AccountListener | None = None,
) -> BinanceBroker:
    common: dict[str, Any] = {
        "clock": clock,
        "on_safety": on_safety,
        "reference_price": reference_price,
        "request_timeout_s": timing.request_timeout_s,
        "backoff": timing.backoff,
        "silence_s": timing.silence_s,
        "poll_s": timing.poll_s,
        "breaker": settings.breaker_limits,
    }
    broker: BinanceBroker
    if settings.market_type is MarketKind.FUTURES:
        broker = BinanceFuturesBroker(
            spec,
            settings.symbols,
            leverage=settings.max_leverage,
            ws_timeout_s=timing.ws_timeout_s,
            on_account=on_account,
            **common,
        )
    else:
        broker = BinanceSpotBroker(
            spec, settings.symbols, ws_api_timeout_s=timing.ws_timeout_s, **common
        )
    await broker.start()
    return broker


def attach_reconciler(
    broker: BinanceBroker,
    book: TraderBook,
    *,
    clock: Clock,
    on_safety: SafetyListener,
    trading: TradingState,
    tolerance: Decimal,
) -> Reconciler:
    """A Reconciler of `broker` against `book`, also run after every user data
    re-subscription. The caller runs it once at start: `await reconciler("start")`."""
    reconciler = Reconciler(
        broker,
        book,
        clock=clock,
        on_safety=on_safety,
        trading=trading,
        tolerance=tolerance,
    )
    broker.reconnect_hook = reconciler
    return reconciler
