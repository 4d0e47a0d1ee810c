"""Event-to-UI-snapshot latency under a burst (a script, not a test): the Binance
exchange double, in its own process, streams bookTicker frames at a fixed rate over a
real websocket; a real Trader (journal in a temporary folder) consumes them through
BinanceFeed → Trader.on_market_event → trader.snapshot().

    python tests/benchmarks/bench_binance_latency.py [--rate 10000] [--seconds 3]
        [--symbols 2]

Latency per frame = when the snapshot showing it was built − when the double sent it
(perf_counter is one system-wide monotonic clock on Linux, so the two processes agree).
The UI reads snapshots at ≤ 10 Hz, so building one per event is the pessimistic case.
Each frame's sequence number is encoded in its bid (1000 + seq / 10000), which is how
a tick is matched to its send time. Frames/s sustained = frames through the trader /
(last snapshot − first send)."""

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.doubles, run as a script

from tests.doubles.binance_exchange import BinanceExchangeDouble
from tui_trader.binance.client import ClientSpec, loopback_endpoints
from tui_trader.binance.feed import BinanceFeed
from tui_trader.clock import SystemClock
from tui_trader.config import load_settings
from tui_trader.domain.market import Tick
from tui_trader.runtime.build_trader import build_trader

SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT")
BASE, SCALE = Decimal(1000), Decimal(10000)


# --- the double's process -------------------------------------------------------------
def serve(pipe: Connection, frames: int, rate: float, symbols: tuple[str, ...]) -> None:
    asyncio.run(_serve(pipe, frames, rate, symbols))


async def _serve(pipe: Connection, frames: int, rate: float, symbols: tuple[str, ...]) -> None:
    double = BinanceExchangeDouble()
    await double.start()
    pipe.send(double.port)
    await double.wait_stream_connects(1)
    await asyncio.sleep(0.5)  # let the trader settle before the burst
    sent = await _burst(double, frames, rate, symbols)
    pipe.send(sent)
    await asyncio.to_thread(pipe.recv)  # "stop"
    await double.stop()


async def _burst(
    double: BinanceExchangeDouble, frames: int, rate: float, symbols: tuple[str, ...]
) -> list[float]:
    """Send `frames` bookTicker frames paced at `rate`/s; returns each send time."""
    hub, sent = double.streams, [0.0] * frames
    start = time.perf_counter()
    for seq in range(frames):
        ahead = start + seq / rate - time.perf_counter()
        if ahead > 0.001:
            await asyncio.sleep(ahead)
        symbol = symbols[seq % len(symbols)]
        bid = BASE + Decimal(seq) / SCALE
        frame = hub.book_frame(symbol, bid, bid + Decimal("0.0002"))
        sent[seq] = time.perf_counter()
        await hub.publish(f"{symbol.lower()}@bookTicker", frame)
    return sent


# --- the trader's process -------------------------------------------------------------
async def consume(port: int, frames: int, symbols: tuple[str, ...], data: Path) -> dict:
    settings = load_settings(TUI_TRADER_DATA_DIR=str(data), SYMBOLS=",".join(symbols))
    trader = build_trader(settings)
    feed = BinanceFeed(
        ClientSpec(loopback_endpoints(port)),
        symbols,
        clock=SystemClock(),
        stale_after_s=120.0,
        book_stale_after_s=None,
        max_tick_backlog=frames,
    )
    trader.parts.feed = feed
    await trader.open()
    done: dict[int, float] = {}
    seen = 0
    try:
        async with asyncio.timeout(60):
            async for event in feed.events():
                trader.on_market_event(event)
                snapshot = trader.snapshot()
                finished = time.perf_counter()
                if isinstance(event, Tick):
                    done[int((event.bid - BASE) * SCALE)] = finished
                    seen += 1
                    if seen == frames:
                        break
        assert snapshot.prices, "the snapshot shows no prices"
    finally:
        await feed.close()
        await trader.close()
    return {"done": done, "status": feed.status().detail}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10_000.0, help="frames per second")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of the burst")
    parser.add_argument("--symbols", type=int, default=2, choices=range(1, len(SYMBOLS) + 1))
    args = parser.parse_args()
    frames, symbols = int(args.rate * args.seconds), SYMBOLS[: args.symbols]
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=serve, args=(theirs, frames, args.rate, symbols), daemon=True)
    child.start()
    port = ours.recv()
    with tempfile.TemporaryDirectory() as data:
        result = asyncio.run(consume(port, frames, symbols, Path(data)))
    sent: list[float] = ours.recv()
    ours.send("stop")
    child.join(10)

    done: dict[int, float] = result["done"]
    latencies = [(done[seq] - sent[seq]) * 1000 for seq in done]
    elapsed = max(done.values()) - sent[0]
    send_rate = frames / (sent[-1] - sent[0])
    print(
        f"python {sys.version.split()[0]}; {frames:,} bookTicker frames at {args.rate:,.0f}/s "
        f"(sent at {send_rate:,.0f}/s) over {len(symbols)} symbols"
    )
    print(
        f"through the trader: {len(done):,} frames, {len(done) / elapsed:,.0f} frames/s sustained"
    )
    print(
        f"event → snapshot latency ms: p50 {statistics.median(latencies):.2f}  "
        f"p99 {percentile(latencies, 0.99):.2f}  max {max(latencies):.2f}"
    )
    print(f"feed: {result['status']}")
    return 0 if len(done) == frames else 1


if __name__ == "__main__":
    sys.exit(main())
