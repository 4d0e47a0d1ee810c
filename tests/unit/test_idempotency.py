import re

from tui_trader.execution.idempotency import IdempotencyGuard, client_order_id

BINANCE_SPOT_ID = re.compile(r"^[a-zA-Z0-9-_]{1,36}$")


def test_same_intent_same_id_and_valid_for_binance() -> None:
    first = client_order_id("entry-conservative-BTCUSDT-1700000000000")
    again = client_order_id("entry-conservative-BTCUSDT-1700000000000")
    other = client_order_id("entry-conservative-BTCUSDT-1700000060000")
    assert first == again
    assert first != other
    assert BINANCE_SPOT_ID.match(first)
    assert len(first) <= 36


def test_unicode_and_long_intent_ids_still_fit() -> None:
    coid = client_order_id("ü" * 500)
    assert BINANCE_SPOT_ID.match(coid)


def test_guard_remembers() -> None:
    guard = IdempotencyGuard({"tt-a"})
    assert guard.seen("tt-a")
    assert not guard.seen("tt-b")
    guard.remember("tt-b")
    assert guard.seen("tt-b")
    assert len(guard) == 2
