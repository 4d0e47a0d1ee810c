import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice

import pytest

from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle, Tick
from tui_trader.market.feed import MarketEvent, MarketFeed
from tui_trader.market.simulated import SimulatedMarket
from tui_trader.market.validation import check_candle, check_tick

START = datetime(2024, 3, 1, tzinfo=UTC)
PAIR = ("BTCUSDT", "ETHUSDT")
DAY_CANDLES = 1440


def sim(**kwargs: object) -> SimulatedMarket:
    args: dict[str, object] = {"symbols": PAIR, "seed": 42, "start": START}
    args.update(kwargs)
    return SimulatedMarket(**args)  # type: ignore[arg-type]


def first(market: SimulatedMarket, count: int) -> list[MarketEvent]:
    return list(islice(market.generate(), count))


def test_is_a_market_feed_named_sim() -> None:
    feed: MarketFeed = sim()
    assert feed.name == "sim"


def test_same_seed_same_events_and_other_seed_differs() -> None:
    one = first(sim(), 5000)
    again = first(sim(), 5000)
    assert one == again
    assert [repr(e) for e in one] == [repr(e) for e in again]  # same Decimal exponents too
    market = sim()
    assert first(market, 5000) == first(market, 5000)  # generate() restarts from the seed
    assert first(sim(seed=43), 5000) != one


def test_step_layout_timestamps_and_candle_placement() -> None:
    events = list(sim(ticks_per_candle=4, max_candles=2).generate())
    kinds = ["T" if isinstance(e, Tick) else "C" for e in events]
    assert "".join(kinds) == ("TT" * 4 + "CC") * 2
    ticks = [e for e in events if isinstance(e, Tick)]
    assert [t.symbol for t in ticks[:2]] == list(PAIR)
    expected = [START + timedelta(seconds=15 * k) for k in range(8) for _ in PAIR]
    assert [t.ts for t in ticks] == expected
    candle = events[8]
    assert isinstance(candle, Candle)
    assert candle.symbol == "BTCUSDT" and candle.closed and candle.interval == "1m"
    assert candle.open_time == START
    assert candle.close_time == START + timedelta(seconds=59, milliseconds=999)


def test_time_order_holds_over_a_long_run() -> None:
    last_tick = START
    for event in islice(sim(symbols=("BTCUSDT", "ETHUSDT", "XRPUSDT")).generate(), 60_000):
        if isinstance(event, Tick):
            assert event.ts >= last_tick
            last_tick = event.ts
        else:  # right after the last tick of its own period
            assert event.open_time <= last_tick <= event.close_time
    assert last_tick > START + timedelta(hours=5)


def test_candle_ohlcv_equals_its_ticks() -> None:
    ticks: dict[tuple[str, datetime], list[Tick]] = defaultdict(list)
    candles: list[Candle] = []
    for event in sim(max_candles=300).generate():
        if isinstance(event, Tick):
            period = START + timedelta(minutes=(event.ts - START) // timedelta(minutes=1))
            ticks[(event.symbol, period)].append(event)
        else:
            candles.append(event)
    assert len(candles) == 600
    for candle in candles:
        prices = [t.price for t in ticks[(candle.symbol, candle.open_time)]]
        assert len(prices) == 20
        assert candle.open == prices[0] and candle.close == prices[-1]
        assert candle.high == max(prices) and candle.low == min(prices)
        volumes = [t.volume for t in ticks[(candle.symbol, candle.open_time)]]
        assert candle.volume == sum(volumes, Decimal(0))
    assert any(c.high > c.low for c in candles)


def test_never_yields_bad_data() -> None:
    reported: list[SafetyEvent] = []
    market = sim(symbols=("BTCUSDT", "ETHUSDT", "XRPUSDT"), on_bad_data=reported.append)
    for event in islice(market.generate(), 200_000):
        if isinstance(event, Tick):
            assert check_tick(event) is None, event
        else:
            assert check_candle(event) is None, event
    assert market.stats.jumps > 0  # the run went through shocks, not just calm water
    assert reported == []


def test_values_are_quantized_to_tick_and_step() -> None:
    for event in first(sim(), 10_000):
        values: tuple[Decimal, ...]
        if isinstance(event, Tick):
            values = (event.price, event.bid, event.ask, event.volume)
        else:
            values = (event.open, event.high, event.low, event.close, event.volume)
        assert [v.as_tuple().exponent for v in values] == [-2] * (len(values) - 1) + [-5]


def test_sub_cent_symbol_is_dropped_and_reported_while_others_flow() -> None:
    reported: list[SafetyEvent] = []
    market = sim(
        symbols=("BTCUSDT", "DUSTUSDT"),
        base_prices={"DUSTUSDT": Decimal("0.001")},
        on_bad_data=reported.append,
        max_candles=2,
    )
    events = list(market.generate())
    assert {e.symbol for e in events} == {"BTCUSDT"}
    assert len(reported) == 40  # every DUST tick of two 20-tick candles
    assert reported[0].kind == "bad_market_data"
    assert reported[0].message == "DUSTUSDT: dropped market data: non-positive price 0.00"
    assert reported[0].data["price"] == "0.00"


def test_base_prices_default_and_override() -> None:
    events = first(sim(symbols=("BTCUSDT", "ETHUSDT", "FOOUSDT")), 3)
    prices = {e.symbol: e.price for e in events if isinstance(e, Tick)}
    assert abs(prices["BTCUSDT"] / 60000 - 1) < Decimal("0.01")
    assert abs(prices["ETHUSDT"] / 3000 - 1) < Decimal("0.01")
    assert abs(prices["FOOUSDT"] / 100 - 1) < Decimal("0.01")
    (tick,) = first(sim(symbols=("BTCUSDT",), base_prices={"BTCUSDT": Decimal("20")}), 1)
    assert isinstance(tick, Tick) and abs(tick.price - 20) < 1


def test_regimes_jumps_and_trends_happen_within_a_day() -> None:
    symbols = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT")
    market = sim(symbols=symbols, seed=7, max_candles=DAY_CANDLES)
    last: dict[str, Decimal] = {}
    prev_close: dict[str, Decimal] = {}
    big_ticks = minute_moves = 0
    spreads: list[Decimal] = []
    for event in market.generate():
        if isinstance(event, Tick):
            before = last.get(event.symbol, event.price)
            big_ticks += abs(event.price / before - 1) >= Decimal("0.10")
            last[event.symbol] = event.price
            spreads.append(event.spread_pct)
        else:
            before = prev_close.get(event.symbol, event.close)
            minute_moves += abs(event.close / before - 1) >= Decimal("0.01")
            prev_close[event.symbol] = event.close
    stats = market.stats
    assert stats.regime_switches > 10
    assert stats.trends > 0
    assert stats.jumps > 0 and stats.big_jumps > 0
    assert big_ticks >= stats.big_jumps > 0  # a ≥10% tick-to-tick move the anomaly check sees
    assert minute_moves > stats.jumps  # 1%-a-minute moves: the volatility trigger fires
    assert max(spreads) > 4 * min(spreads)  # wild regimes quote wider


def test_invalid_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sim(start=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="base price for BTCUSDT"):
        sim(base_prices={"BTCUSDT": Decimal("-1")})
    with pytest.raises(ValueError, match="interval_sec"):
        sim(interval_sec=0)
    with pytest.raises(ValueError, match="at least one symbol"):
        sim(symbols=())
    with pytest.raises(ValueError, match="speed"):
        sim(speed=-1)


async def test_speed_paces_against_the_loop_clock() -> None:
    # Two 60 s candles at 600x: the last tick step is at 117 s, due 0.195 s after the first.
    market = sim(speed=600, max_candles=2)
    loop = asyncio.get_running_loop()
    began = loop.time()
    events = [event async for event in market.events()]
    elapsed = loop.time() - began
    assert len(events) == 2 * (20 * 2 + 2)
    assert 0.18 <= elapsed < 2.0


async def test_speed_zero_runs_flat_out_but_lets_other_tasks_run() -> None:
    turns = 0

    async def other() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    side = asyncio.create_task(other())
    loop = asyncio.get_running_loop()
    began = loop.time()
    count = sum([1 async for _ in sim(speed=0, max_candles=500).events()])
    elapsed = loop.time() - began
    side.cancel()
    assert count == 500 * 2 * 21
    assert elapsed < 5.0  # 500 simulated minutes, nowhere near real time
    assert turns > 10


async def test_close_ends_a_sleeping_stream_promptly() -> None:
    market = sim(speed=1)  # one tick step every 3 s of real time
    seen: list[MarketEvent] = []

    async def consume() -> None:
        async for event in market.events():
            seen.append(event)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    await market.close()
    await asyncio.wait_for(task, timeout=1.0)
    assert len(seen) == 2  # the first step only
