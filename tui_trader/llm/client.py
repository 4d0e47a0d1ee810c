"""One chat completion through the openai SDK, reduced to a `Completion` that never raises.

Structured output first (`chat.completions.parse(response_format=Model)`). When the server
rejects it (HTTP 400/422) or answers with text the SDK cannot parse (prose, ```json
fences), the reply text goes through the tolerant parser and the same pydantic model.
Retries are the SDK's, bounded by `llm_max_retries`; the caller adds an overall deadline."""

import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import openai
from openai import AsyncOpenAI
from openai.types.chat import (
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)
from pydantic import BaseModel

from tui_trader.llm.parser import OutputInvalid, parse_reply
from tui_trader.llm.prompt import Message
from tui_trader.llm.schemas import ReplyPath
from tui_trader.llm.settings import LLMSettings
from tui_trader.secrets.redact import default_redactor

M = TypeVar("M", bound=BaseModel)
NO_KEY = "not-needed"  # local servers (Ollama, llama.cpp) ignore the key; the SDK needs one


@dataclass(frozen=True, slots=True)
class Completion(Generic[M]):
    output: M | None  # None: invalid or failed, `error` says why
    content: str  # the reply text as received ("" when there was none)
    error: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    path: ReplyPath = "none"

    @property
    def valid(self) -> bool:
        return self.output is not None


def build_client(settings: LLMSettings, api_key: str | None) -> AsyncOpenAI:
    if api_key:  # masked from here on, however it was loaded
        default_redactor().add(api_key)
    return AsyncOpenAI(
        base_url=settings.llm_base_url,
        api_key=api_key or NO_KEY,
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
    )


def _sdk_messages(messages: list[Message]) -> list[ChatCompletionMessageParam]:
    typed: list[ChatCompletionMessageParam] = []
    for message in messages:
        if message["role"] == "system":
            typed.append(
                ChatCompletionSystemMessageParam(role="system", content=message["content"])
            )
        else:
            typed.append(ChatCompletionUserMessageParam(role="user", content=message["content"]))
    return typed


async def complete(
    client: AsyncOpenAI, settings: LLMSettings, messages: list[Message], model: type[M]
) -> Completion[M]:
    try:
        raw = await client.chat.completions.with_raw_response.parse(
            model=settings.llm_model,
            messages=_sdk_messages(messages),
            response_format=model,
            temperature=settings.llm_temperature,
        )
    except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
        # Many local servers reject `json_schema` response formats: ask for plain text.
        return await _complete_plain(client, settings, messages, model, _api_error(exc))
    except openai.APIError as exc:
        return Completion(None, "", _api_error(exc))
    return _from_structured(raw, model)


def _from_structured(raw: Any, model: type[M]) -> Completion[M]:
    body = _body(raw.text)
    content, tokens = _content(body), _usage(body)
    try:
        completion = raw.parse()
    except openai.LengthFinishReasonError:
        return Completion(None, content, "reply cut off (finish_reason=length)", *tokens)
    except openai.ContentFilterFinishReasonError:
        return Completion(None, content, "reply withheld (finish_reason=content_filter)", *tokens)
    except Exception:  # not the schema or not JSON: the tolerant parser explains which
        return _from_text(content, model, tokens)
    parsed = completion.choices[0].message.parsed if completion.choices else None
    if parsed is None:
        refusal = completion.choices[0].message.refusal if completion.choices else None
        return Completion(
            None, content, f"refused: {refusal}" if refusal else "empty reply", *tokens
        )
    return Completion(parsed, content, "", *tokens, path="structured")


async def _complete_plain(
    client: AsyncOpenAI, settings: LLMSettings, messages: list[Message], model: type[M], why: str
) -> Completion[M]:
    try:
        reply = await client.chat.completions.create(
            model=settings.llm_model,
            messages=_sdk_messages(messages),
            temperature=settings.llm_temperature,
        )
    except openai.APIError as exc:
        return Completion(None, "", f"{why}; plain retry: {_api_error(exc)}")
    body = reply.model_dump()
    if reply.choices and reply.choices[0].finish_reason == "length":
        return Completion(
            None, _content(body), "reply cut off (finish_reason=length)", *_usage(body)
        )
    return _from_text(_content(body), model, _usage(body))


def _from_text(content: str, model: type[M], tokens: tuple[int, int]) -> Completion[M]:
    if not content:
        return Completion(None, "", "empty reply", *tokens)
    try:
        return Completion(parse_reply(content, model), content, "", *tokens, path="fallback")
    except OutputInvalid as exc:
        return Completion(None, content, str(exc), *tokens)


def _api_error(exc: openai.APIError) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}: {type(exc).__name__}"
    return f"{type(exc).__name__}: {exc.message}"


def _body(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _content(body: dict[str, Any]) -> str:
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return ""
    return content if isinstance(content, str) else ""


def _usage(body: dict[str, Any]) -> tuple[int, int]:
    """The counts as the server sent them: 0 when absent, -1 when not an integer (a
    garbage marker). The budget judges them (llm/budget.py `count_usage`)."""
    usage = body.get("usage")
    if usage is None:
        return 0, 0
    if not isinstance(usage, dict):
        return -1, -1
    return _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))


def _count(value: object) -> int:
    if value is None:
        return 0
    return value if isinstance(value, int) and not isinstance(value, bool) else -1
