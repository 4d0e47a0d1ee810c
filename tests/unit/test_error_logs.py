"""ERROR log lines: counted per component (from any thread), sent to the notifier at most
N an hour with the rest summed in one line, secrets redacted, control characters gone;
signals counted per symbol and action."""

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

from tui_trader.domain.enums import SignalAction
from tui_trader.domain.orders import Signal
from tui_trader.ops.error_logs import ErrorLogRelay
from tui_trader.ops.log_format import bind
from tui_trader.ops.metrics import TraderMetrics
from tui_trader.runtime.decision_log import DecisionLog
from tui_trader.secrets.redact import default_redactor


def errors(metrics: TraderMetrics, component: str) -> float:
    value = metrics.registry.get_sample_value("tui_trader_errors_total", {"component": component})
    return value or 0.0


@contextlib.asynccontextmanager
async def relaying(relay: ErrorLogRelay) -> AsyncIterator[None]:
    task = asyncio.ensure_future(relay.run())
    await asyncio.sleep(0)  # attached
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def settle(sent: list[str], count: int) -> None:
    async with asyncio.timeout(2):
        while len(sent) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_errors_are_counted_by_component_and_sent_at_most_n_an_hour() -> None:
    metrics, sent = TraderMetrics(), []
    relay = ErrorLogRelay(metrics, sent.append, per_hour=2, hour_s=0.3)
    async with relaying(relay):
        log = logging.getLogger("tui_trader.binance.caller")
        for n in range(5):
            log.error("request %d failed", n)
        bind("tui_trader.x", component="notify").error("slack down")
        logging.getLogger("tui_trader.journal").warning("only a warning")
        await settle(sent, 2)
        await asyncio.sleep(0.35)  # the hour turns
        log.error("after the hour")
        await settle(sent, 4)
    assert errors(metrics, "binance") == 6 and errors(metrics, "notify") == 1
    assert errors(metrics, "journal") == 0
    assert sent == [
        "ERROR binance: request 0 failed",
        "ERROR binance: request 1 failed",
        "4 more ERROR log lines in the last hour (see the log)",
        "ERROR binance: after the hour",
    ]


async def test_a_line_from_another_thread_is_counted_and_sent_redacted_on_one_line() -> None:
    default_redactor().add("sk-test-not-a-real-key-0123456789")
    metrics, sent = TraderMetrics(), []
    async with relaying(ErrorLogRelay(metrics, sent.append, per_hour=10)):
        message = "writer failed\x1b[31m with key sk-test-not-a-real-key-0123456789\nnext"
        worker = threading.Thread(
            target=lambda: logging.getLogger("tui_trader.journal.writer").error(message)
        )
        worker.start()
        worker.join()
        await settle(sent, 1)
    [line] = sent
    assert line.startswith("ERROR journal: writer failed")
    assert "sk-test" not in line and "\x1b" not in line and "\n" not in line
    assert errors(metrics, "journal") == 1


async def test_without_a_notifier_errors_are_only_counted_and_the_handler_goes_at_the_end() -> None:
    metrics = TraderMetrics()
    relay = ErrorLogRelay(metrics, None, per_hour=1)
    async with relaying(relay):
        logging.getLogger("tui_trader.llm").error("advisor timed out")
    logging.getLogger("tui_trader.llm").error("after the relay stopped")
    assert errors(metrics, "llm") == 1


def test_signals_are_counted_by_symbol_and_action() -> None:
    class NoJournal:
        def record_event(self, *_args: object) -> None:
            return None

    metrics = TraderMetrics()
    log = DecisionLog(NoJournal(), None, metrics)  # type: ignore[arg-type]
    at = datetime(2026, 12, 2, tzinfo=UTC)
    for action in (SignalAction.BUY, SignalAction.BUY, SignalAction.SELL):
        log.signal(Signal("BTCUSDT", action, 0.9, "test", at, Decimal(100), strategy="s"))
    sample = metrics.registry.get_sample_value
    assert sample("tui_trader_signals_generated_total", {"symbol": "BTCUSDT", "action": "BUY"}) == 2
    assert (
        sample("tui_trader_signals_generated_total", {"symbol": "BTCUSDT", "action": "SELL"}) == 1
    )
