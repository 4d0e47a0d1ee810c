"""Plain-text fallback: find the JSON object in a model's reply and validate it.

Models that ignore structured output wrap JSON in prose or in ```json fences; this pulls
the object out of either, and reports a clear reason when there is none."""

import json
import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
_FENCE = re.compile(r"```(?:json|JSON)?[ \t]*\n?(.*?)```", re.DOTALL)
MAX_REPLY_CHARS = 50_000  # a longer reply is a runaway generation, not an answer


class OutputInvalid(ValueError):
    """The reply holds no usable answer; the message says why (for the journal)."""


def extract_json(text: str) -> object:
    """The first JSON object in `text`: the whole text, a fenced block, or the first
    balanced {...} in prose. Raises OutputInvalid."""
    if len(text) > MAX_REPLY_CHARS:
        raise OutputInvalid(f"reply too long ({len(text)} characters)")
    candidates = [text.strip(), *(block.strip() for block in _FENCE.findall(text))]
    start = text.find("{")
    if start >= 0:
        candidates.append(_balanced_object(text, start))
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:  # not JSON, or an integer of more than 4300 digits
            continue
    raise OutputInvalid("no JSON object found in the reply")


def _balanced_object(text: str, start: int) -> str:
    """The substring from `start` to its matching brace, honouring JSON strings."""
    depth, in_string, escaped = 0, False, False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
    return text[start:]


def parse_reply(text: str, model: type[M]) -> M:
    """Validate the JSON found in `text` against `model`; raises OutputInvalid."""
    data = extract_json(text)
    if not isinstance(data, dict):
        raise OutputInvalid(f"expected a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise OutputInvalid(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """One short line per problem, at most three, e.g. 'confidence: less than or equal'."""
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error["loc"]) or "reply"
        parts.append(f"{where}: {error['msg']}")
    more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return "schema violation: " + "; ".join(parts) + more
