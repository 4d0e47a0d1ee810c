"""A local OpenAI-compatible server (aiohttp on 127.0.0.1) that answers well or badly.

`POST /v1/chat/completions` replies according to `mode`; every request body is kept in
`requests` and the usage tokens served are summed in `served_prompt_tokens` /
`served_completion_tokens`, so tests can check what the advisor sent and should have
counted. `usage` replaces the usage object served (garbage usage faults: negative,
absurd, missing counts); None serves the honest default."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import Any

import pytest
from aiohttp import web


class Mode(StrEnum):
    VALID = "valid"  # `content` as the reply
    INVALID_JSON = "invalid_json"  # prose with a broken object
    SCHEMA_BREAK = "schema_break"  # JSON that violates the schema
    FENCED = "fenced"  # `content` inside ```json fences with prose around it
    SLOW = "slow"  # `content`, after `delay_s`
    ERROR_500 = "error_500"
    RATE_429 = "rate_429"
    LENGTH = "length"  # truncated JSON with finish_reason "length"
    REJECT_STRUCTURED = "reject_structured"  # 400 to json_schema formats, `content` otherwise


VALID_ADVICE = {
    "action": "BUY_CONSIDER",
    "confidence": 0.8,
    "reasoning": "EMA cross with rising volume",
    "risk_notes": "thin book overnight",
}
SCHEMA_BREAK = {"action": "MAYBE", "confidence": 3, "reasoning": "x", "risk_notes": "", "y": 1}
# Realistic for the advisory prompt (~1100 characters) and reply (~130): the advisor
# charges at least an estimate from the text length (4 characters per token).
PROMPT_TOKENS = 400
COMPLETION_TOKENS = 40


class OpenAIDouble:
    def __init__(self) -> None:
        self.mode = Mode.VALID
        self.content = json.dumps(VALID_ADVICE)
        self.delay_s = 5.0
        self.retry_after_s = 0.05  # sent with 429s (the SDK waits this long before retrying)
        self.requests: list[dict[str, Any]] = []
        self.served_prompt_tokens = 0
        self.served_completion_tokens = 0
        self.usage: object = None  # served instead of the honest usage when not None
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    @property
    def request_count(self) -> int:
        return len(self.requests)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if self.mode is Mode.ERROR_500:
            return _error(500, "server_error", "the double is failing on purpose")
        if self.mode is Mode.RATE_429:
            retry_after = {"retry-after": str(self.retry_after_s)}
            return _error(429, "rate_limit_exceeded", "slow down", retry_after)
        if self.mode is Mode.REJECT_STRUCTURED and "response_format" in body:
            return _error(400, "invalid_request_error", "response_format is not supported")
        if self.mode is Mode.SLOW:
            await asyncio.sleep(self.delay_s)
        return self._reply(*self._content())

    def _content(self) -> tuple[str, str]:
        if self.mode is Mode.INVALID_JSON:
            return 'Sure! {"action": "BUY_CONSIDER", "confidence": 0.8,', "stop"
        if self.mode is Mode.SCHEMA_BREAK:
            return json.dumps(SCHEMA_BREAK), "stop"
        if self.mode is Mode.FENCED:
            return f"Here is my advice:\n```json\n{self.content}\n```\nGood luck.", "stop"
        if self.mode is Mode.LENGTH:
            return self.content[: len(self.content) // 2], "length"
        return self.content, "stop"

    def _reply(self, content: str, finish_reason: str) -> web.Response:
        self.served_prompt_tokens += PROMPT_TOKENS
        self.served_completion_tokens += COMPLETION_TOKENS
        body = {
            "id": f"chatcmpl-{self.request_count}",
            "object": "chat.completion",
            "created": 0,
            "model": self.requests[-1].get("model", "m"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": PROMPT_TOKENS,
                "completion_tokens": COMPLETION_TOKENS,
                "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
            },
        }
        if self.usage is not None:
            body["usage"] = self.usage
        return web.json_response(body)


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"error": {"message": message, "type": code, "param": None, "code": code}}
    return web.json_response(body, status=status, headers=headers)


@asynccontextmanager
async def advisory_llm(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[OpenAIDouble]:
    """A started double, and the environment of an advisor in advisory mode pointed at
    it: no cooldown, a short timeout, no retries."""
    server = OpenAIDouble()
    await server.start()
    for name, value in {
        "LLM_ENABLED": "true",
        "LLM_MODE": "advisory",
        "LLM_BASE_URL": server.base_url,
        "LLM_COOLDOWN_S": "0",
        "LLM_TIMEOUT_S": "2",
        "LLM_MAX_RETRIES": "0",
    }.items():
        monkeypatch.setenv(name, value)
    try:
        yield server
    finally:
        await server.close()
