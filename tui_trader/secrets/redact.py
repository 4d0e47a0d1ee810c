"""Masking secrets in anything that leaves the process: logs, journal rows, tracebacks.

A `Redactor` knows the secret values loaded so far (the store registers every value it
reads or writes) plus patterns that look like secrets even when we never loaded them: a
key pasted into an error message must not reach a log either."""

import functools
import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TextIO
from urllib.parse import parse_qsl, quote, urlsplit

MIN_SECRET_LEN = 6  # shorter values would mask ordinary words all over the logs

# (pattern, group to mask); group 0 masks the whole match.
_PATTERNS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"sk-[A-Za-z0-9_\-]{16,}"), 0),  # OpenAI-style keys (sk-..., sk-proj-...)
    (re.compile(r"(?<![0-9])[0-9]{6,12}:[A-Za-z0-9_\-]{30,}"), 0),  # Telegram bot token
    (re.compile(r"https://hooks\.slack\.com/[A-Za-z0-9/_\-]+"), 0),  # Slack webhook
    (re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])"), 0),  # Binance key/HMAC
    (re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/\-]{8,}=*)"), 1),  # Authorization headers
)


def secret_parts(value: str) -> set[str]:
    """`value` plus every piece of it that is secret by itself, each long enough to mask.

    A URL (Slack webhook) is echoed by servers as its path or its last segment; a
    Telegram token `<bot id>:<secret>` as the secret half; either may come back
    percent-encoded or JSON-escaped (`\\/`)."""
    value = value.strip()
    parts = {value} | _url_parts(value)
    if re.fullmatch(r"[0-9]{3,}:[A-Za-z0-9_\-]+", value):
        parts.add(value.split(":", 1)[1])
    parts |= {p.replace("/", "\\/") for p in parts} | {quote(p, safe="") for p in parts}
    return {p for p in parts if len(p) >= MIN_SECRET_LEN}


def _url_parts(value: str) -> set[str]:
    """The path (with and without its query), its last segment (a webhook's token), the
    segments holding digits (ids, keys), query values and a password."""
    try:
        url = urlsplit(value) if "://" in value else None
    except ValueError:  # not a URL after all: the whole value is still registered
        return set()
    if url is None or url.scheme not in ("http", "https"):
        return set()
    segments = [seg for seg in url.path.split("/") if seg]
    parts = {url.path, url.path.lstrip("/"), f"{url.path}?{url.query}" if url.query else ""}
    parts |= set(segments[-1:]) | {seg for seg in segments if any(c.isdigit() for c in seg)}
    return parts | {v for _k, v in parse_qsl(url.query)} | {url.password or ""}


def mask(value: str) -> str:
    """`****` plus the last 4 characters, and only when that leaves most of it hidden."""
    return "****" + value[-4:] if len(value) >= 12 else "****"


class Redactor:
    """Thread-safe: logging filters run in whatever thread logs."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self._known: re.Pattern[str] | None = None
        for value in secrets:
            self.add(value)

    def add(self, value: str) -> None:
        """Register a loaded secret and the parts of it a reply may echo on their own
        (a webhook's path and token, a bot token's part after the colon)."""
        fresh = {part for part in secret_parts(value) if part not in self._secrets}
        if not fresh:
            return
        with self._lock:
            self._secrets = self._secrets | fresh
            # Longest first so a secret that contains another is masked whole.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._known = re.compile("|".join(re.escape(s) for s in ordered))

    def redact(self, text: str) -> str:
        known = self._known
        if known is not None:
            text = known.sub(lambda m: mask(m.group(0)), text)
        for pattern, group in _PATTERNS:
            text = pattern.sub(functools.partial(_mask_group, group=group), text)
        return text

    def redact_data(self, data: object) -> object:
        """Redact every string inside dicts, lists and tuples (journal payloads)."""
        if isinstance(data, str):
            return self.redact(data)
        if isinstance(data, dict):
            return {key: self.redact_data(value) for key, value in data.items()}
        if isinstance(data, list | tuple):
            return [self.redact_data(item) for item in data]
        return data

    def redact_record(self, record: Mapping[str, object]) -> dict[str, object]:
        return {key: self.redact_data(value) for key, value in record.items()}

    def format_exception(self, exc: BaseException) -> str:
        return self.redact("".join(traceback.format_exception(exc)))


def _mask_group(match: re.Match[str], group: int) -> str:
    whole = match.group(0)
    if group == 0:
        return mask(whole)
    start, end = match.span(group)
    offset = match.start(0)
    return whole[: start - offset] + mask(match.group(group)) + whole[end - offset :]


_DEFAULT = Redactor()


def default_redactor() -> Redactor:
    """The process-wide redactor the secret store feeds and `redact()` uses."""
    return _DEFAULT


def redact(text: str) -> str:
    return _DEFAULT.redact(text)


class RedactingFilter(logging.Filter):
    """Attach to handlers: rewrites message, args and exception text of each record."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor or _DEFAULT

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad %-args: keep what we have rather than drop the record
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self._redactor.redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self._redactor.format_exception(record.exc_info[1]).rstrip("\n")
            record.exc_info = None  # handlers must not re-format the raw traceback
        elif record.exc_text:
            record.exc_text = self._redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redactor.redact(record.stack_info)
        return True


def install_log_redaction(logger: logging.Logger, redactor: Redactor | None = None) -> None:
    """Add a RedactingFilter to every handler of `logger` (filters on a logger itself do
    not see records propagated from child loggers; handler filters do)."""
    redacting = RedactingFilter(redactor)
    for handler in logger.handlers:
        handler.addFilter(redacting)


def format_exception_redacted(exc: BaseException, redactor: Redactor | None = None) -> str:
    return (redactor or _DEFAULT).format_exception(exc)


ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def install_excepthook(
    redactor: Redactor | None = None, stream: TextIO | None = None
) -> ExceptHook:
    """Make uncaught exceptions print a redacted traceback; returns the previous hook."""
    previous = sys.excepthook
    active = redactor or _DEFAULT

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        (stream or sys.stderr).write(active.format_exception(exc.with_traceback(tb)))

    sys.excepthook = hook
    return previous
