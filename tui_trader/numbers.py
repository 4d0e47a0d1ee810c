"""Numbers read from outside the program (CSV files, exchange frames and replies, LLM
output) are bounded before anything computes with them.

`Decimal("1e999999")` and `Decimal("1e-999999")` are valid Decimals, but the first turns
into a megabyte of digits when formatted and either one raises `decimal.Overflow` or
`InvalidOperation` in the next division: far from where it was read, in the tick path.
Here they are refused where they enter, with a short message that quotes at most
`QUOTE_CHARS` characters of the input. Values within range keep every digit up to
`MAX_SCALE` decimal places and are rounded (half even) beyond: no market quotes finer."""

import decimal
from decimal import Decimal

# Every price, quantity, balance and fee we trade sits well inside 1e-18 .. 1e20
# (18 places: the finest on-chain unit; 1e20: above any token supply or notional).
MAX_ADJUSTED = 20  # the largest allowed power of ten of the leading digit
MIN_ADJUSTED = -18  # the smallest, for values other than zero
MAX_SCALE = 18  # decimal places kept
MAX_TEXT = 100  # characters: no number we accept is longer
QUOTE_CHARS = 40
_QUANTUM = Decimal(1).scaleb(-MAX_SCALE)
# Wide enough for every in-range value at full scale: quantize never signals here.
_CONTEXT = decimal.Context(prec=MAX_ADJUSTED + MAX_SCALE + 2, traps=[decimal.InvalidOperation])


class NumberError(ValueError):
    """A number from outside is not a number, or outside the range we compute with."""


def clip(text: str) -> str:
    """At most QUOTE_CHARS characters of `text` (the last one an ellipsis if cut)."""
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def quote(raw: object) -> str:
    """At most QUOTE_CHARS characters of `raw`, for messages about it: a string quoted
    (its repr), anything else as its clipped repr."""
    return repr(clip(raw)) if isinstance(raw, str) else clip(repr(raw))


def range_problem(value: Decimal) -> str | None:
    """Why `value` cannot be used (not finite, too large, too small), or None."""
    if not value.is_finite():
        return "not a finite number"
    if value.is_zero():
        return None
    adjusted = value.adjusted()
    if adjusted > MAX_ADJUSTED:
        return f"above the 1e{MAX_ADJUSTED + 1} bound"
    if adjusted < MIN_ADJUSTED:
        return f"below the 1e{MIN_ADJUSTED} bound and not zero"
    return None


def bounded(value: Decimal, what: str = "number", raw: object = None) -> Decimal:
    """`value` checked and rounded to MAX_SCALE places; raises NumberError quoting `raw`
    (what was read) or the value."""
    problem = range_problem(value)
    if problem is not None:
        raise NumberError(f"{what} {quote(str(value) if raw is None else raw)} is {problem}")
    exponent = int(value.as_tuple().exponent)  # finite: always an int
    if value.is_zero():  # "0e-999999" would still print a megabyte of zeros
        return value if -MAX_SCALE <= exponent <= 0 else Decimal(0)
    if exponent >= -MAX_SCALE:
        return value
    return value.quantize(_QUANTUM, rounding=decimal.ROUND_HALF_EVEN, context=_CONTEXT)


def parse_decimal(text: str, what: str = "number") -> Decimal:
    """A bounded Decimal from text (surrounding blanks allowed); raises NumberError."""
    if len(text) > MAX_TEXT:
        raise NumberError(f"{what} {quote(text)} is too long ({len(text)} characters)")
    try:
        value = Decimal(text)
    except decimal.InvalidOperation:
        raise NumberError(f"{what} {quote(text)} is not a number") from None
    return bounded(value, what, text.strip())


def optional_amount(value: object, what: str = "number") -> Decimal | None:
    """A venue's non-negative number (a JSON number or its text) as a bounded Decimal;
    None for null or an empty string. Raises NumberError."""
    if value is None or value == "":
        return None
    number = parse_decimal(str(value), what)
    if number < 0:
        raise NumberError(f"{what} {quote(str(value))} is negative")
    return number


def required_amount(value: object, what: str = "number") -> Decimal:
    """optional_amount, but null or empty is an error too."""
    number = optional_amount(value, what)
    if number is None:
        raise NumberError(f"{what}: a number is missing")
    return number
