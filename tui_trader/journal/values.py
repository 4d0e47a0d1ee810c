"""Value encodings: money as TEXT (str(Decimal)) so it reads back exactly; times as
ISO-8601 UTC text with microseconds so they also sort correctly as text."""

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

from tui_trader.journal.errors import JournalError

Row = dict[str, Any]  # column -> value; JSON columns hold plain trees until encoded


class RowLike(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...


def dt_text(value: datetime) -> str:
    if value.utcoffset() is None:
        raise JournalError(f"naive datetime {value.isoformat()} refused: journal times are UTC")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def text_dt(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def opt_dt_text(value: datetime | None) -> str | None:
    return None if value is None else dt_text(value)


def opt_text_dt(text: str | None) -> datetime | None:
    return None if text is None else text_dt(text)


def opt_dec_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def opt_text_dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def jsonable(value: Any) -> Any:
    """A JSON-ready copy of `value`: Decimal as string, datetimes ISO, enums by value.
    Unknown objects become their str() so an odd payload never blocks a write."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return dt_text(value) if value.utcoffset() is not None else value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


def redact_tree(value: Any, redact: Callable[[str], str]) -> Any:
    """Apply `redact` to every string leaf of a JSON-ready tree."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_tree(v, redact) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_tree(v, redact) for v in value]
    return value


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
