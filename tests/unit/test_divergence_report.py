"""`tui-trader report divergence` on bad input: no journal is one line and exit 1; shadow
rows that cannot be read are skipped and counted, the rest is still compared."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.trader_support import make_settings
from tui_trader.app.divergence_report import divergence_command, read_shadow
from tui_trader.cli import main

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
ORDER = {
    "client_order_id": "tt-1",
    "symbol": "BTCUSDT",
    "side": "BUY",
    "quantity": "0.01",
    "created_at": T0.isoformat(),
    "reference_price": "50000",
}
FILL = {
    "client_order_id": "tt-1",
    "symbol": "BTCUSDT",
    "side": "BUY",
    "quantity": "0.01",
    "price": "50010",
    "fee": "0.5",
    "fee_asset": "USDT",
    "ts": T0.isoformat(),
    "trade_id": "p1",
    "is_maker": False,
}


def test_unreadable_shadow_rows_are_skipped_and_counted() -> None:
    rows = [
        (T0, "order", ORDER),
        (T0, "order", ORDER | {"quantity": "lots"}),
        (T0, "order", {"symbol": "BTCUSDT"}),
        (T0, "fill", FILL),
        (T0, "fill", FILL | {"side": "UP"}),
        (T0, "fill", FILL | {"ts": "yesterday"}),
        (T0, "note", {"anything": 1}),  # a kind this version does not know: ignored
    ]
    orders, fills, skipped = read_shadow(rows)
    assert [o.client_order_id for o in orders] == ["tt-1"]
    assert [f.trade_id for f in fills] == ["p1"]
    assert skipped == 4


async def test_no_journal_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await divergence_command(make_settings(tmp_path / "fresh")) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no journal at" in err


def test_a_journal_that_is_not_a_database_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "journal.db").write_bytes(b"this is not sqlite" * 100)
    assert main(["report", "divergence"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tui-trader: cannot read the journal:") and err.count("\n") == 1
