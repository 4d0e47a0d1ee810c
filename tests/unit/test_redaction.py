"""Secrets never reach log output or tracebacks unmasked."""

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from tui_trader.secrets import (
    RedactingFilter,
    Redactor,
    format_exception_redacted,
    install_excepthook,
    install_log_redaction,
)

PLANTED = "planted-Secret-Value-0001"
BINANCE_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
OPENAI_KEY = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx"
TELEGRAM = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
SLACK = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"


@pytest.fixture
def log_output() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("test_redaction")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    install_log_redaction(logger, Redactor([PLANTED]))
    yield logger, stream
    logger.removeHandler(handler)


def test_known_secret_is_masked_to_its_last_four() -> None:
    redactor = Redactor([PLANTED])
    assert redactor.redact(f"key={PLANTED}; again {PLANTED}") == "key=****0001; again ****0001"


def test_longer_secret_containing_a_shorter_one_is_masked_whole() -> None:
    redactor = Redactor(["abcdef1234", "abcdef1234-extended"])
    assert redactor.redact("v=abcdef1234-extended") == "v=****nded"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"X-MBX-APIKEY: {BINANCE_KEY}", "X-MBX-APIKEY: ****Eh8A"),
        (f"api_key={OPENAI_KEY}&x=1", "api_key=****UvWx&x=1"),
        (f"bot{TELEGRAM}/sendMessage", "bot****saw1/sendMessage"),
        (f"posting to {SLACK}", "posting to ****XXXX"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", "Authorization: Bearer ****.abc"),
    ],
)
def test_secret_shaped_values_are_masked_without_being_known(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_ordinary_text_is_left_alone() -> None:
    text = "BUY 0.00123 BTCUSDT @ 42000.50 order abc-123 ts=1700000000000 sha1=da39a3ee5e6b"
    assert Redactor().redact(text) == text


def test_short_values_are_not_registered() -> None:
    # masking "abc" everywhere would shred the logs; real keys are long
    assert Redactor(["abc"]).redact("abcdef") == "abcdef"


def test_nested_journal_payloads_are_redacted() -> None:
    redactor = Redactor([PLANTED])
    data = {"a": [PLANTED, {"b": f"x {PLANTED}"}], "n": 3, "t": (PLANTED,)}
    assert redactor.redact_data(data) == {
        "a": ["****0001", {"b": "x ****0001"}],
        "n": 3,
        "t": ["****0001"],
    }


def test_log_messages_and_args_are_redacted(
    log_output: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_output
    logger.info("connecting with key %s and %r", PLANTED, {"k": BINANCE_KEY})
    logger.warning(f"inline {OPENAI_KEY}")
    output = stream.getvalue()
    assert PLANTED not in output and BINANCE_KEY not in output and OPENAI_KEY not in output
    assert "INFO connecting with key ****0001 and {'k': '****Eh8A'}" in output
    assert "WARNING inline ****UvWx" in output


def test_logged_exception_tracebacks_are_redacted(
    log_output: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_output
    try:
        raise ValueError(f"signature mismatch for {PLANTED}")
    except ValueError:
        logger.exception("order failed")
    output = stream.getvalue()
    assert PLANTED not in output
    assert "Traceback (most recent call last)" in output
    assert "ValueError: signature mismatch for ****0001" in output


def test_bad_format_args_still_log_redacted(
    log_output: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_output
    logger.error("two %s %s", PLANTED)  # one argument short
    assert "****0001" in stream.getvalue() and PLANTED not in stream.getvalue()


def test_filter_can_be_attached_to_any_handler() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "k=%s", (PLANTED,), None)
    assert RedactingFilter(Redactor([PLANTED])).filter(record) is True
    assert record.getMessage() == "k=****0001"


def test_chained_exception_text_is_redacted() -> None:
    redactor = Redactor([PLANTED])
    try:
        try:
            raise KeyError(PLANTED)
        except KeyError as inner:
            raise RuntimeError("outer") from inner
    except RuntimeError as exc:
        text = format_exception_redacted(exc, redactor)
    assert PLANTED not in text
    assert "KeyError: '****0001'" in text and "RuntimeError: outer" in text


def test_excepthook_prints_redacted_tracebacks_and_can_be_restored() -> None:
    stream = io.StringIO()
    original = sys.excepthook
    previous = install_excepthook(Redactor([PLANTED]), stream)
    try:
        try:
            raise RuntimeError(f"crash with {PLANTED}")
        except RuntimeError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = previous
    assert previous is original
    assert "RuntimeError: crash with ****0001" in stream.getvalue()
    assert PLANTED not in stream.getvalue()


RELAY = "http://10.0.0.7:8080/relay/T0FAKE01/B0FAKE02/FakeRelayToken4TestsOnly?sig=FakeSig4Tests"


@pytest.mark.parametrize(
    "echoed",
    [
        "/relay/T0FAKE01/B0FAKE02/FakeRelayToken4TestsOnly",  # the path alone
        "relay/T0FAKE01/B0FAKE02/FakeRelayToken4TestsOnly",
        "FakeRelayToken4TestsOnly",  # the token segment alone
        "\\/relay\\/T0FAKE01\\/B0FAKE02\\/FakeRelayToken4TestsOnly",  # JSON-escaped
        "%2Frelay%2FT0FAKE01%2FB0FAKE02%2FFakeRelayToken4TestsOnly",  # percent-encoded
        "FakeSig4Tests",  # a query value
    ],
)
def test_a_webhook_url_masks_the_parts_a_reply_may_echo(echoed: str) -> None:
    redactor = Redactor([RELAY])
    shown = redactor.redact(f"HTTP 404: no route for POST {echoed} (sorry)")
    assert "FakeRelayToken4TestsOnly" not in shown and "FakeSig4Tests" not in shown
    assert shown.startswith("HTTP 404: no route for POST ****") and shown.endswith("(sorry)")


def test_a_webhook_url_does_not_mask_common_words_of_its_path() -> None:
    redactor = Redactor(["https://relay.example/services/hooks/FakeRelayToken4TestsOnly"])
    assert redactor.redact("services and hooks") == "services and hooks"


def test_a_bot_token_masks_its_secret_half_alone() -> None:
    redactor = Redactor(["987654321:FakeBotSecretForTestsOnly_abcdef"])
    shown = redactor.redact("bad token FakeBotSecretForTestsOnly_abcdef")
    assert "FakeBotSecretForTestsOnly" not in shown


def test_the_keyring_passphrase_is_registered_when_given() -> None:
    from tests.doubles.memory_keyring import MemoryKeyring
    from tui_trader.secrets import SecretStore

    redactor = Redactor()
    store = SecretStore(MemoryKeyring(), redactor)
    store.unlock_sync("fake passphrase for tests")
    assert "fake passphrase" not in redactor.redact("unlock: fake passphrase for tests failed")


async def test_notifier_transports_register_their_secret_in_the_shared_redactor() -> None:
    from tui_trader.notify.slack import SlackWebhook
    from tui_trader.notify.telegram import TelegramBot

    redactor = Redactor()
    SlackWebhook(RELAY, redactor=redactor)
    TelegramBot("987654321:FakeBotSecretForTestsOnly_abcdef", redactor=redactor)
    shown = redactor.redact("FakeRelayToken4TestsOnly FakeBotSecretForTestsOnly_abcdef")
    assert "Fake" not in shown


def test_a_malformed_url_is_still_registered_whole() -> None:
    redactor = Redactor(["http://[broken-host/FakeRelayToken4TestsOnly"])
    assert "FakeRelay" not in redactor.redact("POST http://[broken-host/FakeRelayToken4TestsOnly")
