"""BREAKER_FAILURES and BREAKER_RESET_S reach the service breakers: a Binance broker
built from the settings opens its REST breaker after that many outcome-unknown failures
in a row, and a bad value is refused like any setting."""

from pathlib import Path

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble, HttpFault
from tests.integration.conftest_binance import exchange_fixture, spec_fixture  # noqa: F401
from tests.integration.test_binance_spot_broker import order
from tests.trader_support import make_settings
from tui_trader.binance.client import ClientSpec
from tui_trader.binance.venue_parts import Timing, start_broker
from tui_trader.clock import SystemClock
from tui_trader.config import ConfigError
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.execution.broker import BrokerError
from tui_trader.resilience.breaker import BreakerLimits


def test_the_settings_carry_the_breaker_limits(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, BREAKER_FAILURES="2", BREAKER_RESET_S="0.5")
    assert settings.breaker_limits == BreakerLimits(2, 0.5)
    assert make_settings(tmp_path).breaker_limits == BreakerLimits(5, 30.0)
    with pytest.raises(ConfigError, match="BREAKER_FAILURES"):
        make_settings(tmp_path, BREAKER_FAILURES="0")


async def test_two_failures_open_the_binance_breaker_when_the_setting_says_two(
    exchange: BinanceExchangeDouble, spec: ClientSpec, tmp_path: Path
) -> None:
    exchange.set_price("BTCUSDT", "50000")
    settings = make_settings(tmp_path, binance_env="testnet", BREAKER_FAILURES="2")
    events: list[SafetyEvent] = []
    broker = await start_broker(
        settings, spec, clock=SystemClock(), on_safety=events.append, reference_price=None,
        timing=Timing(request_timeout_s=0.5, ws_timeout_s=1.0),
    )  # fmt: skip
    try:
        # One submit is two failed requests (the 503 and its query's 503): two is the limit.
        exchange.faults.http.append(HttpFault("/api/v3/order", status=503))
        exchange.faults.http.append(HttpFault("/api/v3/order", "GET", status=503))
        with pytest.raises(BrokerError, match="outcome unknown"):
            await broker.submit(order("b-1"))
        opened = [e for e in events if e.kind is SafetyKind.BREAKER_OPEN]
        assert len(opened) == 1 and "Binance REST" in opened[0].message
        with pytest.raises(BrokerError, match="circuit open: calls paused for 30s"):
            await broker.submit(order("b-2"))  # refused at once, nothing sent
    finally:
        await broker.close()
