"""Engine benchmark (a script, not a test): simulated market events through market
state → strategy → order gate → paper exchange, on one core, without the journal.

    python tests/benchmarks/bench_engine.py [--events N] [--symbols N] [--seed S]
        [--param KEY=VALUE ...] [--profile]

`Harness` does synchronously what Trader.on_market_event and the ExecutionEngine do
(runtime/trader.py, runtime/execution_engine.py), minus journaling; the reactions to
order updates, fills and refusals are the core's own (`TradingCore.on_order_update`,
`on_fill`, `on_refused`).
Events are generated first, so generation is timed apart. Throughput and latency come
from two runs on fresh cores (timing calls would slow the first); both must agree."""

import argparse
import cProfile
import gc
import os
import pstats
import sys
import time
from collections import Counter
from datetime import UTC, datetime

from tui_trader.clock import SimulatedClock
from tui_trader.config import Settings
from tui_trader.core.trading_core import CoreOutputs
from tui_trader.domain.enums import OrderStatus
from tui_trader.domain.market import Candle, Tick
from tui_trader.domain.orders import Fill, OrderIntent
from tui_trader.execution.broker import BrokerEvent
from tui_trader.execution.commands import ExecutionCommand, order_from_intent
from tui_trader.execution.gate import OrderGate
from tui_trader.execution.idempotency import IdempotencyGuard
from tui_trader.market.simulated import DEFAULT_BASE_PRICES, SimulatedMarket
from tui_trader.risk.context import RiskContext
from tui_trader.runtime.core_parts import INTERVAL_SECONDS, build_core
from tui_trader.strategies.base import StrategyParamError
from tui_trader.strategies.params import parse_override
from tui_trader.strategies.registry import strategy_class

START = datetime(2024, 1, 1, tzinfo=UTC)
MIN_INTENTS = 200  # fewer makes the tick→intent p99 a guess
SYMBOLS = tuple(DEFAULT_BASE_PRICES)  # symbols the simulator has base prices for
Event = Tick | Candle


class Harness:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.core, self.exchange, risk = build_core(settings, settings.symbols, candles_only=False)
        self.gate = OrderGate(risk, IdempotencyGuard(), self.core.state)  # no hold: RUNNING
        self.clock = SimulatedClock(START)
        self.n: Counter[str] = Counter()  # what happened, compared between the two runs
        self.refusals: Counter[str] = Counter()  # by the first failed check (or gate stage)
        self.core.connect(
            CoreOutputs(
                safety=lambda _event: self.n.update(("safety",)),
                signal=lambda _signal: self.n.update(("signals",)),
            )
        )

    def market(self, event: Event) -> list[ExecutionCommand]:
        """Trader.on_market_event up to core.on_event: clock, paper matching, core."""
        if isinstance(event, Tick):
            self.clock.set(event.ts)
            updates: list[BrokerEvent] = self.exchange.on_tick(event)
        else:
            self.clock.set(event.close_time)
            updates = self.exchange.on_candle(event)
        for update in updates:  # Trader.on_broker_event
            if isinstance(update, Fill):
                self.n["fills"] += 1
                self.core.on_fill(update)
            else:
                self.core.on_order_update(update)
        commands = self.core.on_event(event)
        if isinstance(event, Candle):  # Trader.update_account: per candle and per fill
            self.core.track_account(self.clock.now())
        return commands

    def execute(self, commands: list[ExecutionCommand]) -> None:
        """ExecutionEngine.process for each command, then the trader's day bookkeeping."""
        for command in commands:
            if isinstance(command, OrderIntent):
                self._place(command)
                continue
            self.n["cancels"] += 1
            result = self.exchange.cancel(command.client_order_id, self.clock.now())
            if result is not None:
                self.core.on_order_outcome(result)

    def _place(self, intent: OrderIntent) -> None:
        self.n["intents"] += 1
        decision = self.gate.check(intent, self._context())
        if not decision.approved:  # the engine listener's on_decision
            self.n["refused"] += 1
            failed = decision.risk.failed if decision.risk is not None else ()
            self.refusals[failed[0].name if failed else decision.stage] += 1
            self.core.on_refused(intent)
            return
        order = order_from_intent(intent, decision.client_order_id, self.clock)
        result = self.exchange.submit(order, self.clock.now())
        self.gate.risk.record_sent(self.clock.now())
        rejected = result.status is OrderStatus.REJECTED
        self.n["rejected" if rejected else "orders"] += 1
        self.core.on_order_outcome(result)

    def _context(self) -> RiskContext:
        """Trader.risk_context."""
        return self.core.risk_context(self.clock.now(), self.settings.max_leverage)


def throughput_run(harness: Harness, events: list[Event]) -> float:
    market, execute = harness.market, harness.execute
    start = time.perf_counter()
    for event in events:
        execute(market(event))
    return time.perf_counter() - start


def latency_run(harness: Harness, events: list[Event]) -> tuple[list[int], list[int]]:
    """Nanoseconds to core.on_event's return for events with an intent, and to the end
    of handling (gate and broker included) for every event."""
    market, execute, clock = harness.market, harness.execute, time.perf_counter_ns
    to_intent: list[int] = []
    per_event: list[int] = []
    for event in events:
        start = clock()
        commands = market(event)
        decided = clock()
        execute(commands)
        per_event.append(clock() - start)
        if commands and any(isinstance(c, OrderIntent) for c in commands):
            to_intent.append(decided - start)
    return to_intent, per_event


def quantiles(values: list[int]) -> str:
    ordered = sorted(values) or [0]
    p50, p99 = (ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.5, 0.99))
    return f"p50 {p50 / 1000:.1f} µs  p99 {p99 / 1000:.1f} µs  max {ordered[-1] / 1000:.1f} µs"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    # fmt: off
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--symbols", type=int, default=2, choices=range(1, len(SYMBOLS) + 1))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="strategy parameter override, e.g. min_confidence=0.3 (repeatable)")
    ap.add_argument("--profile", action="store_true", help="cProfile one run, top 25 cumulative")
    # fmt: on
    return ap.parse_args(argv)


def generate(settings: Settings, seed: int, count: int) -> tuple[list[Event], float]:
    interval = INTERVAL_SECONDS[settings.candle_interval]
    stream = SimulatedMarket(
        settings.symbols, seed, START, interval, settings.sim_ticks_per_candle, speed=0.0
    ).generate()
    gc.collect()
    began = time.perf_counter()
    events: list[Event] = [next(stream) for _ in range(count)]
    return events, time.perf_counter() - began


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:  # a bad --param is a usage error, not a traceback
        params = dict(parse_override(item) for item in args.param)
        settings = Settings(  # no .env: the figures must not depend on the working directory
            _env_file=None,  # type: ignore[call-arg]
            symbols=SYMBOLS[: args.symbols],
            strategy_params=params,
        )
        strategy_class(settings.strategy).parse_params(params)
    except StrategyParamError as exc:
        raise SystemExit(f"--param: {exc}") from None
    events, generation = generate(settings, args.seed, args.events)
    # The event list is a benchmark artefact (a live feed holds one event at a time):
    # freeze it so the collector does not rescan a million objects during the runs.
    gc.collect()
    gc.freeze()
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(throughput_run, Harness(settings), events)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        return
    fast = Harness(settings)
    wall = throughput_run(fast, events)
    gc.collect()
    timed = Harness(settings)
    to_intent, per_event = latency_run(timed, events)
    if timed.n != fast.n:
        raise SystemExit(f"the two runs disagree: {fast.n} vs {timed.n}")
    n, count = fast.n, len(events)
    rows = [
        ("command", " ".join([sys.executable, *sys.argv])),
        ("python", f"{sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}"),
        ("symbols", f"{', '.join(settings.symbols)} (seed {args.seed})"),
        ("strategy", f"{settings.strategy}, overrides {params or 'none'}"),
        ("generation", f"{len(events) / generation:,.0f} events/s ({generation:.2f} s)"),
        ("events", f"{count:,}"),
        ("wall", f"{wall:.2f} s"),
        ("events/s", f"{count / wall:,.0f}"),
        ("signals", f"{n['signals']:,} (not HOLD)"),
        ("intents", f"{n['intents']:,} ({n['refused']} refused: {dict(fast.refusals)})"),
        ("orders", f"{n['orders']:,} accepted, {n['rejected']} rejected, {n['cancels']} cancels"),
        ("fills", f"{n['fills']:,}"),
        ("safety events", f"{n['safety']:,}"),
        ("tick→intent", f"{quantiles(to_intent)} over {len(to_intent)} events with an intent"),
        ("per event", f"{quantiles(per_event)} (all events, gate and broker included)"),
        ("targets", "events/s >= 100,000; tick→intent p50 <= 100 µs, p99 <= 1 ms"),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if n["intents"] < MIN_INTENTS:
        print(f"warning: only {n['intents']} intents; use more --events or loosen with --param")


if __name__ == "__main__":
    main()
