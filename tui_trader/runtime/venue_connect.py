"""How the exchange link reaches the venue VENUE names: Binance's public data (and, on
testnet/demo with keys, a Binance broker), Upbit's public data, or Alpaca's market data
(with its keys); and, after the live gate, the venue's live broker and its reconciler.
Each venue's package is imported only when that venue is chosen: python-binance is slow
to import, and an Upbit run needs none of it."""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

from tui_trader.domain.enums import MarketKind, Severity
from tui_trader.domain.events import SafetyKind
from tui_trader.resilience.retry import Backoff
from tui_trader.runtime.core_parts import INTERVAL_SECONDS
from tui_trader.runtime.warmup import history_needed

if TYPE_CHECKING:
    from tui_trader.alpaca.broker import AlpacaBroker
    from tui_trader.alpaca.venue_parts import AlpacaParts
    from tui_trader.binance.venue_parts import (
        AccountListener,
        BinanceBroker,
        ExchangeParts,
        PriceSource,
    )
    from tui_trader.config import Settings
    from tui_trader.domain.portfolio import FundingFee, VenueFee
    from tui_trader.domain.rules import SymbolRules
    from tui_trader.execution.reconcile import Reconciler, TraderBook
    from tui_trader.runtime.exchange_link import ExchangeSetup
    from tui_trader.runtime.exchange_retry import LinkParts
    from tui_trader.runtime.trader_port import TraderPort
    from tui_trader.upbit.broker import UpbitBroker
    from tui_trader.upbit.venue_parts import UpbitParts

    LiveBroker = BinanceBroker | UpbitBroker | AlpacaBroker

Report = Callable[[Severity, SafetyKind, str], None]
MarketOpen = Callable[[datetime], bool]


class MarketHours(Protocol):
    """A venue's trading calendar (Alpaca's HoursKeeper): its orders keep to it."""

    def is_open(self, t: datetime) -> bool: ...

    def next_open(self, t: datetime) -> datetime | None: ...


VENUE_NAMES = {"binance": "Binance", "upbit": "Upbit", "alpaca": "Alpaca"}


def venue_name(venue: str) -> str:
    """How messages name the venue: `Binance`, `Upbit`, `Alpaca`."""
    return VENUE_NAMES[venue]


def venue_caption(settings: "Settings", *, simulated: bool) -> str:
    """Where the header says prices come from and orders would go: the venue (and its
    market, for USD-M), or `sim`, the built-in simulated market."""
    if simulated:
        return "sim"
    name = venue_name(settings.venue)
    return f"{name} USD-M" if settings.market_type is MarketKind.FUTURES else name


def retry_backoff(venue: str, setup: "ExchangeSetup") -> Backoff | None:
    """How often an unreachable venue is tried again (None: the default)."""
    timing = {"upbit": setup.upbit, "alpaca": setup.alpaca}.get(venue, setup.timing)
    return timing.retry if timing is not None else None


def market_hours(parts: "LinkParts") -> MarketHours | None:
    """The market's hours, when the venue keeps hours (Alpaca's calendar)."""
    hours: MarketHours | None = getattr(parts, "hours", None)  # only Alpaca's parts
    return hours


async def connect_venue(
    trader: "TraderPort",
    setup: "ExchangeSetup",
    *,
    report: Report,
    reference_price: "PriceSource",
    on_account: "AccountListener",
) -> "LinkParts":
    """The chosen venue's parts; raises (the venue's own exception) when unusable."""
    if trader.settings.venue == "upbit":
        return await connect_upbit(trader, setup)
    if trader.settings.venue == "alpaca":
        return await connect_alpaca(trader, setup)
    return await connect_binance(
        trader, setup, report=report, reference_price=reference_price, on_account=on_account
    )


async def connect_upbit(trader: "TraderPort", setup: "ExchangeSetup") -> "UpbitParts":
    from tui_trader.upbit.venue_parts import UpbitTiming, build_upbit_parts

    return await build_upbit_parts(
        trader.settings,
        clock=trader.wall_clock,
        on_safety=trader.record_safety,
        timing=setup.upbit or UpbitTiming(),
        history=history_needed(trader.core),
    )


async def connect_alpaca(trader: "TraderPort", setup: "ExchangeSetup") -> "AlpacaParts":
    """Alpaca's parts, with its keys (the environment, then the keyring's `alpaca`):
    its market data needs them even for paper. Raises AlpacaUnavailable saying why."""
    import os

    from tui_trader.alpaca.keys import alpaca_keys
    from tui_trader.alpaca.venue_parts import AlpacaTiming, AlpacaUnavailable, build_alpaca_parts
    from tui_trader.secrets import SecretsError
    from tui_trader.secrets.process_store import open_secret_store

    try:
        store = await open_secret_store(trader.settings)
    except SecretsError:  # no usable keyring: the environment may still hold the keys
        store = None
    try:
        keys = await alpaca_keys(os.environ, store)
    except ValueError as exc:
        raise AlpacaUnavailable(str(exc)) from None
    return await build_alpaca_parts(
        trader.settings,
        keys,
        clock=trader.wall_clock,
        on_safety=trader.record_safety,
        timing=setup.alpaca or AlpacaTiming(),
        history=history_needed(trader.core),
    )


async def connect_binance(
    trader: "TraderPort",
    setup: "ExchangeSetup",
    *,
    report: Report,
    reference_price: "PriceSource",
    on_account: "AccountListener",
) -> "ExchangeParts":
    from tui_trader.binance.venue_parts import Timing, build_exchange_parts, exchange_keys
    from tui_trader.secrets import SecretsError

    settings = trader.settings
    try:
        keys = await exchange_keys(settings, live=False)
    except SecretsError as exc:  # testnet/demo without keys: paper on its data
        message = f"{exc}; paper trading on Binance {settings.binance_env} data"
        report(Severity.WARNING, SafetyKind.EXCHANGE_KEYS, message)
        keys = None
    return await build_exchange_parts(
        settings,
        clock=trader.wall_clock,
        on_safety=trader.record_safety,
        keys=keys,
        endpoints=setup.endpoints,
        reference_price=reference_price,
        on_account=on_account,
        timing=setup.timing or Timing(),
        history=(history_needed(trader.core), INTERVAL_SECONDS[settings.candle_interval]),
    )


async def start_live_venue(
    trader: "TraderPort",
    setup: "ExchangeSetup",
    rules: "Mapping[str, SymbolRules]",
    *,
    reference_price: "PriceSource",
    on_account: "AccountListener",
    market_open: "MarketHours | None" = None,
) -> "LiveBroker":
    """The chosen venue's live broker after its key check; raises ValueError saying why
    live mode is refused. `market_open`: Alpaca's market hours (its orders keep to them,
    its exits asked for while closed wait for the next open)."""
    from tui_trader.execution.broker import BrokerError
    from tui_trader.secrets import SecretsError

    if trader.settings.venue == "alpaca":
        from tui_trader.runtime.alpaca_live import start_alpaca_live

        if market_open is None:  # no calendar, no way to keep orders to market hours
            raise ValueError("live mode refused: Alpaca's market hours are not known")
        return await start_alpaca_live(
            trader,
            trading_url=trader.settings.alpaca_trading_url,
            hours=market_open,
            reference_price=reference_price,
        )
    if trader.settings.venue == "upbit":
        from tui_trader.upbit.key_check import KeyPermissionError as UpbitKeyError
        from tui_trader.upbit.live_parts import live_keys, start_live_broker
        from tui_trader.upbit.venue_parts import UpbitTiming

        try:
            keys = await live_keys(trader.settings)
            return await start_live_broker(
                trader.settings, keys, rules, clock=trader.wall_clock,
                on_safety=trader.record_safety, last_price=reference_price,
                timing=setup.upbit or UpbitTiming(),
            )  # fmt: skip
        except (UpbitKeyError, BrokerError, SecretsError) as exc:
            raise ValueError(f"live mode refused: {exc}") from None
    return await _start_live_binance(
        trader, setup, reference_price=reference_price, on_account=on_account
    )


async def _start_live_binance(
    trader: "TraderPort",
    setup: "ExchangeSetup",
    *,
    reference_price: "PriceSource",
    on_account: "AccountListener",
) -> "BinanceBroker":
    from tui_trader.binance.key_check import KeyPermissionError
    from tui_trader.binance.venue_parts import Timing, exchange_keys, start_live_broker
    from tui_trader.execution.broker import BrokerError
    from tui_trader.secrets import SecretsError

    settings = trader.settings
    try:
        keys = await exchange_keys(settings, live=True)
        if keys is None:
            raise KeyPermissionError("no live keys")
        return await start_live_broker(
            settings,
            keys,
            clock=trader.wall_clock,
            on_safety=trader.record_safety,
            allow_withdraw_keys=settings.allow_withdraw_keys,
            endpoints=setup.endpoints,
            reference_price=reference_price,
            on_account=on_account,
            timing=setup.timing or Timing(),
        )
    except (KeyPermissionError, BrokerError, SecretsError) as exc:
        raise ValueError(f"live mode refused: {exc}") from None


async def charges_since(
    settings: "Settings", broker: "LiveBroker", start: datetime
) -> "list[FundingFee | VenueFee]":
    """The venue's charges outside fills since the account's start, as it records them:
    USD-M funding settlements (Binance futures), regulatory fees (Alpaca)."""
    if settings.venue == "alpaca":
        from tui_trader.alpaca.broker import AlpacaBroker

        return list(await broker.fees.since(start)) if isinstance(broker, AlpacaBroker) else []
    if settings.venue == "binance":  # funding: USD-M futures only (python-binance)
        from tui_trader.binance.futures_broker import BinanceFuturesBroker

        if isinstance(broker, BinanceFuturesBroker):
            return list(await broker.funding_since(start))
    return []


def venue_reconciler(
    trader: "TraderPort", broker: "LiveBroker", book: "TraderBook"
) -> "Reconciler":
    """The reconciler of `broker` against the trader's `book`. Binance's also runs after
    every user-data re-subscription, Alpaca's after every trade_updates reconnection,
    Upbit's after every private-stream reconnection and when myAsset disagrees."""
    if trader.settings.venue == "alpaca":  # only then: an import of Alpaca's package
        from tui_trader.alpaca.broker import AlpacaBroker
        from tui_trader.runtime.alpaca_live import alpaca_reconciler

        if isinstance(broker, AlpacaBroker):
            return alpaca_reconciler(trader, broker, book)
    from tui_trader.upbit.broker import UpbitBroker

    clock, on_safety, trading = trader.wall_clock, trader.record_safety, trader.core.state
    tolerance = trader.settings.balance_mismatch_tolerance
    if isinstance(broker, UpbitBroker):
        from tui_trader.execution.reconcile import Reconciler

        reconciler = Reconciler(
            broker, book, clock=clock, on_safety=on_safety, trading=trading, tolerance=tolerance
        )
        broker.reconcile_on_reconnect(reconciler)
        broker.check_balances_with(lambda reported: reconciler.check_reported(reported, "myAsset"))
        return reconciler
    from tui_trader.binance.venue_parts import attach_reconciler

    binance = cast("BinanceBroker", broker)  # the other venues' brokers returned above
    return attach_reconciler(
        binance, book, clock=clock, on_safety=on_safety, trading=trading, tolerance=tolerance
    )
