"""A simulated market: reproducible ticks and candles from a seed, no network.

Each symbol follows a geometric random walk in log space with volatility regimes (calm,
normal, wild) switched by a Markov chain, trending stretches, rare jumps (some ≥ 10%,
enough to trip the anomaly monitor) and a slow pull back to the base price so long runs
stay in a sensible range. Model constants are per simulated second, so the path's
statistics do not depend on how many ticks a candle is cut into.

Floats drive the model; each emitted value becomes a Decimal once, from integer cents
(tick size 0.01) or integer volume units (step 0.00001). Spreads and volume lots recur,
so their Decimals come from a small cache; that keeps `generate()` fast enough for the
engine benchmark (≥ 300k events/s).
"""

import math
import random
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from tui_trader.domain.market import Candle, Tick
from tui_trader.market.feed import MarketEvent
from tui_trader.market.pacing import Pacer, interval_label
from tui_trader.market.validation import BadDataCallback, screen_tick

DEFAULT_BASE_PRICES: Mapping[str, Decimal] = {
    "BTCUSDT": Decimal("60000"),
    "ETHUSDT": Decimal("3000"),
    "BNBUSDT": Decimal("600"),
    "SOLUSDT": Decimal("150"),
}
FALLBACK_BASE_PRICE = Decimal("100")

CALM, NORMAL, WILD = 0, 1, 2
_SIGMA = (0.0005 / 60**0.5, 0.001 / 60**0.5, 0.0035 / 60**0.5)  # log sd per sqrt(second)
_MEAN_STAY_SEC = (40 * 60.0, 60 * 60.0, 12 * 60.0)
# Where a switch leads, as equally likely picks: calm mostly wakes to normal, normal
# calms or heats up, wild mostly settles back to normal.
_NEXT_REGIME = ((NORMAL, NORMAL, NORMAL, WILD), (CALM, CALM, WILD, WILD), (NORMAL,) * 5 + (CALM,))
_HALF_SPREAD = (0.00005, 0.0001, 0.0004)  # fraction of price, before a random 1-2x factor
_VOLUME_MULT = (0.6, 1.0, 3.0)
_QUOTE_VOLUME_PER_SEC = 2000.0  # mean traded notional, in quote currency
_JUMPS_PER_DAY = 3.0
_BIG_JUMP_SHARE = 0.25  # of jumps, those of 10.5-14% (the rest are 1.5-5%)
_TRENDS_PER_DAY = 10.0
_REVERSION_PER_SEC = math.log(2) / (2 * 86400)  # half-life of a deviation: two days
_CACHE_LIMIT = 200_000
_YIELD_EVERY = 512
_HISTORY_TICKS_PER_CANDLE = 4


@dataclass(slots=True)
class SimStats:
    """What the model did so far; tests and the status line read it."""

    regime_switches: int = 0
    jumps: int = 0
    big_jumps: int = 0
    trends: int = 0


@dataclass(slots=True)
class _Walk:
    """One symbol's model state; prices in integer cents, volume in 0.00001 units.
    `open` is 0 until the period's first valid tick (a valid price is at least 1 cent)."""

    symbol: str
    base: float
    lot: int  # volume granularity, in 0.00001 units
    mean_lots: float  # mean volume per tick at the base price, in lots
    x: float = 0.0  # log(price / base)
    regime: int = NORMAL
    drift: float = 0.0  # log drift per tick while trending
    trend_left: int = 0
    open: int = 0
    high: int = 0
    low: int = 0
    close: int = 0
    units: int = 0


class _DecimalCache:
    """Integer → Decimal with a fixed exponent; prices repeat a lot, so a dict pays off.
    Callers use `get(n) or make(n)`: a miss (or a cached zero) costs one `make`."""

    def __init__(self, exponent: int) -> None:
        self._exponent = exponent
        self._values: dict[int, Decimal] = {}
        self.get = self._values.get

    def make(self, scaled: int) -> Decimal:
        if len(self._values) >= _CACHE_LIMIT:
            self._values.clear()
        value = self._values[scaled] = Decimal(scaled).scaleb(self._exponent)
        return value


class SimulatedMarket:
    """A `MarketFeed` with no network. `generate()` is the pure, unpaced stream;
    `events()` plays it at `speed` times real time (0 = as fast as possible)."""

    name = "sim"

    def __init__(
        self,
        symbols: tuple[str, ...] | list[str],
        seed: int,
        start: datetime,
        interval_sec: float = 60,
        ticks_per_candle: int = 20,
        speed: float = 1.0,
        base_prices: Mapping[str, Decimal] | None = None,
        on_bad_data: BadDataCallback | None = None,
        max_candles: int | None = None,
    ) -> None:
        _check_args(symbols, start, interval_sec, ticks_per_candle, max_candles)
        self._bases = {**DEFAULT_BASE_PRICES, **(base_prices or {})}
        _check_bases(self._bases)
        self.symbols = tuple(symbols)
        self.seed = seed
        self.start = start
        self.interval_sec = float(interval_sec)
        self.ticks_per_candle = ticks_per_candle
        self.interval = interval_label(interval_sec)
        self.max_candles = max_candles
        self.stats = SimStats()
        self.on_bad_data = on_bad_data
        self._pacer = Pacer(speed, _YIELD_EVERY)

    def generate(self) -> Iterator[MarketEvent]:
        """Every event in time order, from the seed; infinite unless `max_candles` is set."""
        for _, batch in self._batches():
            yield from batch

    async def events(self) -> AsyncIterator[MarketEvent]:
        for stream_sec, batch in self._batches():
            if not await self._pacer.wait(stream_sec):
                return
            for event in batch:
                yield event

    async def close(self) -> None:
        self._pacer.stop()

    def history(self, count: int) -> list[Candle]:
        """The `count` closed candles per symbol before `start`, in time order (the last
        one closes 1 ms before `start`): a past drawn from its own seed and scaled so each
        symbol's last close is its base price, where the live stream begins. The live
        stream is unchanged by it."""
        if count <= 0:
            return []
        past = SimulatedMarket(
            self.symbols,
            _past_seed(self.seed),
            self.start - timedelta(seconds=count * self.interval_sec),
            interval_sec=self.interval_sec,
            # The model's constants are per simulated second, so a coarser path has the
            # same statistics; only candles are kept, and start-up stays fast.
            ticks_per_candle=min(self.ticks_per_candle, _HISTORY_TICKS_PER_CANDLE),
            speed=0,
            base_prices=self._bases,
            max_candles=count,
        )
        candles = [event for event in past.generate() if isinstance(event, Candle)]
        last = {candle.symbol: candle.close for candle in candles}
        scale = {
            symbol: Decimal(self._bases.get(symbol, FALLBACK_BASE_PRICE)) / close
            for symbol, close in last.items()
        }
        return [_scaled(candle, scale[candle.symbol]) for candle in candles]

    def _batches(self) -> Iterator[tuple[float, list[MarketEvent]]]:
        """One batch per tick step, with its time in seconds since `start`."""
        self.stats = SimStats()
        stepper = _Stepper(random.Random(self.seed), self.stats, self)
        walks = [self._new_walk(symbol) for symbol in self.symbols]
        dt = self.interval_sec / self.ticks_per_candle
        period = 0
        while self.max_candles is None or period < self.max_candles:
            period_sec = period * self.interval_sec
            open_time = self.start + timedelta(seconds=period_sec)
            batches = stepper.period(walks, open_time)
            batches[-1].extend(stepper.candles(walks, open_time, self._close_time(open_time)))
            for k, batch in enumerate(batches):
                yield period_sec + k * dt, batch
            period += 1

    def _new_walk(self, symbol: str) -> _Walk:
        base = float(self._bases.get(symbol, FALLBACK_BASE_PRICE))
        dt = self.interval_sec / self.ticks_per_candle
        mean_units = _QUOTE_VOLUME_PER_SEC * dt / base * 100_000
        # Volumes come in whole lots (~1/40 of the mean), so few distinct values recur
        # and their Decimals can be cached.
        lot = max(1, round(mean_units / 40))
        return _Walk(symbol=symbol, base=base, lot=lot, mean_lots=mean_units / lot)

    def _close_time(self, open_time: datetime) -> datetime:
        # Binance's convention: the last millisecond inside the period.
        return open_time + timedelta(seconds=self.interval_sec, milliseconds=-1)


class _Stepper:
    """Moves the walks through one candle period at a time. Constants are precomputed and
    the tick loop is written flat with locals because it runs ~10⁶ times a second; only
    the rare branches (regime switch, trend, jump, bad value) are calls."""

    def __init__(self, rng: random.Random, stats: SimStats, market: "SimulatedMarket") -> None:
        dt = market.interval_sec / market.ticks_per_candle
        self._rng = rng
        self._stats = stats
        self._interval = market.interval
        self._on_bad = market.on_bad_data
        self._offsets = [timedelta(seconds=k * dt) for k in range(market.ticks_per_candle)]
        self._sigma = tuple(s * math.sqrt(dt / 2) for s in _SIGMA)  # Laplace(1) has variance 2
        self._switch_p = tuple(dt / stay for stay in _MEAN_STAY_SEC)
        self._trend_p = _TRENDS_PER_DAY * dt / 86400
        self._jump_p = _JUMPS_PER_DAY * dt / 86400
        self._rare_p = tuple(p + self._trend_p + self._jump_p for p in self._switch_p)
        self._keep = 1.0 - _REVERSION_PER_SEC * dt  # share of the deviation kept per tick
        self._dt = dt
        self._spreads = _DecimalCache(-2)
        self._lots = _DecimalCache(-5)

    def period(self, walks: list[_Walk], open_time: datetime) -> list[list[MarketEvent]]:
        """One batch per tick step, a Tick per walk, folding each into its forming candle."""
        rand, log, exp, ceil = self._rng.random, math.log, math.exp, math.ceil
        spread_get, spread_make = self._spreads.get, self._spreads.make
        lots_get, lots_make = self._lots.get, self._lots.make
        rare_p, sigma, keep = self._rare_p, self._sigma, self._keep
        for walk in walks:
            walk.open = walk.units = 0  # no valid tick yet this period
        batches: list[list[MarketEvent]] = []
        for offset in self._offsets:
            ts = open_time + offset
            batch: list[MarketEvent] = []
            for walk in walks:
                regime = walk.regime
                # One uniform draw decides the rare events and, when none fires, the
                # spread width (it is then uniform on [rare_p, 1), which is fine for that).
                u = rand()
                if u < rare_p[regime]:
                    regime = self._rare(walk, u)
                if walk.trend_left:
                    walk.trend_left -= 1
                    walk.x += walk.drift
                # Laplace innovation (difference of two unit exponentials): fat-tailed
                # like real returns, and cheaper to draw than a Gaussian.
                x = walk.x = walk.x * keep + sigma[regime] * log((1.0 - rand()) / (1.0 - rand()))
                price = walk.base * exp(x)
                half = price * _HALF_SPREAD[regime] * (1.0 + u)
                units = int(-log(1.0 - rand()) * walk.mean_lots * _VOLUME_MULT[regime])
                units *= walk.lot
                cents = int(price * 100 + 0.5)
                below = cents - min(int((price - half) * 100), cents)
                above = max(ceil((price + half) * 100), cents) - cents
                last = Decimal(cents).scaleb(-2)
                tick = Tick(walk.symbol, ts, last,
                            last - (spread_get(below) or spread_make(below)),
                            last + (spread_get(above) or spread_make(above)),
                            lots_get(units) or lots_make(units))  # fmt: skip
                if cents - below < 1:  # bid under one tick: only sub-cent base prices get here
                    screen_tick(tick, self._on_bad)
                    continue
                if not walk.open:
                    walk.open = walk.high = walk.low = cents
                elif cents > walk.high:
                    walk.high = cents
                elif cents < walk.low:
                    walk.low = cents
                walk.close = cents
                walk.units += units
                batch.append(tick)
            batches.append(batch)
        return batches

    def candles(
        self, walks: list[_Walk], open_time: datetime, close_time: datetime
    ) -> list[MarketEvent]:
        def dec(cents: int) -> Decimal:
            return Decimal(cents).scaleb(-2)

        return [
            Candle(w.symbol, open_time, close_time, dec(w.open), dec(w.high), dec(w.low),
                   dec(w.close), Decimal(w.units).scaleb(-5), interval=self._interval)
            for w in walks
            if w.open  # a period whose every tick was dropped has no candle
        ]  # fmt: skip

    def _rare(self, walk: _Walk, u: float) -> int:
        """Apply the rare event `u` fell on; returns the (possibly new) regime."""
        switch_p = self._switch_p[walk.regime]
        if u < switch_p:
            walk.regime = self._rng.choice(_NEXT_REGIME[walk.regime])
            self._stats.regime_switches += 1
        elif u < switch_p + self._trend_p:
            self._start_trend(walk)
        else:
            walk.x += self._jump(walk)
        return walk.regime

    def _start_trend(self, walk: _Walk) -> None:
        rng = self._rng
        duration_sec = rng.uniform(15 * 60, 90 * 60)
        move = rng.uniform(0.01, 0.04) * rng.choice((-1, 1))
        walk.trend_left = max(1, int(duration_sec / self._dt))
        walk.drift = move / walk.trend_left
        self._stats.trends += 1

    def _jump(self, walk: _Walk) -> float:
        """A sudden move in log space; it leaves the market wild, as real shocks do, and
        a big one (a flash crash or squeeze) is mostly retraced within the next half hour."""
        rng = self._rng
        big = rng.random() < _BIG_JUMP_SHARE
        size = rng.uniform(0.105, 0.14) if big else rng.uniform(0.015, 0.05)
        move = math.log(1 - size) if rng.random() < 0.5 else math.log(1 + size)
        self._stats.jumps += 1
        self._stats.big_jumps += big
        if walk.regime != WILD:
            walk.regime = WILD
            self._stats.regime_switches += 1
        if big:
            walk.trend_left = max(1, int(rng.uniform(10 * 60, 40 * 60) / self._dt))
            walk.drift = -move * rng.uniform(0.5, 0.9) / walk.trend_left
        return move


def _past_seed(seed: int) -> int:
    """A seed for the past that differs from the live stream's (same model, other path)."""
    return (seed * 1_000_003 + 1) % 2**63


_CENT = Decimal("0.01")


def _scaled(candle: Candle, factor: Decimal) -> Candle:
    def scale(price: Decimal) -> Decimal:
        return max((price * factor).quantize(_CENT), _CENT)

    return replace(
        candle,
        open=scale(candle.open),
        high=scale(candle.high),
        low=scale(candle.low),
        close=scale(candle.close),
    )


def _check_args(
    symbols: tuple[str, ...] | list[str],
    start: datetime,
    interval_sec: float,
    ticks_per_candle: int,
    max_candles: int | None,
) -> None:
    if not symbols:
        raise ValueError("SimulatedMarket needs at least one symbol")
    if start.tzinfo is None:
        raise ValueError("SimulatedMarket needs a timezone-aware start time")
    if not interval_sec >= 1:
        raise ValueError(f"interval_sec must be >= 1, got {interval_sec}")
    if ticks_per_candle < 1 or interval_sec * 1000 / ticks_per_candle < 1:
        raise ValueError(
            f"ticks_per_candle must be >= 1 and leave >= 1 ms per tick, got {ticks_per_candle}"
        )
    if max_candles is not None and max_candles < 0:
        raise ValueError(f"max_candles must be >= 0, got {max_candles}")


def _check_bases(bases: Mapping[str, Decimal]) -> None:
    for symbol, price in bases.items():
        if not (price.is_finite() and price > 0):
            raise ValueError(f"base price for {symbol} must be a positive number, got {price}")
