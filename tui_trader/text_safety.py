"""Text from outside the program (LLM replies, exchange messages, symbols, file names) made
safe to show on a terminal and to store: no escape sequences, no control characters.

Two explicit forms: `printable` for one line (table cells, toasts' titles, the status
line) and `printable_lines` for text that may keep its line breaks (toasts, dialogs, the
journal). Neither knows about markup; widgets still take the result as literal text.

Both run on many strings per second, so clean text takes one regex search and returns
the same object."""

import re

ELLIPSIS = "…"

# What can start trouble: C0 and C1 controls, DEL, bidi embedding/override/isolate marks
# (they reorder what is shown: "Trojan source"), Unicode line/paragraph separators and the
# byte-order mark. A string without any of these is already printable.
_SUSPECT = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]"
)

# Whole escape sequences go first, so their parameters do not stay behind as text:
# string commands (OSC, DCS, SOS, PM, APC) up to their terminator, then CSI, then the
# short two-character escapes (reset, charset selection, ...). A broken sequence loses
# its introducer here and its ESC below; what is left is harmless text.
_SEQUENCE = re.compile(
    r"(?:\x1b[P\]X^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|\x1b[ -/]*[0-~]"
)

_BREAKS = "\n\r\x0b\x0c\x85\u2028\u2029"  # everything a terminal or Unicode treats as a new line
_DROP = {code: None for code in [*range(0x20), *range(0x7F, 0xA0)]}
_DROP.update(dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e")))
_DROP.update(dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069\ufeff")))
_ONE_LINE = _DROP | {ord(c): " " for c in ("\t", *_BREAKS)}
_MULTI_LINE = _DROP | {ord("\t"): " "} | {ord(c): "\n" for c in _BREAKS}


def printable(text: str, limit: int | None = None) -> str:
    """`text` on one line: escape sequences and control characters removed, tabs and line
    breaks turned into spaces; at most `limit` characters (the last one then "…")."""
    return _clean(text, _ONE_LINE, limit)


def printable_lines(text: str, limit: int | None = None) -> str:
    """Like `printable`, but line breaks stay, as "\\n" ("\\r\\n" and lone "\\r" included)."""
    return _clean(text, _MULTI_LINE, limit)


def _clean(text: str, table: dict[int, str | None], limit: int | None) -> str:
    if limit is None:
        return _strip(text, table)
    # Work on a bounded prefix: a megabyte of reply must not cost a megabyte of regex
    # for 60 characters of cell. Removing escapes can only make it shorter.
    prefix = text[: limit * 4 + 64]
    shown = _strip(prefix, table)
    if len(shown) <= limit and len(prefix) == len(text):
        return shown
    return shown[: max(limit - 1, 0)] + ELLIPSIS if limit > 0 else ""


def _strip(text: str, table: dict[int, str | None]) -> str:
    if _SUSPECT.search(text) is None:
        return text
    return _SEQUENCE.sub("", text).replace("\r\n", "\n").translate(table)
