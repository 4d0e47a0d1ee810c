"""Settings from the environment and `.env`, validated and frozen.

Variable names are the field names in upper case (no prefix) so they read the same in
`.env`, the environment and `.env.example`. An invalid value raises `ConfigError` with one
line naming the variable, the value and what is accepted; the CLI turns it into exit 2.

Every number has a lower and an upper bound, and floats must be finite: an absurd value
(MAX_HOLDING_MINUTES=99999999999999, SIM_SPEED=nan) would otherwise pass here and crash
the trader later, mid-run. The LLM and ops settings groups share the same loader.
"""

import json
import os
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from tui_trader.domain.enums import MarketKind
from tui_trader.resilience.breaker import BreakerLimits

Pct = Annotated[Decimal, Field(ge=0, le=100)]
PositivePct = Annotated[Decimal, Field(gt=0, le=100)]
ENV_FILE = ".env"  # in the working directory; every settings group reads it
MINUTES_PER_YEAR = 366 * 24 * 60
# One model config for every settings group. allow_inf_nan=False: a float setting of
# nan or inf is refused instead of slipping past comparisons (nan > 0 is False).
SETTINGS_CONFIG = SettingsConfigDict(
    env_file=ENV_FILE,
    env_file_encoding="utf-8",
    extra="ignore",  # each group sees the others' names; unknown names: known_settings
    frozen=True,
    case_sensitive=False,
    allow_inf_nan=False,
)
Group = TypeVar("Group", bound=BaseSettings)


class ConfigError(Exception):
    """A setting is invalid; the message is one line meant for the operator."""


def default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "tui-trader"


def check_symbol(value: str) -> str:
    """A symbol in upper case, or ValueError: letters and digits only, so it is safe in a
    file name, a URL and a log line."""
    symbol = value.strip().upper()
    if not symbol.isalnum():
        raise ValueError(f"symbol {value!r} must be letters and digits only, e.g. BTCUSDT")
    return symbol


class Settings(BaseSettings):
    model_config = SETTINGS_CONFIG

    # --- mode and market -------------------------------------------------------------
    trading_mode: Literal["paper", "live"] = "paper"
    # Where market data and orders come from (Upbit: spot, no test environment; Alpaca:
    # US stocks, paper on its market data).
    venue: Literal["binance", "upbit", "alpaca"] = "binance"
    market_type: MarketKind = MarketKind.SPOT
    binance_env: Literal["mainnet", "testnet", "demo"] = "mainnet"
    # Live start refuses an API key that can withdraw funds unless this is set.
    allow_withdraw_keys: bool = False
    symbols: Annotated[tuple[str, ...], NoDecode] = ("BTCUSDT", "ETHUSDT")
    quote_asset: str = "USDT"
    upbit_api_url: str = "https://api.upbit.com"
    upbit_ws_url: str = "wss://api.upbit.com/websocket/v1"
    # Alpaca (VENUE=alpaca): market data REST, its stream (the feed's path is appended:
    # .../v2/iex), and the trading API, whose clock and calendar say when the market is
    # open (the paper endpoint by default).
    alpaca_data_url: str = "https://data.alpaca.markets"
    alpaca_stream_url: str = "wss://stream.data.alpaca.markets/v2"
    alpaca_feed: Literal["iex", "sip"] = "iex"
    alpaca_trading_url: str = "https://paper-api.alpaca.markets"
    candle_interval: Literal["1m", "3m", "5m", "15m", "30m", "1h", "4h", "1d"] = "1m"

    # --- paper broker ----------------------------------------------------------------
    paper_quote_balance: Annotated[Decimal, Field(ge=0, le=Decimal("1e12"))] = Decimal("10000")
    fee_rate: Annotated[Decimal, Field(ge=0, lt=Decimal("0.1"))] = Decimal("0.001")
    slippage_bps: Annotated[Decimal, Field(ge=0, le=1000)] = Decimal("5")
    partial_fill_share: Annotated[Decimal, Field(gt=0, le=1)] = Decimal("0.25")

    # --- sizing and risk -------------------------------------------------------------
    position_size_pct: PositivePct = Decimal("5")
    # How an entry is sized (risk/sizing.py): POSITION_SIZE_PCT, the capped Kelly
    # fraction of recent trades, or the equity a stop ATR_STOP_MULT × ATR away risks.
    sizing: Literal["fixed", "kelly", "atr"] = "fixed"
    sizing_max_pct: PositivePct = Decimal("10")
    kelly_trades: Annotated[int, Field(ge=2, le=10000)] = 50
    kelly_min_trades: Annotated[int, Field(ge=2, le=10000)] = 20
    kelly_floor_pct: Pct = Decimal("0.5")
    atr_period: Annotated[int, Field(ge=2, le=1000)] = 14
    atr_risk_pct: PositivePct = Decimal("1")
    atr_stop_mult: Annotated[Decimal, Field(gt=0, le=100)] = Decimal("2")
    atr_take_mult: Annotated[Decimal, Field(ge=0, le=100)] = Decimal("0")  # 0: TAKE_PROFIT_PCT
    allow_market_orders: bool = False
    max_position_pct: PositivePct = Decimal("10")
    max_open_positions: Annotated[int, Field(ge=1, le=1000)] = 5
    max_daily_loss_pct: PositivePct = Decimal("5")
    max_orders_per_sec: Annotated[int, Field(ge=1, le=1000)] = 1
    max_orders_per_day: Annotated[int, Field(ge=1, le=1_000_000)] = 100
    futures_enabled: bool = False
    max_leverage: Annotated[int, Field(ge=1, le=125)] = 1
    max_slippage_bps: Annotated[Decimal, Field(ge=0, le=10000)] = Decimal("50")
    circuit_breaker_pct: PositivePct = Decimal("15")
    anomaly_jump_pct: PositivePct = Decimal("10")
    anomaly_spread_pct: PositivePct = Decimal("5")
    balance_mismatch_tolerance: Annotated[Decimal, Field(ge=0, le=1_000_000)] = Decimal("0.01")
    max_consecutive_failures: Annotated[int, Field(ge=1, le=100)] = 3
    stop_loss_pct: Pct = Decimal("2")
    take_profit_pct: Pct = Decimal("4")
    trailing_stop_pct: Pct = Decimal("1.5")
    # At most a year: timedelta(minutes=...) overflows on absurd values mid-tick.
    max_holding_minutes: Annotated[int, Field(ge=0, le=MINUTES_PER_YEAR)] = 240
    entry_order_ttl_sec: Annotated[int, Field(ge=1, le=86400)] = 180
    # After a kill that closes positions: read the venue back until it is flat.
    kill_verify_deadline_s: Annotated[float, Field(ge=1, le=3600)] = 60.0
    kill_verify_every_s: Annotated[float, Field(ge=0.05, le=60)] = 2.0
    # While linked to an exchange account: compare the books this often (0 = never).
    audit_every_min: Annotated[float, Field(ge=0, le=1440)] = 5.0
    # On USD-M: a reduce-only stop (and take-profit) held by the exchange for every open
    # position, so it stays protected while the trader is down; moved when the trailing
    # stop has moved by at least EXCHANGE_STOP_MOVE_BPS.
    # Every service breaker (Binance REST, the LLM, notification channels): open after
    # this many consecutive failures, probe again after this many seconds.
    breaker_failures: Annotated[int, Field(ge=1, le=1000)] = 5
    breaker_reset_s: Annotated[float, Field(ge=0.1, le=3600)] = 30.0
    exchange_stops: bool = True
    # On a venue account (testnet or live): a shadow paper broker gets the same orders, so
    # `tui-trader report divergence` can say whether the paper results hold.
    shadow_paper: bool = True
    exchange_stop_move_bps: Annotated[Decimal, Field(ge=0, le=1000)] = Decimal(10)

    # --- protections: pauses of new entries after bad outcomes (0 = off) --------------
    protect_cooldown_min: Annotated[float, Field(ge=0, le=10080)] = 0
    protect_stoploss_count: Annotated[int, Field(ge=0, le=100)] = 0
    protect_stoploss_window_min: Annotated[float, Field(ge=1, le=10080)] = 60
    protect_stoploss_pause_min: Annotated[float, Field(ge=1, le=10080)] = 60
    protect_max_drawdown_pct: Pct = Decimal(0)
    protect_drawdown_window_min: Annotated[float, Field(ge=1, le=43200)] = 1440
    protect_drawdown_pause_min: Annotated[float, Field(ge=1, le=10080)] = 60
    protect_low_profit_trades: Annotated[int, Field(ge=0, le=1000)] = 0
    protect_low_profit_pct: Annotated[Decimal, Field(ge=-100, le=100)] = Decimal(0)
    protect_low_profit_window_min: Annotated[float, Field(ge=1, le=43200)] = 1440
    protect_low_profit_pause_min: Annotated[float, Field(ge=1, le=10080)] = 60

    # --- strategy and volatility trigger ---------------------------------------------
    strategy: str = "conservative"
    strategy_params: Annotated[dict[str, Any], NoDecode] = Field(default_factory=dict)
    mp_delta_pct: PositivePct = Decimal("1.0")
    mp_window_sec: Annotated[int, Field(ge=1, le=86400)] = 60
    kline_range_pct: PositivePct = Decimal("1.5")
    vol_mult: Annotated[Decimal, Field(gt=0, le=1000)] = Decimal("3")
    vol_lookback: Annotated[int, Field(ge=1, le=10000)] = 20

    # --- simulated market ------------------------------------------------------------
    sim_seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 7
    sim_speed: Annotated[float, Field(gt=0, le=100000)] = 1.0
    sim_ticks_per_candle: Annotated[int, Field(ge=1, le=600)] = 20

    # --- process ---------------------------------------------------------------------
    data_dir: Path = Field(default_factory=default_data_dir, alias="TUI_TRADER_DATA_DIR")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    jsonl_max_bytes: Annotated[int, Field(ge=1024, le=2**40)] = 10 * 1024 * 1024
    jsonl_backups: Annotated[int, Field(ge=1, le=100)] = 5
    theme: str = "trader-dark"
    secrets_backend: Literal["auto", "cryptfile"] = "auto"

    @field_validator("symbols", mode="before")
    @classmethod
    def _split_symbols(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip().upper() for part in value.split(",") if part.strip()]
        if not value:
            raise ValueError("give at least one symbol, e.g. BTCUSDT,ETHUSDT")
        return tuple(check_symbol(str(symbol)) for symbol in value)

    @field_validator(
        "upbit_api_url", "upbit_ws_url", "alpaca_data_url", "alpaca_stream_url",
        "alpaca_trading_url",
    )  # fmt: skip
    @classmethod
    def _check_url(cls, value: str, info: ValidationInfo) -> str:
        socket = (info.field_name or "").endswith(("ws_url", "stream_url"))
        schemes = ("wss://", "ws://") if socket else ("https://", "http://")
        if not value.startswith(schemes) or any(c.isspace() for c in value):
            raise ValueError(f"must be a URL starting with {' or '.join(schemes)}")
        return value.rstrip("/")

    @field_validator("strategy_params", mode="before")
    @classmethod
    def _parse_params(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except json.JSONDecodeError as exc:
                raise ValueError(f"must be a JSON object ({exc.msg})") from exc
        if not isinstance(value, dict):
            raise ValueError('must be a JSON object such as {"fast": 9}')
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_combinations(self) -> "Settings":
        for symbol in self.symbols:
            if not symbol.endswith(self.quote_asset):
                raise ValueError(
                    f"SYMBOLS: {symbol} is not quoted in QUOTE_ASSET={self.quote_asset}"
                )
        if self.max_leverage > 1 and not self.futures_enabled:
            raise ValueError("MAX_LEVERAGE: leverage above 1 needs FUTURES_ENABLED=true")
        if self.venue == "upbit" and (problem := upbit_problem(self)):
            raise ValueError(f"VENUE=upbit: {problem}")
        if self.venue == "alpaca" and (problem := alpaca_problem(self)):
            raise ValueError(f"VENUE=alpaca: {problem}")
        return self

    @property
    def breaker_limits(self) -> BreakerLimits:
        return BreakerLimits(self.breaker_failures, self.breaker_reset_s)

    @property
    def data_path(self) -> Path:
        return self.data_dir.expanduser()

    def base_asset(self, symbol: str) -> str:
        return symbol.removesuffix(self.quote_asset)


UPBIT_QUOTES = ("KRW", "BTC", "USDT")


def upbit_problem(settings: Settings) -> str | None:
    """Why these settings cannot run on Upbit: its spot markets, no test environment
    (paper on its public data, or live), and its candle streams."""
    if settings.quote_asset not in UPBIT_QUOTES:
        return f"QUOTE_ASSET={settings.quote_asset} is not an Upbit market (KRW, BTC or USDT)"
    if settings.market_type is not MarketKind.SPOT:
        return "Upbit is spot only (MARKET_TYPE=spot)"
    if settings.binance_env != "mainnet":
        return (
            "Upbit has no test environment: paper trading on its public data, or live "
            "(BINANCE_ENV=mainnet)"
        )
    if settings.candle_interval == "1d":
        return "Upbit streams candles of 1m to 4h, not 1d (CANDLE_INTERVAL)"
    return None


# Intervals an Alpaca run can trade on: minute bars from the stream, gathered into these
# (aligned in UTC, which for whole hours is aligned in New York too).
ALPACA_INTERVALS = ("1m", "5m", "15m", "30m", "1h")


def alpaca_problem(settings: Settings) -> str | None:
    """Why these settings cannot run on Alpaca: US stocks in USD (SYMBOLS as AAPLUSD),
    spot, paper on its market data, and the intervals its minute bars make."""
    if settings.quote_asset != "USD":
        return f"QUOTE_ASSET={settings.quote_asset}: Alpaca trades US stocks in USD"
    for symbol in settings.symbols:
        ticker = symbol.removesuffix("USD")
        if not ticker.isalpha() or len(ticker) > 5:
            return f"SYMBOLS: {symbol} is not a stock ticker + USD, e.g. AAPLUSD"
    if settings.market_type is not MarketKind.SPOT:
        return "Alpaca trades stocks, not futures (MARKET_TYPE=spot)"
    if settings.binance_env != "mainnet":
        return "BINANCE_ENV is Binance's; leave it at mainnet for Alpaca"
    if settings.candle_interval not in ALPACA_INTERVALS:
        return (
            f"CANDLE_INTERVAL={settings.candle_interval}: Alpaca runs on "
            f"{', '.join(ALPACA_INTERVALS)}"
        )
    return None


def _describe(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ()) if part != "__root__"]
    name = loc[0].upper() if loc else ""
    if name == "DATA_DIR":
        name = "TUI_TRADER_DATA_DIR"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if not name:
        return f"invalid configuration: {message}"
    value = error.get("input")
    shown = value if isinstance(value, str | int | float | Decimal) else ""
    return f"invalid setting {name}={shown!r}: {message}"


def load_group(group: type[Group], **overrides: Any) -> Group:
    """One settings group from env/.env plus explicit overrides, or ConfigError with one
    line: every group (core, LLM, ops) fails the same way, exit 2, never a traceback."""
    try:
        return group(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(dict(exc.errors()[0]))) from None
    except (SettingsError, UnicodeDecodeError) as exc:  # e.g. a .env that is not UTF-8
        raise ConfigError(f"cannot read the settings: {str(exc).splitlines()[0]}") from None


def load_settings(**overrides: Any) -> Settings:
    """Build settings from env/.env plus explicit overrides, or raise ConfigError."""
    return load_group(Settings, **overrides)


def with_strategy_params(
    settings: Settings, overrides: Sequence[str] | Mapping[str, Any]
) -> Settings:
    """`settings` with the strategy's effective parameters: the one resolution used by
    `run` (overrides = STRATEGY_PARAMS) and `backtest` (overrides = --param KEY=VALUE)
    over `<data dir>/strategies/NAME.toml` (or `.yaml`) or `./strategies/NAME.toml`. A
    malformed file, an unknown strategy or parameter, or a bad value raises ConfigError.
    Plug-in strategies (plugins.py) are loaded first: the strategy may be one."""
    # Imported here: `status` and `kill` read settings and need no strategy code.
    from tui_trader.strategies.base import StrategyParamError
    from tui_trader.strategies.params import resolve_strategy_params, strategy_file_settings
    from tui_trader.strategies.plugins import load_plugins

    load_plugins(settings.data_path)
    try:
        params = resolve_strategy_params(settings.strategy, settings.data_path, overrides)
        table, source = strategy_file_settings(settings.strategy, settings.data_path)
    except StrategyParamError as exc:
        raise ConfigError(str(exc)) from None
    return with_strategy_settings(settings, table, source).model_copy(
        update={"strategy_params": params}
    )


def per_strategy(name: str) -> bool:
    """May a strategy's own file set this setting? Its sizing, exits and protections:
    yes. The account's limits (MAX_POSITION_PCT, MAX_DAILY_LOSS_PCT, ...) and anything
    about the venue: no, a strategy must not loosen what guards the whole account."""
    return name in _PER_STRATEGY or name.startswith(_PER_STRATEGY_PREFIXES)


_PER_STRATEGY = frozenset(
    {"position_size_pct", "sizing", "sizing_max_pct", "stop_loss_pct", "take_profit_pct",
     "trailing_stop_pct", "max_holding_minutes"}
)  # fmt: skip
_PER_STRATEGY_PREFIXES = ("kelly_", "atr_", "protect_")


def with_strategy_settings(settings: Settings, table: Mapping[str, Any], source: str) -> Settings:
    """`settings` with a strategy file's `[settings]` table over the global values (the
    strategy's own choice is the more specific one), validated as the .env values are."""
    if not table:
        return settings
    names = {key: key.lower() for key in table}
    for key, name in names.items():
        if name not in Settings.model_fields or not per_strategy(name):
            raise ConfigError(
                f"{source}: [settings] {key}: not a setting a strategy may choose "
                "(its sizing, exits and PROTECT_* only)"
            )
    values = settings.model_dump(by_alias=True)
    values.update({names[key]: value for key, value in table.items()})
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(f"{source}: [settings] {_describe(dict(exc.errors()[0]))}") from None
