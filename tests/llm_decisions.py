"""Decide-mode replies for tests: the JSON a model sends, built from a few numbers, so a
test names only the fields it is about."""

from typing import Any


def decision_reply(
    kind: str = "long", entry: float | None = 100.0, size_pct: float = 1.0, **order: Any
) -> dict[str, Any]:
    """A `kind` decision: a limit at `entry` (market when None) for `size_pct` of
    equity at 1x, a stop 2% away and nothing else; `order` replaces order fields."""
    if kind == "flat":
        return {"decision": "flat", "confidence": 0.5, "rationale": "no edge", "notes": "",
                "order": None}  # fmt: skip
    sign = 1 if kind == "long" else -1
    reference = entry if entry is not None else 100.0
    fields: dict[str, Any] = {
        "order_type": "limit" if entry is not None else "market",
        "entry_price": entry,
        "size_pct_equity": size_pct,
        "leverage": 1,
        "stop_loss": round(reference * (1 - sign * 0.02), 2),
        "take_profits": [],
        "trailing_stop": None,
        "scale_in": [],
        "hold_duration_min": None,
        **order,
    }
    return {
        "decision": kind,
        "confidence": 0.8,
        "rationale": "test decision",
        "notes": "",
        "order": fields,
    }
