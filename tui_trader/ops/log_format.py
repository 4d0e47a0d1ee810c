"""Structured logs: one JSON object per line (LOG_FORMAT=json) or a readable console line,
both carrying the context bound to the code that logs (component, symbol, ...).

Two ways to bind context, and they combine:
- `bind(logger, component="notify", channel="slack")` gives a LoggerAdapter for an
  object that always logs with the same context;
- `with log_context(symbol="BTCUSDT"):` binds for everything logged inside, including
  asyncio tasks started there (each task copies the context it was created in).

Messages and context values are redacted here as a last line of defence: a secret that
slipped into a log call never reaches the file."""

import json
import logging
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal

from tui_trader.secrets.redact import default_redactor

LogFormat = Literal["console", "json"]
CONTEXT_ATTR = "tt_context"
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_context: ContextVar[Mapping[str, Any]] = ContextVar("tui_trader_log_context", default=_EMPTY)
ROOT_LOGGER = "tui_trader"


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    token = _context.set(MappingProxyType({**_context.get(), **fields}))
    try:
        yield
    finally:
        _context.reset(token)


class ContextAdapter(logging.LoggerAdapter[logging.Logger]):
    """Adds its bound fields to every record (an explicit `extra` wins on conflicts)."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        extra = dict(kwargs.get("extra") or {})
        bound = dict(self.extra or {})
        extra[CONTEXT_ATTR] = {**bound, **extra.get(CONTEXT_ATTR, {})}
        kwargs["extra"] = extra
        return msg, kwargs


def bind(logger: logging.Logger | str, **fields: Any) -> ContextAdapter:
    base = logging.getLogger(logger) if isinstance(logger, str) else logger
    return ContextAdapter(base, fields)


def record_context(record: logging.LogRecord) -> dict[str, Any]:
    """The task's context with the record's own bound fields on top."""
    own: Mapping[str, Any] = getattr(record, CONTEXT_ATTR, _EMPTY)
    return {**_context.get(), **own}


def about(symbol: str) -> dict[str, Any]:
    """`extra=` for one log call about `symbol`: `log.info("...", extra=about("BTCUSDT"))`."""
    return {CONTEXT_ATTR: {"symbol": symbol or None}}


def component_of(record: logging.LogRecord) -> str:
    """The bound component, else the package under tui_trader that logged it
    (tui_trader.binance.caller → binance); another library's logger name as it is."""
    bound = record_context(record).get("component")
    if bound:
        return str(bound)
    parts = record.name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == ROOT_LOGGER else record.name


def _utc(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    if record.exc_info and record.exc_info[1] is not None:
        return formatter.formatException(record.exc_info)
    return record.exc_text or ""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        redactor = default_redactor()
        context = redactor.redact_data(record_context(record))
        bound: dict[str, Any] = dict(context) if isinstance(context, dict) else {}
        payload: dict[str, Any] = {
            "ts": _utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            # Every line has both keys, so a log processor can filter on them.
            "component": component_of(record),
            "symbol": bound.pop("symbol", None),
            "msg": redactor.redact(record.getMessage()),
        }
        bound.pop("component", None)
        payload.update(bound)
        error = _exception_text(self, record)
        if error:
            payload["exc"] = redactor.redact(error)
        if record.stack_info:
            payload["stack"] = redactor.redact(record.stack_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        redactor = default_redactor()
        context = record_context(record)
        bound = " ".join(f"{k}={v}" for k, v in context.items())
        where = f"{record.name} [{bound}]" if bound else record.name
        line = f"{_utc(record.created)} {record.levelname} {where}: {record.getMessage()}"
        error = _exception_text(self, record)
        return redactor.redact(f"{line}\n{error}" if error else line)


def make_formatter(fmt: LogFormat) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else ConsoleFormatter()
