"""`selftest --online` and `doctor --online` on VENUE=alpaca ask Alpaca (the local doubles),
not Binance: the keys accepted, the clock (and whether the market is open), one bars
request; no keys, refused keys, an Alpaca that cannot be reached or a clock far off are
one FAIL line."""

import io
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.doubles.alpaca_data import KEY_ID, SECRET
from tests.doubles.alpaca_stream import AlpacaVenue, alpaca_venue, new_venue
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.integration.test_upbit_online_checks import closed_url, exchange_line
from tests.trader_support import make_settings
from tui_trader.app.doctor import run_doctor
from tui_trader.app.selftest import run_selftest
from tui_trader.config import Settings
from tui_trader.ops.settings import load_ops_settings


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ALPACA_API_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALPACA_API_SECRET_KEY", SECRET)
    with keyring_installed(MemoryKeyring()):
        yield


@pytest.fixture
async def alpaca() -> AsyncIterator[tuple[AlpacaVenue, str]]:
    venue = new_venue(datetime.now(UTC))
    async with alpaca_venue(venue) as url:
        yield venue, url


def alpaca_settings(tmp_path: Path, url: str) -> Settings:
    return make_settings(tmp_path, VENUE="alpaca", QUOTE_ASSET="USD", SYMBOLS="AAPLUSD",
                         ALPACA_DATA_URL=url, ALPACA_TRADING_URL=url)  # fmt: skip


async def test_selftest_online_asks_alpaca(
    alpaca: tuple[AlpacaVenue, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    venue, url = alpaca
    await run_selftest(alpaca_settings(tmp_path, url), online=True)
    line = exchange_line(capsys.readouterr().out)
    assert line.startswith("OK") and "Alpaca reachable, keys accepted, iex data answers" in line
    assert "clock about 0 s off" in line and "market " in line
    venue.at(datetime.now(UTC) - timedelta(seconds=30))  # Alpaca's clock far from ours
    assert await run_selftest(alpaca_settings(tmp_path, url), online=True) == 1
    line = exchange_line(capsys.readouterr().out)
    assert line.startswith("FAIL") and "30 s off: fix NTP" in line


async def test_refused_or_missing_keys_are_one_fail_line(
    alpaca: tuple[AlpacaVenue, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _venue, url = alpaca
    monkeypatch.setenv("ALPACA_API_SECRET_KEY", "wrong")
    await run_selftest(alpaca_settings(tmp_path, url), online=True)
    assert "FAIL" in (line := exchange_line(capsys.readouterr().out))
    assert "Alpaca refused the keys (HTTP 401)" in line and "wrong" not in line
    monkeypatch.delenv("ALPACA_API_KEY_ID")
    monkeypatch.delenv("ALPACA_API_SECRET_KEY")
    await run_selftest(alpaca_settings(tmp_path, url), online=True)
    line = exchange_line(capsys.readouterr().out)
    assert line.startswith("FAIL") and "Alpaca's market data needs a key" in line


async def test_doctor_online_checks_alpaca_not_binance(
    alpaca: tuple[AlpacaVenue, str], tmp_path: Path
) -> None:
    out = io.StringIO()
    await run_doctor(alpaca_settings(tmp_path, alpaca[1]), load_ops_settings(), online=True,
                     out=out)  # fmt: skip
    [clock] = [line for line in out.getvalue().splitlines() if " clock " in line]
    assert clock.startswith("OK") and "Alpaca reachable" in clock and "Binance" not in clock
    out = io.StringIO()
    await run_doctor(alpaca_settings(tmp_path, closed_url()), load_ops_settings(), online=True,
                     out=out)  # fmt: skip
    [clock] = [line for line in out.getvalue().splitlines() if " clock " in line]
    assert clock.startswith("FAIL") and "Alpaca unreachable: ClientConnectorError" in clock
