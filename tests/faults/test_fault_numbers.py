"""Absurd numbers from outside: a replay CSV with 1e999999 / 1e-999999, the same through
Binance's real stream parsing, and an LLM server that reports negative token usage.
Each is refused where it enters with a short message; nothing overflows later."""

import asyncio
import json
import random
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble
from tests.doubles.openai_server import OpenAIDouble
from tests.faults.support import clean_env, run_cli
from tests.integration.conftest_binance import exchange_fixture, spec_fixture  # noqa: F401
from tui_trader.binance.client import ClientSpec
from tui_trader.binance.feed import BinanceFeed
from tui_trader.clock import SimulatedClock, SystemClock
from tui_trader.domain.market import Candle
from tui_trader.llm.advisor import LLMAdvisor
from tui_trader.llm.client import build_client
from tui_trader.llm.prompt import AccountBrief, AdvisorContext, MarketBrief
from tui_trader.llm.settings import LLMSettings
from tui_trader.market.feed import MarketEvent
from tui_trader.resilience.retry import Backoff

T0_MS = 1704067200000
MINUTE_MS = 60_000
SHORT = 200  # characters: a message about a bad value quotes at most 40 of it


def candle_rows(count: int) -> list[list[str]]:
    """A seeded random walk in Binance's kline layout: enough to open and close trades."""
    rng, price, rows = random.Random(7), 100.0, []
    for i in range(count):
        o = price
        price *= 1 + rng.gauss(0, 0.004)
        high, low = max(o, price) * 1.001, min(o, price) * 0.999
        open_ms = T0_MS + i * MINUTE_MS
        close_ms = str(open_ms + MINUTE_MS - 1)
        prices = [f"{value:.2f}" for value in (o, high, low, price)]
        rows.append([str(open_ms), *prices, "12.5", close_ms, "1250.0", "42", "6.1", "610.0", "0"])
    return rows


def journal(data: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{data / 'journal.db'}?mode=ro", uri=True) as conn:
        return list(conn.execute(sql))


@pytest.mark.fault("replay price 1e999999 / 1e-999999", "row dropped, short event, exits sent")
@pytest.mark.parametrize(
    ("columns", "cell"),
    [((2, 4), "1e999999"), ((3, 4), "1e-999999")],  # high+close / low+close
    ids=["huge", "tiny"],
)
def test_replay_with_absurd_prices_drops_the_row_and_keeps_trading(
    tmp_path: Path, columns: tuple[int, int], cell: str
) -> None:
    rows = candle_rows(400)
    for column in columns:
        rows[200][column] = cell
    csv = tmp_path / "klines.csv"
    csv.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    args = ("run", "--headless", "--replay", str(csv), "--symbol", "BTCUSDT", "--once")
    done = run_cli(*args, env=clean_env(data), deadline=60)
    output = done.stdout + done.stderr
    assert done.code == 0, output[-2000:]
    assert "Traceback" not in output and "Overflow" not in output
    events = journal(data, "SELECT kind, message, data FROM safety_events")
    dropped = [str(message) for kind, message, _ in events if kind == "bad_market_data"]
    assert len(dropped) == 1 and "bound" in dropped[0], events
    assert all(len(str(m)) < SHORT and len(str(d)) < 4 * SHORT for _, m, d in events)
    assert [kind for kind, _, _ in events if kind == "order_failed"] == []  # exits went out
    after = datetime.fromtimestamp((T0_MS + 201 * MINUTE_MS) / 1000, UTC).isoformat()
    (later,) = journal(data, f"SELECT count(*) FROM fills WHERE ts > '{after}'")[0]
    assert isinstance(later, int) and later > 0, "trading went on after the bad row"


@pytest.fixture
async def feed(spec: ClientSpec) -> AsyncIterator[tuple[BinanceFeed, list[str]]]:
    bad: list[str] = []
    made = BinanceFeed(
        spec,
        ["BTCUSDT"],
        clock=SystemClock(),
        on_bad_data=bad.append,
        backoff=Backoff(base_s=0.02, max_s=0.2, jitter=0.5),
        socket_poll_s=0.1,
    )
    yield made, bad
    await made.close()


@pytest.mark.fault("Binance frame numbers 1e999999 / 1e-999999", "frame dropped, short reason")
async def test_binance_frames_with_absurd_numbers_are_dropped_with_a_short_reason(
    exchange: BinanceExchangeDouble, feed: tuple[BinanceFeed, list[str]]
) -> None:
    binance, bad = feed
    seen: list[MarketEvent] = []
    candle_seen = asyncio.Event()

    async def collect() -> None:
        async for event in binance.events():
            seen.append(event)
            if isinstance(event, Candle):
                candle_seen.set()

    task = asyncio.create_task(collect())
    try:
        await exchange.wait_stream_connects(1)
        base = (int(time.time() * 1000) // MINUTE_MS - 60) * MINUTE_MS
        streams = exchange.streams
        for offset, ohlc in enumerate(
            [
                ("100", "1e999999", "99", "1e999999"),
                ("100", "101", "1e-999999", "1e-999999"),
                ("100", "101", "99", "1" + "0" * 5000),
            ]
        ):
            await streams.push_kline("BTCUSDT", base + offset * MINUTE_MS, ohlc, "5", True, "1m")
        await streams.publish("btcusdt@bookTicker", {"s": "BTCUSDT", "b": "1e-999999", "a": "2"})
        await streams.push_kline("BTCUSDT", base + 3 * MINUTE_MS, ("100", "102", "99", "101"),
                                 "5", True, "1m")  # fmt: skip
        await asyncio.wait_for(candle_seen.wait(), 5)
    finally:
        task.cancel()
    candles = [e for e in seen if isinstance(e, Candle)]
    assert [c.close for c in candles] == [Decimal("101")]  # only the sane one
    assert len(bad) == 4 and all(len(reason) < SHORT for reason in bad), bad
    assert "1e999999" in bad[0] and "1e-999999" in bad[1]


@pytest.mark.fault("LLM usage with negative token counts", "estimate counted, warning recorded")
async def test_negative_llm_usage_is_counted_as_an_estimate_and_recorded() -> None:
    server = OpenAIDouble()
    await server.start()
    server.usage = {"prompt_tokens": -1_000_000, "completion_tokens": -5}
    settings = LLMSettings(
        llm_enabled=True,
        llm_base_url=server.base_url,
        llm_timeout_s=2.0,
        llm_max_retries=0,
        llm_cooldown_s=0,
        llm_daily_token_budget=1000,
    )
    records: list[dict[str, object]] = []
    clock = SimulatedClock(datetime(2025, 3, 1, 12, tzinfo=UTC))
    advisor = LLMAdvisor(
        settings, lambda: build_client(settings, None), clock, records.append
    )  # fmt: skip
    context = AdvisorContext(
        markets=(
            MarketBrief(
                "BTCUSDT", Decimal("42000"), Decimal("41999"), Decimal("42001"), Decimal(1)
            ),
        ),
        account=AccountBrief("USDT", Decimal("10000"), Decimal("10000")),
    )
    try:
        answers = [await advisor.request("BTCUSDT", "timer", context) for _ in range(10)]
    finally:
        await advisor.aclose()
        await server.close()
    made = [a for a in answers if a is not None]
    assert made and all(a.valid and a.prompt_tokens > 0 for a in made)
    assert 1 <= server.request_count <= 4, "the budget ran out: garbage usage is not free"
    warnings = [r for r in records if r["kind"] == "llm_usage_invalid"]
    assert len(warnings) == server.request_count
    assert "-1000000" in json.dumps(warnings[0])
    assert advisor.budget_status().tokens >= 1000
