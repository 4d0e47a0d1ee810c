"""The advisor against a local OpenAI-compatible server on 127.0.0.1, in every mode."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from openai import AsyncOpenAI

from tests.doubles.openai_server import (
    COMPLETION_TOKENS,
    PROMPT_TOKENS,
    Mode,
    OpenAIDouble,
)
from tests.llm_decisions import decision_reply
from tui_trader.clock import SimulatedClock
from tui_trader.domain.enums import Side
from tui_trader.llm.advisor import LLMAdvisor
from tui_trader.llm.client import build_client
from tui_trader.llm.gate import gate_allows
from tui_trader.llm.prompt import AccountBrief, AdvisorContext, MarketBrief
from tui_trader.llm.settings import LLMSettings
from tui_trader.secrets import Redactor

T0 = datetime(2025, 3, 1, 23, 50, tzinfo=UTC)
API_KEY = "sk-advisor-test-key-0123456789"
CONTEXT = AdvisorContext(
    markets=(
        MarketBrief("BTCUSDT", Decimal("42000"), Decimal("41999"), Decimal("42001"), Decimal(1)),
    ),
    account=AccountBrief("USDT", Decimal("10000"), Decimal("10000")),
)


@pytest.fixture
async def server() -> AsyncIterator[OpenAIDouble]:
    double = OpenAIDouble()
    await double.start()
    yield double
    await double.close()


class Harness:
    def __init__(self, server: OpenAIDouble, **overrides: Any) -> None:
        values: dict[str, Any] = {
            "llm_enabled": True,
            "llm_base_url": server.base_url,
            "llm_timeout_s": 0.4,
            "llm_max_retries": 0,
            "llm_cooldown_s": 0,
            "llm_cost_per_1k_input": Decimal("0.5"),
            "llm_cost_per_1k_output": Decimal("1.5"),
            **overrides,
        }
        self.settings = LLMSettings(**values)
        self.clock = SimulatedClock(T0)
        self.journal: list[dict[str, object]] = []
        self.advisor = LLMAdvisor(
            self.settings,
            self.factory,
            self.clock,
            self.journal.append,
            redactor=Redactor([API_KEY]),
        )

    def factory(self) -> AsyncOpenAI:
        return build_client(self.settings, API_KEY)

    def kinds(self) -> list[object]:
        return [record["kind"] for record in self.journal]


async def test_valid_reply_gives_advice_with_tokens_cost_and_journal(server: OpenAIDouble) -> None:
    h = Harness(server)
    advice = await h.advisor.request("BTCUSDT", "signal", CONTEXT)
    assert advice is not None and advice.valid and advice.path == "structured"
    assert (advice.action, advice.confidence) == ("BUY_CONSIDER", 0.8)
    assert (advice.prompt_tokens, advice.completion_tokens) == (PROMPT_TOKENS, COMPLETION_TOKENS)
    assert advice.cost == Decimal("0.26")  # 400 * 0.5/1k + 40 * 1.5/1k
    assert advice.latency_ms > 0 and advice.at == T0
    assert h.advisor.latest("BTCUSDT") is advice
    assert gate_allows(advice, Side.BUY, 0.8) and not gate_allows(advice, Side.BUY, 0.81)
    sent = server.requests[0]
    assert sent["response_format"]["type"] == "json_schema"
    assert '"symbol":"BTCUSDT"' in sent["messages"][1]["content"]
    assert h.kinds() == ["llm_request", "llm_response"]
    response = h.journal[1]
    assert (response["valid"], response["cost"], response["prompt_tokens"]) == (
        True,
        "0.26",
        PROMPT_TOKENS,
    )
    status = h.advisor.budget_status()
    assert (status.calls, status.tokens, status.cost) == (1, 440, Decimal("0.26"))


@pytest.mark.parametrize(
    ("mode", "error", "requests"),
    [
        (Mode.INVALID_JSON, "no JSON object found in the reply", 1),
        (Mode.SCHEMA_BREAK, "schema violation: action: Input should be", 1),
        (Mode.LENGTH, "reply cut off (finish_reason=length)", 1),
        (Mode.ERROR_500, "HTTP 500: InternalServerError", 2),
        (Mode.RATE_429, "HTTP 429: RateLimitError", 2),
    ],
)
async def test_bad_replies_are_recorded_invalid_and_ignored(
    server: OpenAIDouble, mode: Mode, error: str, requests: int
) -> None:
    server.mode = mode
    h = Harness(server, llm_max_retries=1)  # one SDK retry, then give up
    advice = await h.advisor.request("BTCUSDT", "volatility", CONTEXT)
    assert advice is not None and not advice.valid and advice.action == "INVALID"
    assert advice.error.startswith(error)
    assert server.request_count == requests
    assert not gate_allows(advice, Side.BUY, 0.0)
    assert h.advisor.latest("BTCUSDT") is advice
    assert h.journal[-1]["valid"] is False and h.journal[-1]["error"] == advice.error


async def test_fenced_reply_is_accepted_through_the_fallback_parser(server: OpenAIDouble) -> None:
    server.mode = Mode.FENCED
    advice = await Harness(server).advisor.request("BTCUSDT", "timer", CONTEXT)
    assert advice is not None and advice.valid and advice.path == "fallback"
    assert advice.action == "BUY_CONSIDER"


async def test_server_without_structured_output_gets_a_plain_request(server: OpenAIDouble) -> None:
    server.mode = Mode.REJECT_STRUCTURED
    advice = await Harness(server).advisor.request("BTCUSDT", "timer", CONTEXT)
    assert advice is not None and advice.valid and advice.path == "fallback"
    assert ["response_format" in body for body in server.requests] == [True, False]


async def test_slow_server_times_out_within_the_bound(server: OpenAIDouble) -> None:
    server.mode, server.delay_s = Mode.SLOW, 10.0
    h = Harness(server, llm_timeout_s=0.15, llm_max_retries=1)
    started = time.perf_counter()
    advice = await h.advisor.request("BTCUSDT", "signal", CONTEXT)
    elapsed = time.perf_counter() - started
    assert advice is not None and advice.error == "timeout"
    assert server.request_count == 2  # the first try and one retry, never more
    assert elapsed < h.settings.request_deadline_s < 3.0


async def test_long_retry_after_is_cut_short_by_the_deadline(server: OpenAIDouble) -> None:
    """The SDK honours Retry-After up to 120 s; the advisor's own deadline must win."""
    server.mode, server.retry_after_s = Mode.RATE_429, 100
    h = Harness(server, llm_timeout_s=0.1, llm_max_retries=1)
    started = time.perf_counter()
    advice = await h.advisor.request("BTCUSDT", "signal", CONTEXT)
    elapsed = time.perf_counter() - started
    assert advice is not None and advice.error == "no answer within 1.7s"
    assert 1.6 < elapsed < 2.5
    assert server.request_count == 1  # still waiting for the retry when cut off


async def test_unreachable_server_is_an_invalid_advice(server: OpenAIDouble) -> None:
    await server.close()
    h = Harness(server)
    advice = await h.advisor.request("BTCUSDT", "signal", CONTEXT)
    assert advice is not None and advice.error.startswith("APIConnectionError")


async def test_daily_call_budget_stops_calls_until_the_next_utc_day(server: OpenAIDouble) -> None:
    h = Harness(server, llm_daily_call_budget=2)
    results = [await h.advisor.request("BTCUSDT", "timer", CONTEXT) for _ in range(3)]
    assert [r is not None for r in results] == [True, True, False]
    assert server.request_count == 2
    assert h.journal[-1] == {
        "kind": "llm_skipped",
        "symbol": "BTCUSDT",
        "trigger": "timer",
        "reason": "daily call budget used (2/2)",
    }
    h.clock.advance(timedelta(minutes=10))  # 00:00 UTC: a new budget day
    assert await h.advisor.request("BTCUSDT", "timer", CONTEXT) is not None
    assert server.request_count == 3


async def test_token_budget_counts_served_usage(server: OpenAIDouble) -> None:
    h = Harness(server, llm_daily_token_budget=PROMPT_TOKENS + COMPLETION_TOKENS)
    assert await h.advisor.request("BTCUSDT", "timer", CONTEXT) is not None
    assert await h.advisor.request("BTCUSDT", "timer", CONTEXT) is None
    assert server.request_count == 1
    assert h.journal[-1]["reason"] == "daily token budget used (440/440)"


async def test_cooldown_is_per_symbol(server: OpenAIDouble) -> None:
    h = Harness(server, llm_cooldown_s=60)
    assert await h.advisor.request("BTCUSDT", "signal", CONTEXT) is not None
    h.clock.advance(timedelta(seconds=59.5))
    assert await h.advisor.request("BTCUSDT", "signal", CONTEXT) is None
    assert h.journal[-1]["reason"] == "cooldown: 1s left for BTCUSDT"
    assert await h.advisor.request("ETHUSDT", "signal", CONTEXT) is not None
    h.clock.advance(timedelta(seconds=0.5))
    assert await h.advisor.request("BTCUSDT", "signal", CONTEXT) is not None
    assert server.request_count == 3


async def test_timer_is_due_after_llm_timer_s_without_a_request(server: OpenAIDouble) -> None:
    h = Harness(server, llm_timer_s=900)
    assert h.advisor.timer_due("BTCUSDT")
    await h.advisor.request("BTCUSDT", "timer", CONTEXT)
    h.clock.advance(timedelta(seconds=899))
    assert not h.advisor.timer_due("BTCUSDT")
    h.clock.advance(timedelta(seconds=1))
    assert h.advisor.timer_due("BTCUSDT")


async def test_disabled_advisor_makes_no_calls(server: OpenAIDouble) -> None:
    h = Harness(server, llm_enabled=False)
    assert await h.advisor.request("BTCUSDT", "signal", CONTEXT) is None
    assert h.advisor.submit("BTCUSDT", "signal", CONTEXT) is False
    assert server.request_count == 0 and h.journal == []


async def test_worker_processes_submissions_without_blocking_the_caller(
    server: OpenAIDouble,
) -> None:
    server.mode, server.delay_s = Mode.SLOW, 0.2
    h = Harness(server, llm_timeout_s=2.0)
    worker = asyncio.create_task(h.advisor.run(), name="llm-advisor")
    try:
        started = time.perf_counter()
        assert h.advisor.submit("BTCUSDT", "signal", CONTEXT)
        assert h.advisor.submit("ETHUSDT", "signal", CONTEXT)
        assert h.advisor.submit("BTCUSDT", "volatility", CONTEXT)  # coalesced with the first
        assert time.perf_counter() - started < 0.05
        assert h.advisor.latest("BTCUSDT") is None
        await asyncio.wait_for(h.advisor.wait_idle(), timeout=5)
    finally:
        worker.cancel()
    btc = h.advisor.latest("BTCUSDT")
    assert btc is not None and btc.valid and btc.trigger == "volatility"
    assert server.request_count == 2
    assert [a.symbol for a in h.advisor.history()] == ["BTCUSDT", "ETHUSDT"]
    assert [a.symbol for a in h.advisor.history("ETHUSDT")] == ["ETHUSDT"]


async def test_full_queue_refuses_instead_of_waiting(server: OpenAIDouble) -> None:
    h = Harness(server)
    h.advisor = LLMAdvisor(h.settings, h.factory, h.clock, queue_size=1)
    assert h.advisor.submit("BTCUSDT", "signal", CONTEXT) is True
    assert h.advisor.submit("ETHUSDT", "signal", CONTEXT) is False


async def test_a_failing_journal_or_client_factory_never_raises(server: OpenAIDouble) -> None:
    def broken_sink(record: dict[str, object]) -> None:
        raise OSError("disk full")

    def broken_factory() -> AsyncOpenAI:
        raise RuntimeError(f"cannot build client with {API_KEY}")

    h = Harness(server)
    advisor = LLMAdvisor(
        h.settings, broken_factory, h.clock, broken_sink, redactor=Redactor([API_KEY])
    )
    advice = await advisor.request("BTCUSDT", "signal", CONTEXT)
    assert advice is not None and not advice.valid
    assert advice.error == "RuntimeError: cannot build client with ****6789"


async def test_journal_records_are_redacted(server: OpenAIDouble) -> None:
    server.content = json.dumps(
        {"action": "HOLD", "confidence": 0.5, "reasoning": f"key {API_KEY}", "risk_notes": ""}
    )
    h = Harness(server)
    advice = await h.advisor.request("BTCUSDT", "signal", CONTEXT)
    assert advice is not None and advice.valid
    dumped = json.dumps(h.journal)
    assert API_KEY not in dumped and "key ****6789" in dumped


async def test_decide_mode_returns_a_decision(server: OpenAIDouble) -> None:
    server.content = json.dumps(DECISION)
    h = Harness(server, llm_mode="decide")
    advice = await h.advisor.request("BTCUSDT", "timer", CONTEXT)
    assert advice is not None and advice.decision is not None
    assert advice.action == "LONG" and advice.decision.order is not None
    assert advice.decision.order.entry_price == Decimal("42000.5")
    assert "DecisionOutput" in json.dumps(server.requests[0]["response_format"])


DECISION = decision_reply("long", entry=42000.5, stop_loss=41500)
