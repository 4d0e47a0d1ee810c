"""What the notifier says, from real snapshots of a real paper trader: engine state,
fills, risk refusals by severity, kill switch (once), errors, signals, daily summary."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from tests.integration.conftest_notify import limit_buy
from tests.trader_support import START, feed, make_settings, opened, running_engine, sim_events
from tui_trader.clock import SimulatedClock
from tui_trader.domain.enums import OrderStatus, Severity
from tui_trader.notify.notifier import Notifier, observe


class Collected:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def submit(self, text: str) -> None:
        self.texts.append(text)


async def test_engine_fill_and_refusal_are_reported(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        events = sim_events(trader)
        await feed(trader, events, 10)
        before = trader.snapshot()
        assert observe(None, before) == []  # history before we watched is not news
        await trader.start()
        placed = await trader.engine.process(limit_buy(trader, "1.001", "fill-me"))
        assert await trader.engine.process(limit_buy(trader, "1.5", "too-far")) is None
        await feed(trader, events, 10)
        after = trader.snapshot()

        notices = observe(before, after)
        assert placed is not None
        filled = next(o for o in after.recent_orders if o.client_order_id == placed.client_order_id)
        assert filled.status is OrderStatus.FILLED
        refusal = trader.history.safety[0]
        assert [(n.kind, n.text) for n in notices] == [
            ("engine", "[PAPER] engine IDLE → RUNNING"),
            (
                "order",
                f"[PAPER] filled: BUY 0.00100 BTCUSDT @ {filled.average_price} "
                f"(ENTRY, {placed.client_order_id})",
            ),
            ("safety", f"[PAPER] WARNING risk_rejected BTCUSDT: {refusal.message}"),
        ]
        assert "refused at risk" in refusal.message
        critical_only = observe(before, after, min_severity=Severity.CRITICAL)
        assert [n.kind for n in critical_only] == ["engine", "order"]

        await trader.kill(source="test")
        killed = trader.snapshot()
        assert [(n.kind, n.text) for n in observe(after, killed)] == [
            ("engine", "[PAPER] engine RUNNING → IDLE"),
            ("kill_switch", "[PAPER] KILL SWITCH ACTIVE: test: kill switch pressed"),
        ]  # the kill_switch safety event is not said a second time


async def test_errors_and_the_error_state(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        await feed(trader, sim_events(trader), 5)
        await trader.start()
        before = trader.snapshot()
        trader.count_failure("broker", "broker: timeout")
        one = trader.snapshot()
        assert [n.text for n in observe(before, one)] == ["[PAPER] error: broker: timeout"]
        trader.count_failure("broker", "broker: HTTP 503")
        trader.count_failure("broker", "broker: HTTP 502")
        error_state = trader.snapshot()
        notices = observe(one, error_state)
        assert notices[0].text == ("[PAPER] engine RUNNING → ERROR (last error: broker: HTTP 502)")
        assert "error" not in [n.kind for n in notices]  # said once, with the state


async def test_a_new_buy_or_sell_signal_is_reported_once(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        await feed(trader, sim_events(trader), 5)
        base = trader.snapshot()
        view = base.prices[0]
        buy = replace(view, signal="BUY", signal_confidence=0.8)
        signalled = replace(base, prices=(buy, *base.prices[1:]), version=base.version + 1)
        again = replace(signalled, version=signalled.version + 1)
        assert [n.text for n in observe(base, signalled)] == [
            f"[PAPER] signal BUY {view.symbol} @ {view.last} (confidence 0.80)"
        ]
        assert observe(signalled, again) == []
        assert observe(base, signalled, signals=False) == []


async def test_daily_summary_at_midnight_utc(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        events = sim_events(trader)
        await feed(trader, events, 10)
        clock = SimulatedClock(START + timedelta(hours=23, minutes=59, seconds=58))
        sink = Collected()
        notifier = Notifier([sink], clock, fills=trader.parts.journal)
        await notifier.step(trader.snapshot())  # baseline: 10000 USDT, no position
        await trader.start()
        await trader.engine.process(limit_buy(trader, "1.001", "summary-fill"))
        await feed(trader, events, 10)
        await trader.parts.journal.flush()
        await notifier.step(trader.snapshot())
        assert sink.texts == ["[PAPER] engine IDLE → RUNNING", sink.texts[1]]
        assert sink.texts[1].startswith("[PAPER] filled: BUY 0.00100 BTCUSDT")

        clock.advance(timedelta(seconds=3))  # 00:00:01 on the next day
        snap = trader.snapshot()
        await notifier.step(snap)
        summary = sink.texts[-1].splitlines()
        equity = snap.account.equity
        position = snap.positions[0].position
        assert summary[0] == "[PAPER] daily summary 2026-03-02 (UTC)"
        assert summary[1] == (
            f"equity {equity:.2f} USDT ({equity - Decimal(10000):+.2f} since 2026-03-02 23:59 UTC)"
        )
        assert summary[3] == "trades: 1 fills"
        assert summary[4].startswith(f"open positions: BTCUSDT 0.00100 @ {position.average_entry}")
        clock.advance(timedelta(hours=1))
        await notifier.step(trader.snapshot())
        assert sum("daily summary" in t for t in sink.texts) == 1  # once a day
