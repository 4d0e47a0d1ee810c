"""Binance frame parsing benchmark (a script, not a test): bookTicker and closed kline
frames through parse → domain (Tick / Candle), as the feed's pump does them.

    python tests/benchmarks/bench_binance_parse.py [--frames N] [--repeat R]

Two figures per frame kind: from the decoded dict python-binance hands us (what our
code costs), and from the raw JSON text (what the process spends in total, with
python-binance's json.loads). The target is 100,000 frames/s from the decoded dict.
Frames vary in price and time so nothing is cached; the best of R runs is reported."""

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tui_trader.binance.parse import parse_book_ticker, parse_kline

TARGET_PER_S = 100_000
RECEIVED = datetime(2026, 1, 1, tzinfo=UTC)


def book_frames(n: int) -> list[dict[str, Any]]:
    return [
        {
            "u": 400900217 + i,
            "s": "BTCUSDT",
            "b": f"{60000 + i % 997}.{i % 100:02d}",
            "B": "1.25000000",
            "a": f"{60001 + i % 997}.{i % 100:02d}",
            "A": "0.50000000",
        }
        for i in range(n)
    ]


def kline_frames(n: int) -> list[dict[str, Any]]:
    base = 1767225600000
    return [
        {
            "e": "kline",
            "E": base + i * 60_000 + 59_990,
            "s": "BTCUSDT",
            "k": {
                "t": base + i * 60_000,
                "T": base + i * 60_000 + 59_999,
                "s": "BTCUSDT",
                "i": "1m",
                "f": i * 10,
                "L": i * 10 + 9,
                "o": f"{60000 + i % 500}.10",
                "c": f"{60000 + i % 500}.40",
                "h": f"{60001 + i % 500}.00",
                "l": f"{59999 + i % 500}.90",
                "v": f"{i % 70 + 1}.5",
                "n": 10,
                "x": True,
                "q": "1000.0",
                "V": "3.1",
                "Q": "200.0",
                "B": "0",
            },
        }
        for i in range(n)
    ]


def best_rate(run: Callable[[], None], frames: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return frames / best


def measure(
    name: str, frames: list[dict[str, Any]], parse: Callable[[Any], object], repeat: int
) -> bool:
    texts = [json.dumps(f) for f in frames]

    def from_dicts() -> None:
        for frame in frames:
            parse(frame)

    def from_text() -> None:
        for text in texts:
            parse(json.loads(text))

    decoded = best_rate(from_dicts, len(frames), repeat)
    with_json = best_rate(from_text, len(frames), repeat)
    verdict = "ok" if decoded >= TARGET_PER_S else "BELOW TARGET"
    print(
        f"{name:<11} {decoded:>12,.0f} frames/s from dicts ({verdict})"
        f"   {with_json:>12,.0f} frames/s with json.loads"
    )
    return decoded >= TARGET_PER_S


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, {args.frames:,} frames, best of {args.repeat}; "
        f"target {TARGET_PER_S:,} frames/s"
    )
    ok = measure(
        "bookTicker",
        book_frames(args.frames),
        lambda f: parse_book_ticker(f, RECEIVED),
        args.repeat,
    )
    ok &= measure("kline", kline_frames(args.frames), parse_kline, args.repeat)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
