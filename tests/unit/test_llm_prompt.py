"""The input builder: plain data in, chat messages out, secrets never included."""

import json
from datetime import UTC, datetime
from decimal import Decimal

from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side, SignalAction
from tui_trader.domain.orders import Order, Signal
from tui_trader.domain.portfolio import Position
from tui_trader.llm.prompt import AccountBrief, AdvisorContext, MarketBrief, build_messages
from tui_trader.secrets import default_redactor

AT = datetime(2025, 3, 1, 12, tzinfo=UTC)
PLANTED = "prompt-planted-secret-777"


def order(status: OrderStatus) -> Order:
    return Order(
        "c1", "i1", "BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.01"), Decimal("41000.10"),
        status, AT, AT, IntentPurpose.ENTRY,
    )  # fmt: skip


CONTEXT = AdvisorContext(
    markets=(
        MarketBrief(
            "BTCUSDT",
            Decimal("42000.10"),
            Decimal("42000.00"),
            Decimal("42000.20"),
            Decimal("1.25"),
            {"rsi14": 61.5, "atr14": float("nan")},
        ),
    ),
    account=AccountBrief(
        "USDT",
        Decimal("10000.00"),
        Decimal("9580.00"),
        positions=(
            Position("ETHUSDT", Decimal("0.2"), Decimal("2100"), mark_price=Decimal("2110")),
            Position("SOLUSDT", Decimal(0), Decimal(0)),
        ),
        open_orders=(order(OrderStatus.NEW), order(OrderStatus.FILLED)),
    ),
    risk_limits={"max_position_pct": Decimal("10"), "max_leverage": 1},
    signal=Signal("BTCUSDT", SignalAction.BUY, 0.7, f"ema cross {PLANTED}", AT, Decimal("42000")),
)


def test_user_message_carries_exact_plain_data() -> None:
    system, user = build_messages("BTCUSDT", "signal", "advisory", CONTEXT)
    payload = json.loads(user["content"])
    assert (system["role"], user["role"]) == ("system", "user")
    assert payload["trigger"] == "signal"
    assert payload["markets"] == [
        {
            "symbol": "BTCUSDT",
            "last": "42000.10",
            "bid": "42000.00",
            "ask": "42000.20",
            "change_pct": "1.25",
            "indicators": {"rsi14": 61.5, "atr14": None},
        }
    ]
    account = payload["account"]
    assert (account["equity"], account["cash"]) == ("10000.00", "9580.00")
    assert [p["symbol"] for p in account["positions"]] == ["ETHUSDT"]  # flat ones left out
    assert account["positions"][0]["unrealized_pnl"] == "2.0"
    assert len(account["open_orders"]) == 1 and account["open_orders"][0]["price"] == "41000.10"
    assert payload["constraints"] == {"max_position_pct": "10", "max_leverage": 1}
    assert payload["environment"] == "paper"
    assert payload["signal"]["action"] == "BUY"


def test_system_message_holds_the_schema_of_the_mode() -> None:
    advisory = build_messages("BTCUSDT", "timer", "advisory", CONTEXT)[0]["content"]
    decide = build_messages("BTCUSDT", "timer", "decide", CONTEXT)[0]["content"]
    assert "ONE JSON object" in advisory and '"BUY_CONSIDER"' in advisory
    assert '"take_profits"' in decide and '"BUY_CONSIDER"' not in decide
    for field in ("size_pct_equity", "close_ratio", "callback_rate_pct", "hold_duration_min"):
        assert f'"{field}"' in decide


def test_known_secrets_are_masked_even_in_free_text_fields() -> None:
    default_redactor().add(PLANTED)
    messages = build_messages("BTCUSDT", "signal", "gate", CONTEXT)
    text = json.dumps(messages)
    assert PLANTED not in text and "ema cross ****-777" in text
