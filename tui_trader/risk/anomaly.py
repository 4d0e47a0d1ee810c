"""Anomaly monitor: price jumps, wide spreads, balance drift and repeated failures.

It only reports; the trader decides (a `kill_switch_trigger` event means: activate the
kill switch)."""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.market import Tick


class AnomalyMonitor:
    def __init__(
        self,
        jump_pct: Decimal,
        spread_pct: Decimal,
        mismatch_tolerance: Decimal,
        max_consecutive_failures: int,
    ) -> None:
        if not (jump_pct > 0 and spread_pct > 0):
            raise ValueError(f"jump_pct and spread_pct must be positive: {jump_pct}, {spread_pct}")
        if mismatch_tolerance < 0:
            raise ValueError(f"mismatch_tolerance must not be negative: {mismatch_tolerance}")
        if max_consecutive_failures < 1:
            raise ValueError(f"max_consecutive_failures must be ≥ 1: {max_consecutive_failures}")
        self.jump_pct = jump_pct
        self.spread_pct = spread_pct
        self.mismatch_tolerance = mismatch_tolerance
        self.max_consecutive_failures = max_consecutive_failures
        self._last: dict[str, Decimal] = {}
        self._wide: set[str] = set()  # symbols whose wide spread was already reported
        self._failures: dict[str, int] = {}

    @property
    def failures(self) -> dict[str, int]:
        """Consecutive failures per source (a copy)."""
        return dict(self._failures)

    def on_tick(self, tick: Tick) -> list[SafetyEvent]:
        if not tick.price > 0:
            message = f"{tick.symbol} tick with non-positive price {tick.price} ignored"
            return [
                SafetyEvent(tick.ts, Severity.WARNING, SafetyKind.BAD_TICK, message, tick.symbol)
            ]
        events = [e for e in (self._jump(tick), self._spread(tick)) if e is not None]
        self._last[tick.symbol] = tick.price
        return events

    def check_balances(
        self, expected: Mapping[str, Decimal], actual: Mapping[str, Decimal], now: datetime
    ) -> list[SafetyEvent]:
        """One CRITICAL event per asset whose balances differ by more than the tolerance
        (absolute, in the asset's units); an asset missing on one side counts as 0."""
        events = []
        for asset in sorted(set(expected) | set(actual)):
            want, have = expected.get(asset, Decimal(0)), actual.get(asset, Decimal(0))
            diff = have - want
            if abs(diff) <= self.mismatch_tolerance:
                continue
            data = {"asset": asset, "expected": str(want), "actual": str(have), "diff": str(diff)}
            message = (
                f"{asset} balance {have} differs from the expected {want} by {diff} "
                f"(tolerance {self.mismatch_tolerance})"
            )
            events.append(
                SafetyEvent(now, Severity.CRITICAL, SafetyKind.BALANCE_MISMATCH, message, "", data)
            )
        return events

    def record_failure(self, source: str, detail: str, now: datetime) -> SafetyEvent | None:
        """Count a failure of `source` (feed, broker...). Every `max_consecutive_failures`
        in a row returns a kill_switch_trigger event (at N, 2N, ...), so a source still
        failing after an operator cleared the kill switch triggers it again."""
        count = self._failures.get(source, 0) + 1
        self._failures[source] = count
        if count % self.max_consecutive_failures:
            return None
        message = f"{source} failed {count} times in a row (last: {detail}): kill switch"
        data = {"source": source, "failures": count, "detail": detail}
        return SafetyEvent(
            now, Severity.CRITICAL, SafetyKind.KILL_SWITCH_TRIGGER, message, "", data
        )

    def record_success(self, source: str) -> None:
        self._failures[source] = 0

    def _jump(self, tick: Tick) -> SafetyEvent | None:
        previous = self._last.get(tick.symbol)
        if previous is None:
            return None
        move_pct = abs(tick.price - previous) / previous * 100
        if move_pct < self.jump_pct:
            return None
        pct = format(move_pct, ".4f")
        message = f"{tick.symbol} jumped {pct}% in one tick ({previous} → {tick.price})"
        data = {"previous": str(previous), "price": str(tick.price), "move_pct": pct}
        return SafetyEvent(
            tick.ts, Severity.WARNING, SafetyKind.PRICE_JUMP, message, tick.symbol, data
        )

    def _spread(self, tick: Tick) -> SafetyEvent | None:
        spread = tick.spread_pct
        if spread < self.spread_pct:
            self._wide.discard(tick.symbol)  # re-arm: the next widening is news again
            return None
        if tick.symbol in self._wide:
            return None
        self._wide.add(tick.symbol)
        pct = format(spread, ".4f")
        message = f"{tick.symbol} spread {pct}% (bid {tick.bid}, ask {tick.ask})"
        data = {"bid": str(tick.bid), "ask": str(tick.ask), "spread_pct": pct}
        return SafetyEvent(
            tick.ts, Severity.WARNING, SafetyKind.WIDE_SPREAD, message, tick.symbol, data
        )
