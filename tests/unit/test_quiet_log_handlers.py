"""Log handlers that cannot write (a full disk; /dev/full answers every write with ENOSPC)
say so once in one line on stderr, and never print "--- Logging error ---" tracebacks."""

import logging
import os
from pathlib import Path

import pytest

from tui_trader.app.log_files import QuietFileHandler, QuietStreamHandler

FULL = Path("/dev/full")


def logger_with(handler: logging.Handler, name: str) -> logging.Logger:
    logger = logging.getLogger(f"tests.quiet.{name}")
    logger.propagate = False
    logger.handlers = [handler]
    return logger


@pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full")
def test_a_full_disk_gives_one_line_not_a_traceback_per_record(
    capfd: pytest.CaptureFixture[str],
) -> None:
    handler = QuietFileHandler(FULL, maxBytes=1_000_000)
    logger = logger_with(handler, "file")
    for n in range(500):
        logger.warning("record %d", n)
    handler.close()
    err = capfd.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and "cannot write the log file /dev/full" in lines[0]


@pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full")
def test_a_lost_info_record_stays_silent(capfd: pytest.CaptureFixture[str]) -> None:
    logger = logger_with(QuietFileHandler(FULL, maxBytes=1_000_000), "info")
    logger.setLevel(logging.INFO)
    logger.info("a start-up failure's traceback, whose one line follows")
    assert capfd.readouterr().err == ""


def test_a_broken_console_drops_records_silently(capfd: pytest.CaptureFixture[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader left: every write is EPIPE
    stream = os.fdopen(write, "w")
    logger = logger_with(QuietStreamHandler(stream), "console")
    for n in range(50):
        logger.warning("record %d", n)
    assert capfd.readouterr().err == ""
