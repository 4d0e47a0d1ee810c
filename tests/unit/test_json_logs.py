"""Structured logs: JSON lines with bound context (adapter and contextvars, across tasks),
redacted secrets, exceptions; and the console format."""

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from tui_trader.ops.log_format import (
    ConsoleFormatter,
    JsonFormatter,
    about,
    bind,
    log_context,
    make_formatter,
)


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tui_trader.test_json_logs")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.DEBUG)
    yield logger, stream, handler
    logger.handlers = []


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_bound_adapter_adds_component_and_symbol(
    captured: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, _ = captured
    log = bind(logger, component="execution", symbol="BTCUSDT")
    log.warning("order %s sent", "tt-1")
    [line] = lines(stream)
    assert line["msg"] == "order tt-1 sent"
    assert line["level"] == "WARNING"
    assert line["logger"] == "tui_trader.test_json_logs"
    assert (line["component"], line["symbol"]) == ("execution", "BTCUSDT")
    assert str(line["ts"]).endswith("+00:00")


def test_context_vars_nest_and_the_adapter_wins_on_conflict(
    captured: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, _ = captured
    with log_context(component="feed"):
        with log_context(symbol="ETHUSDT"):
            logger.info("inner")
        logger.info("outer")
        bind(logger, component="notify").info("adapter")
    logger.info("after")
    inner, outer, adapter, after = lines(stream)
    assert (inner["component"], inner["symbol"]) == ("feed", "ETHUSDT")
    assert (outer["component"], outer["symbol"]) == ("feed", None)
    assert adapter["component"] == "notify"
    # Unbound, every line still has both keys: the package that logged, no symbol.
    assert (after["component"], after["symbol"]) == ("test_json_logs", None)


def test_one_call_about_a_symbol_and_other_libraries_named_as_they_are(
    captured: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = captured
    logger.warning("order rejected", extra=about("ETHUSDT"))
    other = logging.getLogger("aiosqlite")
    other.handlers, other.propagate = [handler], False
    try:
        other.error("worker died")
    finally:
        other.handlers = []
    ours, theirs = lines(stream)
    assert (ours["component"], ours["symbol"]) == ("test_json_logs", "ETHUSDT")
    assert (theirs["component"], theirs["symbol"]) == ("aiosqlite", None)


async def test_context_follows_tasks_started_inside_it(
    captured: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, _ = captured

    async def worker() -> None:
        await asyncio.sleep(0)
        logger.info("from the task")

    with log_context(component="telegram-remote"):
        task = asyncio.create_task(worker())
    await task
    assert lines(stream)[0]["component"] == "telegram-remote"


def test_secrets_are_masked_in_message_context_and_exception(
    captured: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, _ = captured
    key = "sk-abcdefghijklmnopqrstuvwxyz123456"
    try:
        raise RuntimeError(f"auth failed for {key}")
    except RuntimeError:
        bind(logger, component="llm", header=f"Bearer {key}").exception("call with %s", key)
    text = stream.getvalue()
    assert key not in text
    [line] = lines(stream)
    assert line["msg"] == "call with ****3456"
    assert "RuntimeError: auth failed for ****3456" in str(line["exc"])
    assert line["header"] == "Bearer ****3456"


def test_console_format_shows_the_context_in_brackets() -> None:
    record = logging.LogRecord(
        "tui_trader.notify", logging.INFO, __file__, 1, "sent %d", (3,), None
    )
    with log_context(component="notify", channel="slack"):
        text = ConsoleFormatter().format(record)
    assert text.endswith(" INFO tui_trader.notify [component=notify channel=slack]: sent 3")


def test_make_formatter_by_setting() -> None:
    assert isinstance(make_formatter("json"), JsonFormatter)
    assert isinstance(make_formatter("console"), ConsoleFormatter)
